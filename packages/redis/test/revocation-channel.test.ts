import { performance } from 'node:perf_hooks';
import { UnavailableError, type Logger, type RevocationEvent } from '@gatehouse/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRevocationChannel, type RedisRevocationChannel } from '../src/index.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { startTcpProxy } from './tcp-proxy.js';

let server: RedisServer | undefined;
let count = 0;
const opened: RedisRevocationChannel[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((channel) => channel.close()));
});

afterAll(async () => {
  await server?.stop();
});

function redisServer(): RedisServer {
  if (!server) throw new Error('redis-server did not start');
  return server;
}

/** Every test gets its own pub/sub channel, so nothing leaks between tests. */
function freshChannelName(): string {
  return `gatehouse:revocations:test:${++count}`;
}

interface Recorded {
  readonly events: RevocationEvent[];
  readonly warnings: string[];
  readonly logger: Logger;
}

function recorder(): Recorded {
  const events: RevocationEvent[] = [];
  const warnings: string[] = [];
  return { events, warnings, logger: { info() {}, warn: (message) => warnings.push(message), error() {} } };
}

async function open(channel: string, record: Recorded, url = redisServer().url): Promise<RedisRevocationChannel> {
  const created = await createRedisRevocationChannel({ url, channel, logger: record.logger });
  opened.push(created);
  created.subscribe((event) => record.events.push(event));
  return created;
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - started;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await use(client);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

describe('Redis revocation channel', () => {
  it('carries events between instances within 100 ms and never echoes them to their publisher', async () => {
    const name = freshChannelName();
    const a = recorder();
    const b = recorder();
    const channelA = await open(name, a);
    const channelB = await open(name, b);
    expect(channelA.isLive()).toBe(true);
    expect(channelB.isLive()).toBe(true);

    const fromA: RevocationEvent = { type: 'user', userId: 7 };
    const started = performance.now();
    const publishing = channelA.publish(fromA);
    // Local listeners ran before publish gave control back.
    expect(a.events).toEqual([fromA]);
    await publishing;
    await waitFor('B to receive A’s event', () => b.events.length === 1, 100);
    expect(performance.now() - started).toBeLessThan(100);
    expect(b.events).toEqual([fromA]);

    const fromB: RevocationEvent = { type: 'session', sessionId: 12 };
    await channelB.publish(fromB);
    await waitFor('A to receive B’s event', () => a.events.length === 2, 100);

    // Long enough for any echo of their own messages to have come back.
    await sleep(150);
    expect(a.events).toEqual([fromA, fromB]);
    expect(b.events).toEqual([fromA, fromB]);
  });

  it('uses `gatehouse:revocations` unless told otherwise, and stops delivering to an unsubscribed listener', async () => {
    const a = recorder();
    const channel = await createRedisRevocationChannel({ url: redisServer().url, logger: a.logger });
    opened.push(channel);
    const unsubscribe = channel.subscribe((event) => a.events.push(event));
    await withClient(redisServer().url, async (client) => {
      expect(await client.pubsub('NUMSUB', 'gatehouse:revocations')).toEqual(['gatehouse:revocations', 1]);
      await client.publish('gatehouse:revocations', JSON.stringify({ o: 'elsewhere', e: { type: 'user', userId: 1 } }));
      await waitFor('the event on the default channel', () => a.events.length === 1, 1_000);
      unsubscribe();
      await client.publish('gatehouse:revocations', JSON.stringify({ o: 'elsewhere', e: { type: 'user', userId: 2 } }));
      await sleep(50);
    });
    expect(a.events).toEqual([{ type: 'user', userId: 1 }]);
  });

  it('drops malformed messages and passes only the known fields of valid ones', async () => {
    const name = freshChannelName();
    const a = recorder();
    await open(name, a);

    const malformed = [
      'not json',
      '',
      '[]',
      '{}',
      'null',
      JSON.stringify({ e: { type: 'all' } }),
      JSON.stringify({ o: '', e: { type: 'all' } }),
      JSON.stringify({ o: 5, e: { type: 'all' } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'everything' } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'user' } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'user', userId: '7' } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'session', sessionId: 1.5 } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'api_key', apiKeyId: 2 ** 53 } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'user_sessions', sessionId: 3 } }),
      JSON.stringify({ o: 'elsewhere', e: null }),
      JSON.stringify({ o: 'elsewhere', e: [{ type: 'all' }] }),
    ];
    await withClient(redisServer().url, async (client) => {
      for (const payload of malformed) await client.publish(name, payload);
      await client.publish(name, JSON.stringify({ o: 'elsewhere', e: { type: 'api_key', apiKeyId: 4, role: 'ADMIN' } }));
      await client.publish(name, JSON.stringify({ o: 'elsewhere', e: { type: 'all' } }));
    });

    // One connection's messages arrive in order: once the last one is here, all were handled.
    await waitFor('the final valid event', () => a.events.length === 2, 2_000);
    expect(a.events).toStrictEqual([{ type: 'api_key', apiKeyId: 4 }, { type: 'all' }]);
    expect(a.warnings.filter((message) => message.includes('malformed'))).toHaveLength(malformed.length);
  });

  it('goes dead within a second of Redis being killed, keeps publishing locally, and is live again after a restart', async () => {
    // Its own server: the others' tests must not see this outage.
    const own = await startRedisServer();
    try {
      const name = freshChannelName();
      const a = recorder();
      const b = recorder();
      const channelA = await open(name, a, own.url);
      const channelB = await open(name, b, own.url);

      await own.kill();
      await waitFor('A to notice Redis is gone', () => !channelA.isLive(), 1_000);
      await waitFor('B to notice Redis is gone', () => !channelB.isLive(), 1_000);
      expect(a.warnings.some((message) => message.includes('lost its Redis subscription'))).toBe(true);

      const whileDown: RevocationEvent = { type: 'user_sessions', userId: 42 };
      await channelA.publish(whileDown);
      expect(a.events).toEqual([whileDown]);

      // Several failed reconnects (100, 200, 400 ms…): still dead.
      await sleep(400);
      expect(channelA.isLive()).toBe(false);

      await own.start();
      // Backoff is capped at 1 s.
      await waitFor('A to be subscribed again', () => channelA.isLive(), 2_500);
      await waitFor('B to be subscribed again', () => channelB.isLive(), 2_500);
      expect(a.events).toEqual([whileDown, { type: 'all' }]);
      // B either got the queued event or subscribed after it went out; its `all` covers that.
      expect(b.events).toContainEqual({ type: 'all' });

      // The new connections carry traffic both ways.
      const before = { a: a.events.length, b: b.events.length };
      await channelB.publish({ type: 'session', sessionId: 5 });
      await waitFor('A to receive B’s event after the restart', () => a.events.length === before.a + 1, 1_000);
      await channelA.publish({ type: 'api_key', apiKeyId: 6 });
      await waitFor('B to receive A’s event after the restart', () => b.events.length === before.b + 2, 1_000);
      expect(a.events.at(-1)).toEqual({ type: 'api_key', apiKeyId: 6 });
      expect(b.events.slice(-2)).toEqual([{ type: 'session', sessionId: 5 }, { type: 'api_key', apiKeyId: 6 }]);
    } finally {
      await Promise.all(opened.splice(0).map((channel) => channel.close()));
      await own.stop();
    }
  });

  it('publishes what was queued while its connections were down to the others once it is back', async () => {
    const name = freshChannelName();
    const proxy = await startTcpProxy(redisServer().port);
    try {
      const a = recorder();
      const b = recorder();
      const channelA = await open(name, a, `redis://127.0.0.1:${proxy.port}`);
      const channelB = await open(name, b);

      await proxy.cut();
      await waitFor('A to notice its connections are gone', () => !channelA.isLive(), 1_000);
      expect(channelB.isLive()).toBe(true);

      const queued: RevocationEvent[] = [
        { type: 'user', userId: 1 },
        { type: 'session', sessionId: 2 },
        { type: 'api_key', apiKeyId: 3 },
      ];
      for (const event of queued) await channelA.publish(event);
      expect(a.events).toEqual(queued);
      // Meanwhile B publishes; A cannot hear it.
      const fromB: RevocationEvent = { type: 'user_sessions', userId: 9 };
      await channelB.publish(fromB);
      await sleep(300);
      expect(b.events).toEqual([fromB]);
      expect(a.events).toEqual(queued);

      await proxy.restore();
      await waitFor('A to be subscribed again', () => channelA.isLive(), 2_500);
      // It may have missed B's event: it tells its own listeners to forget everything.
      expect(a.events).toEqual([...queued, { type: 'all' }]);
      await waitFor('the queued events to reach B', () => b.events.length === 4, 1_000);
      expect(b.events).toEqual([fromB, ...queued]);
    } finally {
      await Promise.all(opened.splice(0).map((channel) => channel.close()));
      await proxy.close();
    }
  });

  it('after close: not live, no reconnect, publish still reaches local listeners', async () => {
    const name = freshChannelName();
    const a = recorder();
    const b = recorder();
    const channelA = await open(name, a);
    await open(name, b);
    await channelA.close();
    await channelA.close();
    expect(channelA.isLive()).toBe(false);
    await channelA.publish({ type: 'user', userId: 1 });
    expect(a.events).toEqual([{ type: 'user', userId: 1 }]);
    await sleep(150);
    expect(b.events).toEqual([]);
    expect(channelA.isLive()).toBe(false);
    await withClient(redisServer().url, async (client) => {
      expect(await client.pubsub('NUMSUB', name)).toEqual([name, 1]);
    });
  });

  it('refuses to start without Redis, and rejects an empty channel name', async () => {
    const free = await startRedisServer();
    const url = free.url;
    await free.stop();
    await expect(createRedisRevocationChannel({ url })).rejects.toBeInstanceOf(UnavailableError);
    await expect(createRedisRevocationChannel({ url: redisServer().url, channel: '' })).rejects.toBeInstanceOf(TypeError);
  });
});
