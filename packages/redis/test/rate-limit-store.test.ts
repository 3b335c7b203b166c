import { randomUUID } from 'node:crypto';
import { UnavailableError, createMemoryRateLimitStore, type RateLimitStore } from '@gatehouse-auth/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRateLimitStore } from '../src/index.js';
import { describeRateLimitStoreContract } from './rate-limit-store.contract.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let server: RedisServer | undefined;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
  await server?.stop();
});

function client(): Redis {
  if (!server) throw new Error('redis-server did not start');
  const created = new Redis(server.url, { maxRetriesPerRequest: 1 });
  clients.push(created);
  return created;
}

/** Each store gets keys no other test has touched. */
function freshPrefix(): string {
  return `test:${randomUUID()}:`;
}

describeRateLimitStoreContract('memory rate-limit store', () => createMemoryRateLimitStore());
describeRateLimitStoreContract('redis rate-limit store', () =>
  createRedisRateLimitStore(client(), { prefix: freshPrefix() }),
);

describe('redis rate-limit store', () => {
  it('is atomic: of 200 concurrent requests from two connections, exactly the capacity get through', async () => {
    const prefix = freshPrefix();
    const stores = [createRedisRateLimitStore(client(), { prefix }), createRedisRateLimitStore(client(), { prefix })];
    const limit = { capacity: 37, refillPerSecond: 0.001 };
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => stores[i % 2]!.consume('shared', limit, now)),
    );
    expect(results.filter((result) => result.allowed)).toHaveLength(37);
    // Every allowed answer saw a different number of tokens left: no two read the same state.
    const remaining = results.filter((result) => result.allowed).map((result) => result.remaining);
    expect(new Set(remaining).size).toBe(37);

    const lockout = { maxAttempts: 150, blockMs: 60_000, forgetAfterMs: 240_000 };
    const failures = await Promise.all(
      Array.from({ length: 200 }, (_, i) => stores[i % 2]!.recordFailure('user', lockout, now)),
    );
    expect(new Set(failures.map((failure) => failure.failures)).size).toBe(150);
    expect(failures.filter((failure) => failure.blockedUntil === null)).toHaveLength(149);
    expect(await stores[0]!.blockedUntil('user', now)).toBe(now + 60_000);
  });

  it('answers exactly like the memory store over a long mixed run with real timestamps', async () => {
    const memory = createMemoryRateLimitStore();
    const redis = createRedisRateLimitStore(client(), { prefix: freshPrefix() });
    const limit = { capacity: 7, refillPerSecond: 0.37 };
    const lockout = { maxAttempts: 3, blockMs: 1_700, forgetAfterMs: 6_800 };
    // A fixed pseudo-random walk, so a failure can be replayed.
    let seed = 12345;
    const next = (): number => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    let now = 1_764_000_000_123.25;
    for (let step = 0; step < 300; step++) {
      now += Math.floor(next() * 2_500) + next();
      const key = next() < 0.5 ? 'a' : 'b';
      const op = next();
      const run = async (store: RateLimitStore): Promise<unknown> => {
        if (op < 0.5) return store.consume(key, limit, now);
        if (op < 0.8) return store.recordFailure(key, lockout, now);
        if (op < 0.95) return store.blockedUntil(key, now);
        return store.clearFailures(key);
      };
      expect({ step, result: await run(redis) }).toEqual({ step, result: await run(memory) });
    }
  });

  it('writes only under its prefix, and every key expires on its own', async () => {
    const redis = client();
    const prefix = freshPrefix();
    const store = createRedisRateLimitStore(redis, { prefix });
    const now = Date.now();
    await store.consume('ip', { capacity: 10, refillPerSecond: 2 }, now);
    await store.recordFailure('mail', { maxAttempts: 5, blockMs: 300_000, forgetAfterMs: 1_200_000 }, now);
    expect((await redis.keys(`${prefix}*`)).sort()).toEqual([`${prefix}bucket:ip`, `${prefix}failures:mail`]);
    // Full again after 1 token / 2 per second; forgotten 1 200 s after the last failure.
    expect(await redis.pttl(`${prefix}bucket:ip`)).toBeGreaterThan(0);
    expect(await redis.pttl(`${prefix}bucket:ip`)).toBeLessThanOrEqual(500);
    expect(await redis.pttl(`${prefix}failures:mail`)).toBeGreaterThan(1_190_000);
    expect(await redis.pttl(`${prefix}failures:mail`)).toBeLessThanOrEqual(1_200_000);

    // A block longer than the forget time keeps the record for the whole block.
    const long = { maxAttempts: 1, blockMs: 3_600_000, forgetAfterMs: 60_000 };
    await store.recordFailure('admin', long, now);
    expect(await redis.pttl(`${prefix}failures:admin`)).toBeGreaterThan(3_590_000);

    // Once the bucket is full it has nothing to remember.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await redis.exists(`${prefix}bucket:ip`)).toBe(0);
    expect(await store.consume('ip', { capacity: 10, refillPerSecond: 2 }, Date.now())).toEqual({
      allowed: true,
      remaining: 9,
      retryAfterMs: 0,
    });
  });

  it('survives a Redis restart (the scripts are loaded again) and is unavailable while Redis is down', async () => {
    const own = await startRedisServer();
    const redis = new Redis(own.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
    redis.on('error', () => {});
    const ready = (): Promise<void> =>
      redis.status === 'ready' ? Promise.resolve() : new Promise((resolve) => redis.once('ready', () => resolve()));
    try {
      await ready();
      const store = createRedisRateLimitStore(redis);
      expect((await store.consume('ip', { capacity: 1, refillPerSecond: 1 }, 0)).allowed).toBe(true);
      await own.kill();
      await expect(store.consume('ip', { capacity: 1, refillPerSecond: 1 }, 0)).rejects.toBeInstanceOf(
        UnavailableError,
      );
      await expect(store.blockedUntil('ip', 0)).rejects.toBeInstanceOf(UnavailableError);
      await own.start();
      await ready();
      // The restarted server kept nothing: a full bucket again, through EVALSHA's EVAL fallback.
      expect(await store.consume('ip', { capacity: 1, refillPerSecond: 1 }, 0)).toEqual({
        allowed: true,
        remaining: 0,
        retryAfterMs: 0,
      });
      expect(await store.recordFailure('mail', { maxAttempts: 1, blockMs: 10, forgetAfterMs: 10 }, 0)).toEqual({
        failures: 1,
        blockedUntil: 10,
      });
    } finally {
      redis.disconnect();
      await own.stop();
    }
  });
});
