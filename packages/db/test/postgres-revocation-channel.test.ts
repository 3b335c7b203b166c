import { performance } from 'node:perf_hooks';
import { UnavailableError, type Logger, type RevocationEvent } from '@gatehouse/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresRevocationChannel, type PostgresRevocationChannel } from '../src/index.js';
import { createTestDatabase, postgresAdminUrl, withClient, type TestDatabase } from './support/postgres.js';

let database: TestDatabase | undefined;
let count = 0;
const opened: PostgresRevocationChannel[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((channel) => channel.close()));
});

afterAll(async () => {
  await database?.drop();
});

function testDatabase(): TestDatabase {
  if (!database) throw new Error('the test database was not created');
  return database;
}

/** Every test gets its own NOTIFY channel, so nothing leaks between tests sharing the database. */
function freshChannelName(): string {
  return `revocations_test_${++count}`;
}

function urlWithApplicationName(name: string): string {
  const url = new URL(testDatabase().url);
  url.searchParams.set('application_name', name);
  return url.toString();
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

async function open(channel: string, record: Recorded, connectionString = testDatabase().url): Promise<PostgresRevocationChannel> {
  const created = await createPostgresRevocationChannel({ connectionString, channel, logger: record.logger });
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

describe('PostgreSQL revocation channel', () => {
  it('carries events between instances within 100 ms and never echoes them to their publisher', async () => {
    const name = freshChannelName();
    const a = recorder();
    const b = recorder();
    const channelA = await open(name, a);
    const channelB = await open(name, b);
    expect(channelA.isLive()).toBe(true);

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

    // Long enough for any echo of their own NOTIFY to have come back.
    await sleep(150);
    expect(a.events).toEqual([fromA, fromB]);
    expect(b.events).toEqual([fromA, fromB]);
  });

  it('drops malformed notifications and passes only the known fields of valid ones', async () => {
    const name = freshChannelName();
    const a = recorder();
    await open(name, a);

    const malformed = [
      'not json',
      '[]',
      '{}',
      JSON.stringify({ e: { type: 'all' } }),
      JSON.stringify({ o: '', e: { type: 'all' } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'everything' } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'user' } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'user', userId: '7' } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'session', sessionId: 1.5 } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'api_key', apiKeyId: 2 ** 53 } }),
      JSON.stringify({ o: 'elsewhere', e: { type: 'user_sessions', sessionId: 3 } }),
      JSON.stringify({ o: 'elsewhere', e: null }),
    ];
    await withClient(testDatabase().url, async (client) => {
      for (const payload of malformed) await client.query('SELECT pg_notify($1, $2)', [name, payload]);
      await client.query('SELECT pg_notify($1, $2)', [name, JSON.stringify({ o: 'elsewhere', e: { type: 'api_key', apiKeyId: 4, role: 'ADMIN' } })]);
      // A bare NOTIFY carries no payload at all.
      await client.query(`NOTIFY ${client.escapeIdentifier(name)}`);
      await client.query('SELECT pg_notify($1, $2)', [name, JSON.stringify({ o: 'elsewhere', e: { type: 'all' } })]);
    });

    // One session's notifications arrive in order: once the last one is here, all were handled.
    await waitFor('the final valid event', () => a.events.length === 2, 2_000);
    expect(a.events).toStrictEqual([{ type: 'api_key', apiKeyId: 4 }, { type: 'all' }]);
    expect(a.warnings.filter((message) => message.includes('malformed'))).toHaveLength(malformed.length + 1);
  });

  it('goes dead when its connection is killed, keeps publishing locally, and catches up after the reconnect', async () => {
    const db = testDatabase();
    const name = freshChannelName();
    const victimName = `gatehouse_victim_${count}`;
    const a = recorder();
    const b = recorder();
    const channelA = await open(name, a, urlWithApplicationName(victimName));
    const channelB = await open(name, b);

    // Refuse new connections so the outage lasts until the test ends it.
    await withClient(postgresAdminUrl(), (admin) => admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`));
    try {
      // From the admin database: the test database takes no new connections now.
      const killed = await withClient(postgresAdminUrl(), (admin) =>
        admin.query<{ killed: boolean }>(
          'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
          [db.name, victimName],
        ),
      );
      expect(killed.rows).toEqual([{ killed: true }]);
      await waitFor('A to notice its connection is gone', () => !channelA.isLive(), 500);
      expect(a.warnings.some((message) => message.includes('lost its PostgreSQL connection'))).toBe(true);

      const whileDown: RevocationEvent = { type: 'user_sessions', userId: 42 };
      await channelA.publish(whileDown);
      expect(a.events).toEqual([whileDown]);

      // Several failed reconnects (100, 200, 400 ms…): still dead, nothing reached B.
      await sleep(400);
      expect(channelA.isLive()).toBe(false);
      expect(b.events).toEqual([]);
      expect(channelB.isLive()).toBe(true);
    } finally {
      await withClient(postgresAdminUrl(), (admin) => admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`));
    }

    // Backoff is capped at 1 s.
    await waitFor('A to listen again', () => channelA.isLive(), 2_500);
    expect(a.events).toEqual([{ type: 'user_sessions', userId: 42 }, { type: 'all' }]);
    await waitFor('the queued event to reach B', () => b.events.length === 1, 1_000);
    expect(b.events).toEqual([{ type: 'user_sessions', userId: 42 }]);

    // And the new connection carries traffic both ways.
    await channelB.publish({ type: 'session', sessionId: 5 });
    await waitFor('A to receive B’s event after the reconnect', () => a.events.length === 3, 1_000);
    await channelA.publish({ type: 'api_key', apiKeyId: 6 });
    await waitFor('B to receive A’s event after the reconnect', () => b.events.length === 3, 1_000);
    expect(b.events).toEqual([{ type: 'user_sessions', userId: 42 }, { type: 'session', sessionId: 5 }, { type: 'api_key', apiKeyId: 6 }]);
    expect(a.events).toEqual([{ type: 'user_sessions', userId: 42 }, { type: 'all' }, { type: 'session', sessionId: 5 }, { type: 'api_key', apiKeyId: 6 }]);
  });

  it('collapses an overflowing backlog into one { type: all } for the other instances', async () => {
    const db = testDatabase();
    const name = freshChannelName();
    const victimName = `gatehouse_victim_${count}`;
    const a = recorder();
    const b = recorder();
    const channelA = await open(name, a, urlWithApplicationName(victimName));
    await open(name, b);

    await withClient(postgresAdminUrl(), async (admin) => {
      await admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [db.name, victimName]);
    });
    try {
      await waitFor('A to notice its connection is gone', () => !channelA.isLive(), 500);
      for (let userId = 1; userId <= 1_001; userId++) await channelA.publish({ type: 'user', userId });
      expect(a.events).toHaveLength(1_001);
      expect(a.warnings.some((message) => message.includes('backlog overflowed'))).toBe(true);
    } finally {
      await withClient(postgresAdminUrl(), (admin) => admin.query(`ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`));
    }

    await waitFor('A to listen again', () => channelA.isLive(), 2_500);
    await waitFor('the collapsed backlog to reach B', () => b.events.length > 0, 1_000);
    await sleep(100);
    expect(b.events).toEqual([{ type: 'all' }]);
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
  });

  it('refuses to start without a database, and rejects an unusable channel name', async () => {
    await expect(createPostgresRevocationChannel({ connectionString: 'postgres://gatehouse@127.0.0.1:1/none' })).rejects.toBeInstanceOf(UnavailableError);
    await expect(createPostgresRevocationChannel({ connectionString: testDatabase().url, channel: '' })).rejects.toBeInstanceOf(TypeError);
    await expect(createPostgresRevocationChannel({ connectionString: testDatabase().url, channel: 'x'.repeat(64) })).rejects.toBeInstanceOf(TypeError);
  });
});
