/**
 * The miss path's two reads (a credential not yet cached) go to the driver directly: a prepared statement on
 * SQLite, a named statement on PostgreSQL. The contract suite proves they answer like the Kysely
 * queries; this file proves what is particular to them: one PostgreSQL query per read, never a
 * SQLite transaction's uncommitted rows, and right answers when the server does not keep named
 * statements (DISCARD ALL, DEALLOCATE ALL, a name already taken, a changed column, a real PgBouncer
 * in transaction mode), after which the store stops trying them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthStore } from '@gatehouse-auth/core';
import { createPostgresStore, createSqliteStore } from '../src/index.js';
import { startPgBouncer } from './support/pgbouncer.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

const T0 = 1_700_000_000_000;

let seeds = 0;

async function seed(store: AuthStore) {
  const n = seeds++;
  const user = await store.insertUser({
    username: `u${n}`,
    email: `u${n}@example.com`,
    role: 'MEMBER',
    authMethod: 'LOCAL',
    passwordHash: 'x',
    resetPassword: false,
    createdAt: T0,
  });
  const key = await store.insertApiKey({
    userId: user.id,
    kind: 'user',
    name: 'k',
    description: null,
    createdAt: T0,
    expiresAt: null,
  });
  const session = await store.insertSession({
    signInMethod: 'password',
    userId: user.id,
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
  });
  const refresh = await store.insertRefreshToken({
    sessionId: session.id,
    userId: user.id,
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
  });
  const access = await store.insertAccessToken({
    sessionId: session.id,
    userId: user.id,
    refreshTokenId: refresh.id,
    createdAt: T0,
    expiresAt: T0 + 600_000,
  });
  return { user, key, access };
}

describe('SQLite grant reads', () => {
  let directory = '';
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'gatehouse-grant-reads-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("never see an open transaction's uncommitted rows: a read during one waits for its end", async () => {
    const store = await createSqliteStore({ filename: join(directory, 'tx.db') });
    const { key, access } = await seed(store);
    const outside: Promise<unknown>[] = [];
    await expect(
      store.transaction(async (tx) => {
        await tx.deleteApiKey(key.id);
        await tx.deleteSession(access.id);
        // Not awaited here: on SQLite's one connection they can only run once the transaction ends.
        outside.push(store.findApiKeyGrant(key.id), store.findAccessTokenGrant(access.id));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const [keyGrant, accessGrant] = await Promise.all(outside);
    expect(keyGrant).toMatchObject({ id: key.id, role: 'MEMBER' });
    expect(accessGrant).toMatchObject({ id: access.id, role: 'MEMBER' });
    await store.close();
  });

  it('answer after close with the typed unavailable error', async () => {
    const store = await createSqliteStore({ filename: join(directory, 'closed.db') });
    const { key } = await seed(store);
    await store.close();
    await expect(store.findApiKeyGrant(key.id)).rejects.toMatchObject({ code: 'unavailable' });
  });
});

interface Traffic {
  /** Named statements sent (whatever their outcome). */
  named: number;
  /** SQLSTATEs of the named statements that failed. */
  failures: string[];
}

/**
 * Counts every named statement the pool's clients send, and how they fail. pg-pool's `query` hands
 * the client a callback; Kysely's connections use the promise form: both are seen.
 */
function watch(pool: pg.Pool): Traffic {
  const traffic: Traffic = { named: 0, failures: [] };
  // A database dropped at the end of the file must not crash the run through an idle client.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const config = args[0] as { name?: unknown } | string;
      if (typeof config !== 'object' || typeof config.name !== 'string') return query(...args);
      traffic.named++;
      const failed = (error: { code?: string } | null | undefined) => {
        if (error) traffic.failures.push(error.code ?? 'none');
      };
      const callback = args.at(-1);
      if (typeof callback === 'function') {
        args[args.length - 1] = (error: { code?: string } | null, result: unknown) => {
          failed(error);
          (callback as (error: unknown, result: unknown) => void)(error, result);
        };
        return query(...args);
      }
      const result = query(...args) as Promise<unknown>;
      result.catch(failed);
      return result;
    };
  });
  return traffic;
}

describe('PostgreSQL grant reads', () => {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it.each([undefined, 'grant "reads"'])('are one query (one round trip) each, schema %j', async (schema) => {
    const pool = new pg.Pool({ connectionString: database!.url });
    let queries = 0;
    // Every statement a client sends, whoever sends it (Kysely or the store's own reads).
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        queries++;
        return query(...args);
      };
    });
    const store = await createPostgresStore({ pool, ...(schema === undefined ? {} : { schema }) });
    const { user, key, access } = await seed(store);
    for (let round = 0; round < 3; round++) {
      queries = 0;
      expect(await store.findApiKeyGrant(key.id)).toEqual({
        id: key.id,
        userId: user.id,
        kind: 'user',
        expiresAt: null,
        role: 'MEMBER',
        username: user.username,
        email: user.email,
        authMethod: user.authMethod,
      });
      expect(queries).toBe(1);
      queries = 0;
      expect(await store.findAccessTokenGrant(access.id)).toEqual({
        id: access.id,
        sessionId: access.sessionId,
        userId: user.id,
        expiresAt: T0 + 600_000,
        role: 'MEMBER',
        username: user.username,
        email: user.email,
        authMethod: user.authMethod,
      });
      expect(queries).toBe(1);
    }
    await store.close();
    await pool.end();
  });

  const expectedGrants = (seeded: Awaited<ReturnType<typeof seed>>) => ({
    key: {
      id: seeded.key.id,
      userId: seeded.user.id,
      kind: 'user',
      expiresAt: null,
      role: 'MEMBER',
      username: seeded.user.username,
      email: seeded.user.email,
      authMethod: 'LOCAL',
    },
    access: {
      id: seeded.access.id,
      sessionId: seeded.access.sessionId,
      userId: seeded.user.id,
      expiresAt: T0 + 600_000,
      role: 'MEMBER',
      username: seeded.user.username,
      email: seeded.user.email,
      authMethod: 'LOCAL',
    },
  });

  /** Reads both grants `times` times and checks every answer. */
  async function readBoth(store: AuthStore, seeded: Awaited<ReturnType<typeof seed>>, times = 1) {
    const expected = expectedGrants(seeded);
    for (let i = 0; i < times; i++) {
      expect(await store.findApiKeyGrant(seeded.key.id)).toEqual(expected.key);
      expect(await store.findAccessTokenGrant(seeded.access.id)).toEqual(expected.access);
    }
  }

  // One connection, so the statement the test runs lands on the connection the reads use.
  it.each([
    ['DISCARD ALL', '26000'],
    ['DEALLOCATE ALL', '26000'],
  ])(
    "after %s on the pool's connection: the right answer without the named statement, then no more named attempts",
    async (statement, code) => {
      const pool = new pg.Pool({ connectionString: database!.url, max: 1 });
      const traffic = watch(pool);
      const store = await createPostgresStore({ pool });
      const seeded = await seed(store);
      await readBoth(store, seeded);
      expect(traffic).toEqual({ named: 2, failures: [] });

      await pool.query(statement);
      // pg still believes the statements are parsed on this connection and sends Bind only.
      await readBoth(store, seeded, 3);
      expect(traffic.failures).toEqual([code]);
      expect(traffic.named).toBe(3);
      await store.close();
      await pool.end();
    },
  );

  it('a name the server already holds (42P05) and a changed result type (0A000): right answers, then no more named attempts', async () => {
    // The store uses deterministic names: learn them from one store, then trip up the next.
    const names: string[] = [];
    const probe = new pg.Pool({ connectionString: database!.url, max: 1 });
    probe.on('error', () => {});
    probe.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const config = args[0] as { name?: unknown };
        if (typeof config === 'object' && typeof config.name === 'string') names.push(config.name);
        return query(...args);
      };
    });
    const first = await createPostgresStore({ pool: probe, schema: 'named_statements' });
    const seeded = await seed(first);
    await readBoth(first, seeded);
    await first.close();
    await probe.end();
    expect(names).toHaveLength(2);

    // 42P05: the server connection has the name, the pg client has never parsed it.
    const taken = new pg.Pool({ connectionString: database!.url, max: 1 });
    const takenTraffic = watch(taken);
    await taken.query(`PREPARE ${names[0]!} AS SELECT 1`);
    const second = await createPostgresStore({ pool: taken, schema: 'named_statements' });
    await readBoth(second, seeded, 2);
    expect(takenTraffic.failures).toEqual(['42P05']);
    expect(takenTraffic.named).toBe(1);
    await second.close();
    await taken.end();

    // 0A000: a column the statement returns changed type after it was planned.
    const changed = new pg.Pool({ connectionString: database!.url, max: 1 });
    const changedTraffic = watch(changed);
    const third = await createPostgresStore({ pool: changed, schema: 'named_statements' });
    await readBoth(third, seeded);
    await changed.query('ALTER TABLE named_statements.api_keys ALTER COLUMN kind TYPE varchar(16)');
    await readBoth(third, seeded, 2);
    expect(changedTraffic.failures).toEqual(['0A000']);
    expect(changedTraffic.named).toBe(3);
    await third.close();
    await changed.end();
  });

  it('`preparedStatements: false` never sends a named statement', async () => {
    const pool = new pg.Pool({ connectionString: database!.url });
    const traffic = watch(pool);
    const store = await createPostgresStore({ pool, preparedStatements: false });
    await readBoth(store, await seed(store), 2);
    expect(traffic).toEqual({ named: 0, failures: [] });
    await store.close();
    await pool.end();
  });

  it('behind a real PgBouncer in transaction mode: every read answers right, and named statements stop after the first failure', async () => {
    // Two server connections behind the bouncer; the store's pool has one client connection.
    const bouncer = await startPgBouncer(database!.url, 2);
    try {
      const pool = new pg.Pool({ connectionString: bouncer.url, max: 1 });
      const traffic = watch(pool);
      const store = await createPostgresStore({ pool, schema: 'behind_pgbouncer' });
      const seeded = await seed(store);
      await readBoth(store, seeded);
      // Another client holds a transaction, hence a server connection (the one that was just
      // used: PgBouncer reuses the most recent first); the next read gets the other one, which has
      // never parsed the statement. Rounds, in case the bouncer pairs them otherwise.
      const holder = new pg.Client({ connectionString: bouncer.url });
      holder.on('error', () => {});
      await holder.connect();
      for (let round = 0; round < 10 && traffic.failures.length === 0; round++) {
        await holder.query('BEGIN');
        await holder.query('SELECT 1');
        await readBoth(store, seeded);
        await holder.query('COMMIT');
        await readBoth(store, seeded);
      }
      await holder.end();
      expect(traffic.failures).toHaveLength(1);
      expect(['26000', '42P05']).toContain(traffic.failures[0]);
      const sent = traffic.named;
      await readBoth(store, seeded, 5);
      expect(traffic.named).toBe(sent);
      await store.close();
      await pool.end();
    } finally {
      await bouncer.close();
    }
  });
});
