import type { RevocationEvent } from '@gatehouse-auth/core';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  recorder,
  revocationChannelContract,
  sleep,
  waitFor,
  type Recorded,
} from '../../../test/support/revocation-channel-contract.js';
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

async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await use(client);
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

revocationChannelContract('Redis pub/sub', {
  defaultChannel: 'gatehouse:revocations',
  lossWarning: 'lost its Redis subscription',
  freshChannelName,
  open: ({ channel, logger }) => createRedisRevocationChannel({ url: redisServer().url, channel, logger }),
  async openSeverable({ channel: name, logger }) {
    // Through a proxy of its own: cutting it takes this instance's connections away, not the others'.
    const proxy = await startTcpProxy(redisServer().port);
    try {
      const channel = await createRedisRevocationChannel({
        url: `redis://127.0.0.1:${proxy.port}`,
        channel: name,
        logger,
      });
      return { channel, cut: () => proxy.cut(), restore: () => proxy.restore(), dispose: () => proxy.close() };
    } catch (error) {
      await proxy.close();
      throw error;
    }
  },
  async openUnreachable() {
    const free = await startRedisServer();
    const url = free.url;
    await free.stop();
    return createRedisRevocationChannel({ url });
  },
  async sendRaw(channel, payloads) {
    await withClient(redisServer().url, async (client) => {
      for (const payload of payloads) await client.publish(channel, payload);
    });
  },
  subscriberCount: (channel) =>
    withClient(redisServer().url, async (client) => {
      const reply = await client.pubsub('NUMSUB', channel);
      expect(reply).toEqual([channel, expect.any(Number)]);
      return reply[1] as number;
    }),
});

describe('Redis revocation channel', () => {
  async function open(channel: string, record: Recorded, url = redisServer().url): Promise<RedisRevocationChannel> {
    const created = await createRedisRevocationChannel({ url, channel, logger: record.logger });
    opened.push(created);
    created.subscribe((event) => record.events.push(event));
    return created;
  }

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
      expect(b.events.slice(-2)).toEqual([
        { type: 'session', sessionId: 5 },
        { type: 'api_key', apiKeyId: 6 },
      ]);
    } finally {
      await Promise.all(opened.splice(0).map((channel) => channel.close()));
      await own.stop();
    }
  });
});
