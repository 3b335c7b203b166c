/**
 * The miss path's two reads (issue 16, item 3) go to the driver directly: a prepared statement on
 * SQLite, a named statement on PostgreSQL. The contract suite proves they answer like the Kysely
 * queries; this file proves what is particular to them: one PostgreSQL query per read, and never a
 * SQLite transaction's uncommitted rows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthStore } from '@gatehouse-auth/core';
import { createPostgresStore, createSqliteStore } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

const T0 = 1_700_000_000_000;

async function seed(store: AuthStore) {
  const user = await store.insertUser({ username: 'u', email: 'u@example.com', role: 'MEMBER', authMethod: 'LOCAL', passwordHash: 'x', resetPassword: false, createdAt: T0 });
  const key = await store.insertApiKey({ userId: user.id, kind: 'user', name: 'k', description: null, createdAt: T0, expiresAt: null });
  const session = await store.insertSession({ signInMethod: 'password', userId: user.id, createdAt: T0, expiresAt: T0 + 3_600_000 });
  const refresh = await store.insertRefreshToken({ sessionId: session.id, userId: user.id, createdAt: T0, expiresAt: T0 + 3_600_000 });
  const access = await store.insertAccessToken({ sessionId: session.id, userId: user.id, refreshTokenId: refresh.id, createdAt: T0, expiresAt: T0 + 600_000 });
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
      expect(await store.findApiKeyGrant(key.id)).toEqual({ id: key.id, userId: user.id, kind: 'user', expiresAt: null, role: 'MEMBER' });
      expect(queries).toBe(1);
      queries = 0;
      expect(await store.findAccessTokenGrant(access.id)).toEqual({ id: access.id, sessionId: access.sessionId, userId: user.id, expiresAt: T0 + 600_000, role: 'MEMBER' });
      expect(queries).toBe(1);
    }
    await store.close();
    await pool.end();
  });
});
