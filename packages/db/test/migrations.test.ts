import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '@gatehouse-auth/core';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCHEMA_VERSION,
  SchemaVersionError,
  createPostgresStore,
  createSqliteStore,
  migrateToLatest,
  type GatehouseDatabase,
} from '../src/index.js';
import { createTestDatabase, withClient, type TestDatabase } from './support/postgres.js';

const T0 = 1_700_000_000_000;
const NEWER_MESSAGE = `Database schema version ${SCHEMA_VERSION + 1} is newer than the newest version this @gatehouse-auth/db knows (${SCHEMA_VERSION}); upgrade Gatehouse before using this database`;
const TABLES = [
  'access_tokens',
  'api_keys',
  'audit_events',
  'gatehouse_migrations',
  'logout_token_jtis',
  'mfa_challenges',
  'mfa_recovery_codes',
  'mfa_totp_factors',
  'password_reset_tokens',
  'refresh_tokens',
  'session_idp_links',
  'sessions',
  'user_roles',
  'users',
  'webauthn_challenges',
  'webauthn_credentials',
];

const member = (n: number) => ({
  username: `member${n}`,
  email: `member${n}@example.com`,
  role: 'MEMBER' as const,
  authMethod: 'LOCAL' as const,
  passwordHash: 'hash',
  resetPassword: true,
  createdAt: T0,
});

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, it resolved');
}

function expectSchemaTooNew(error: unknown): void {
  expect(error).toBeInstanceOf(SchemaVersionError);
  expect(error).toMatchObject({
    code: 'internal',
    message: NEWER_MESSAGE,
    databaseVersion: SCHEMA_VERSION + 1,
    supportedVersion: SCHEMA_VERSION,
  });
}

// Versions are assigned per change and may have gaps until they are renumbered at release.
const VERSIONS = [
  { version: 1, name: 'initial' },
  { version: 2, name: 'ldap_users' },
  { version: 3, name: 'session_details' },
  { version: 4, name: 'oidc_logout' },
  { version: 5, name: 'audit_events' },
  { version: 6, name: 'mfa' },
  { version: 7, name: 'passkeys' },
];

it("SCHEMA_VERSION is the last migration's version (7: passkeys)", () => {
  expect(SCHEMA_VERSION).toBe(7);
});

describe('SQLite migrations', () => {
  let directory = '';
  let count = 0;
  const nextFile = () => join(directory, `db-${++count}.sqlite`);

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-migrations-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  function inspect<T>(filename: string, fn: (db: Database.Database) => T): T {
    const db = new Database(filename);
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  const schemaOf = (filename: string) =>
    inspect(filename, (db) =>
      db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all(),
    );

  it('upgrades a version-1 database to LDAP users without losing a row (the users table is rebuilt, nothing cascades)', async () => {
    const filename = nextFile();
    const db = new Kysely<GatehouseDatabase>({ dialect: new SqliteDialect({ database: new Database(filename) }) });
    try {
      expect(await migrateToLatest(db, 'sqlite', { targetVersion: 1 })).toEqual({ previousVersion: 0, version: 1 });
      inspect(filename, (raw) => {
        raw.pragma('foreign_keys = ON');
        raw
          .prepare(
            `INSERT INTO users (role, username, email, auth_method, password_hash, reset_password, created_at, updated_at) VALUES ('MEMBER', 'old', 'old@example.com', 'LOCAL', 'h', 0, 1, 1)`,
          )
          .run();
        raw.prepare('INSERT INTO sessions (user_id, created_at, expires_at) VALUES (1, 1, 2)').run();
        expect(() =>
          raw
            .prepare(
              `INSERT INTO users (role, username, email, auth_method, created_at, updated_at) VALUES ('MEMBER', 'l', 'l@example.com', 'LDAP', 1, 1)`,
            )
            .run(),
        ).toThrow(/CHECK/);
      });
      expect(await migrateToLatest(db, 'sqlite')).toEqual({ previousVersion: 1, version: SCHEMA_VERSION });
    } finally {
      await db.destroy();
    }
    inspect(filename, (raw) => {
      raw.pragma('foreign_keys = ON');
      expect(raw.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1);
      expect(raw.prepare('SELECT username, ldap_unique_id FROM users').all()).toEqual([
        { username: 'old', ldap_unique_id: null },
      ]);
      raw
        .prepare(
          `INSERT INTO users (role, username, email, auth_method, ldap_unique_id, created_at, updated_at) VALUES ('MEMBER', 'l', 'l@example.com', 'LDAP', 'abc', 1, 1)`,
        )
        .run();
      expect(() =>
        raw
          .prepare(
            `INSERT INTO users (role, username, email, auth_method, ldap_unique_id, created_at, updated_at) VALUES ('MEMBER', 'l2', 'l2@example.com', 'LDAP', 'abc', 1, 1)`,
          )
          .run(),
      ).toThrow(/UNIQUE/);
      expect(() =>
        raw
          .prepare(
            `INSERT INTO users (role, username, email, auth_method, password_hash, created_at, updated_at) VALUES ('MEMBER', 'l3', 'l3@example.com', 'LDAP', 'h', 1, 1)`,
          )
          .run(),
      ).toThrow(/CHECK/);
      // The cascade still works on the rebuilt table.
      raw.prepare("DELETE FROM users WHERE username = 'old'").run();
      expect(raw.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);
    });
  });

  it('upgrades a version-6 database to passkeys: sessions keep their sign-in method, which may now be passkey', async () => {
    const filename = nextFile();
    const db = new Kysely<GatehouseDatabase>({ dialect: new SqliteDialect({ database: new Database(filename) }) });
    try {
      expect(await migrateToLatest(db, 'sqlite', { targetVersion: 6 })).toEqual({ previousVersion: 0, version: 6 });
      inspect(filename, (raw) => {
        raw
          .prepare(
            `INSERT INTO users (role, username, email, auth_method, password_hash, reset_password, created_at, updated_at) VALUES ('MEMBER', 'old', 'old@example.com', 'LOCAL', 'h', 0, 1, 1)`,
          )
          .run();
        raw
          .prepare(`INSERT INTO sessions (user_id, created_at, expires_at, sign_in_method) VALUES (1, 1, 2, 'ldap')`)
          .run();
        raw.prepare('INSERT INTO sessions (user_id, created_at, expires_at) VALUES (1, 1, 2)').run();
        raw
          .prepare('INSERT INTO refresh_tokens (session_id, user_id, created_at, expires_at) VALUES (1, 1, 1, 2)')
          .run();
      });
      expect(await migrateToLatest(db, 'sqlite')).toEqual({ previousVersion: 6, version: SCHEMA_VERSION });
    } finally {
      await db.destroy();
    }
    const store = await createSqliteStore({ filename });
    try {
      expect((await store.findSession(1))?.signInMethod).toBe('ldap');
      expect((await store.findSession(2))?.signInMethod).toBeNull();
      const session = await store.insertSession({ signInMethod: 'passkey', userId: 1, createdAt: 3, expiresAt: 4 });
      expect((await store.findSession(session.id))?.signInMethod).toBe('passkey');
    } finally {
      await store.close();
    }
    inspect(filename, (raw) => {
      expect(() =>
        raw
          .prepare(`INSERT INTO sessions (user_id, created_at, expires_at, sign_in_method) VALUES (1, 1, 2, 'magic')`)
          .run(),
      ).toThrow(/CHECK/);
      // The cascade from users still reaches sessions and their tokens.
      raw.prepare("DELETE FROM users WHERE username = 'old'").run();
      expect(raw.prepare('SELECT count(*) FROM refresh_tokens').pluck().get()).toBe(0);
    });
  });

  it('upgrades a version-2 database to session details: old sessions and keys read back with nothing recorded', async () => {
    const filename = nextFile();
    const db = new Kysely<GatehouseDatabase>({ dialect: new SqliteDialect({ database: new Database(filename) }) });
    try {
      expect(await migrateToLatest(db, 'sqlite', { targetVersion: 2 })).toEqual({ previousVersion: 0, version: 2 });
      inspect(filename, (raw) => {
        raw
          .prepare(
            `INSERT INTO users (role, username, email, auth_method, password_hash, reset_password, created_at, updated_at) VALUES ('MEMBER', 'old', 'old@example.com', 'LOCAL', 'h', 0, 1, 1)`,
          )
          .run();
        raw.prepare('INSERT INTO sessions (user_id, created_at, expires_at) VALUES (1, 1, 2)').run();
        raw.prepare(`INSERT INTO api_keys (user_id, kind, name, created_at) VALUES (1, 'user', 'k', 1)`).run();
      });
      expect(await migrateToLatest(db, 'sqlite')).toEqual({ previousVersion: 2, version: SCHEMA_VERSION });
    } finally {
      await db.destroy();
    }
    const store = await createSqliteStore({ filename });
    try {
      expect(await store.findSession(1)).toEqual({
        id: 1,
        userId: 1,
        createdAt: 1,
        expiresAt: 2,
        signInMethod: null,
        idp: null,
        clientAddress: null,
        userAgent: null,
        lastRefreshedAt: null,
      });
      expect((await store.findApiKey(1))?.secretId).toBeNull();
    } finally {
      await store.close();
    }
    inspect(filename, (raw) => {
      expect(() =>
        raw
          .prepare(`INSERT INTO sessions (user_id, created_at, expires_at, sign_in_method) VALUES (1, 1, 2, 'magic')`)
          .run(),
      ).toThrow(/CHECK/);
    });
  });

  it('upgrades a version-2 database to OIDC logout: sessions kept, links and logout-token ids usable, a link goes with its session', async () => {
    const filename = nextFile();
    const db = new Kysely<GatehouseDatabase>({ dialect: new SqliteDialect({ database: new Database(filename) }) });
    try {
      expect(await migrateToLatest(db, 'sqlite', { targetVersion: 2 })).toEqual({ previousVersion: 0, version: 2 });
      inspect(filename, (raw) => {
        raw
          .prepare(
            `INSERT INTO users (role, username, email, auth_method, created_at, updated_at) VALUES ('MEMBER', 'sso', 'sso@example.com', 'OAUTH2', 1, 1)`,
          )
          .run();
        raw.prepare('INSERT INTO sessions (user_id, created_at, expires_at) VALUES (1, 1, 2)').run();
      });
      expect(await migrateToLatest(db, 'sqlite')).toEqual({ previousVersion: 2, version: SCHEMA_VERSION });
    } finally {
      await db.destroy();
    }
    inspect(filename, (raw) => {
      raw.pragma('foreign_keys = ON');
      expect(raw.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1);
      raw
        .prepare(
          `INSERT INTO session_idp_links (session_id, idp, subject, sid, sealed_id_token) VALUES (1, 'acme', 'sub', 'sid', NULL)`,
        )
        .run();
      expect(() =>
        raw.prepare(`INSERT INTO session_idp_links (session_id, idp, subject) VALUES (99, 'acme', 'sub')`).run(),
      ).toThrow(/FOREIGN KEY/);
      raw.prepare(`INSERT INTO logout_token_jtis (issuer, jti, expires_at) VALUES ('https://op', 'j', 1)`).run();
      expect(() =>
        raw.prepare(`INSERT INTO logout_token_jtis (issuer, jti, expires_at) VALUES ('https://op', 'j', 2)`).run(),
      ).toThrow(/UNIQUE|PRIMARY/);
      raw.prepare('DELETE FROM sessions').run();
      expect(raw.prepare('SELECT count(*) FROM session_idp_links').pluck().get()).toBe(0);
    });
  });

  it('creates the schema in WAL mode, seeds the roles and stamps the version', async () => {
    const filename = nextFile();
    await (await createSqliteStore({ filename })).close();
    inspect(filename, (db) => {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .pluck()
        .all();
      expect(tables).toEqual(TABLES);
      expect(db.prepare('SELECT name FROM user_roles ORDER BY name').pluck().all()).toEqual([
        'ADMIN',
        'MEMBER',
        'SYSTEM',
        'VIEWER',
      ]);
      expect(db.prepare('SELECT version, name FROM gatehouse_migrations ORDER BY version').all()).toEqual(VERSIONS);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    });
  });

  it('the audit table is append-only: an UPDATE is refused by the database itself, a DELETE (the retention sweep) is not', async () => {
    const filename = nextFile();
    const store = await createSqliteStore({ filename });
    await store.appendAuditEvents([
      {
        type: 'sign_out',
        details: { sessionsEnded: 1 },
        occurredAt: 1,
        actor: { kind: 'user', userId: 1 },
        subjectUserId: 1,
        clientAddress: null,
        userAgent: null,
        requestId: null,
      },
    ]);
    await store.close();
    inspect(filename, (db) => {
      expect(() => db.prepare("UPDATE audit_events SET type = 'forged'").run()).toThrow(/append-only/);
      expect(db.prepare('DELETE FROM audit_events').run().changes).toBe(1);
    });
  });

  it('is idempotent: running again (store or migrateToLatest) changes nothing', async () => {
    const filename = nextFile();
    const db = new Kysely<GatehouseDatabase>({ dialect: new SqliteDialect({ database: new Database(filename) }) });
    try {
      expect(await migrateToLatest(db, 'sqlite')).toEqual({ previousVersion: 0, version: SCHEMA_VERSION });
      const before = schemaOf(filename);
      expect(await migrateToLatest(db, 'sqlite')).toEqual({ previousVersion: SCHEMA_VERSION, version: SCHEMA_VERSION });
      await (await createSqliteStore({ filename })).close();
      expect(schemaOf(filename)).toEqual(before);
      expect(inspect(filename, (raw) => raw.prepare('SELECT count(*) FROM gatehouse_migrations').pluck().get())).toBe(
        VERSIONS.length,
      );
    } finally {
      await db.destroy();
    }
  });

  it('reopening the same file keeps the data', async () => {
    const filename = nextFile();
    const first = await createSqliteStore({ filename });
    const user = await first.insertUser(member(1));
    const session = await first.insertSession({
      signInMethod: 'password',
      userId: user.id,
      createdAt: T0,
      expiresAt: T0 + 1000,
    });
    await first.close();

    const second = await createSqliteStore({ filename });
    try {
      expect(await second.findUserById(user.id)).toEqual(user);
      expect(await second.findSession(session.id)).toEqual(session);
      // AUTOINCREMENT: ids continue after the reopen.
      expect((await second.insertUser(member(2))).id).toBeGreaterThan(user.id);
    } finally {
      await second.close();
    }
  });

  it('refuses a database stamped with a newer schema version, and leaves it alone', async () => {
    const filename = nextFile();
    await (await createSqliteStore({ filename })).close();
    inspect(filename, (db) =>
      db
        .prepare("INSERT INTO gatehouse_migrations (version, name, applied_at) VALUES (?, 'from_the_future', ?)")
        .run(SCHEMA_VERSION + 1, T0),
    );
    const before = schemaOf(filename);

    expectSchemaTooNew(await rejectionOf(createSqliteStore({ filename })));
    expect(schemaOf(filename)).toEqual(before);
    // The refused store released the file: another connection can write.
    inspect(filename, (db) => db.prepare('DELETE FROM gatehouse_migrations WHERE version = ?').run(SCHEMA_VERSION + 1));
    await (await createSqliteStore({ filename })).close();
  });

  it('creates missing parent directories', async () => {
    const filename = join(directory, 'nested', 'deeper', 'auth.db');
    const store = await createSqliteStore({ filename });
    await store.insertUser(member(1));
    await store.close();
    expect(inspect(filename, (db) => db.prepare('SELECT count(*) FROM users').pluck().get())).toBe(1);
  });

  it('works in memory too', async () => {
    const store = await createSqliteStore({ filename: ':memory:' });
    try {
      const user = await store.insertUser(member(1));
      expect(await store.findUserByEmail('MEMBER1@example.com')).toEqual(user);
    } finally {
      await store.close();
    }
  });

  it.each([
    [
      'the path is a directory',
      async (base: string) => {
        const path = join(base, 'a-directory');
        await mkdir(path);
        return path;
      },
    ],
    [
      'a parent is a regular file',
      async (base: string) => {
        const file = join(base, 'a-file');
        await writeFile(file, 'not a directory');
        return join(file, 'auth.db');
      },
    ],
  ])('a file that cannot be opened is UnavailableError (%s)', async (_label, makePath) => {
    const base = await mkdtemp(join(directory, 'unopenable-'));
    const error = await rejectionOf(createSqliteStore({ filename: await makePath(base) }));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'unavailable', message: 'Authentication store unavailable' });
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('PostgreSQL migrations', () => {
  let database: TestDatabase | undefined;
  let count = 0;
  const url = () => {
    if (!database) throw new Error('the test database was not created');
    return database.url;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  const tablesIn = (schema: string) =>
    withClient(url(), async (client) => {
      const { rows } = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      return rows.map((row) => row.table_name);
    });

  const schemaDump = (schema: string) =>
    withClient(url(), async (client) => {
      const columns = await client.query(
        'SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, column_name',
        [schema],
      );
      const indexes = await client.query(
        'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
        [schema],
      );
      const constraints = await client.query(
        'SELECT conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 ORDER BY conname',
        [schema],
      );
      return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
    });

  it('creates the schema (default search_path), seeds the roles and stamps the version; a second run changes nothing', async () => {
    const store = await createPostgresStore({ connectionString: url() });
    await store.close();
    expect(await tablesIn('public')).toEqual(TABLES);
    const before = await schemaDump('public');
    await withClient(url(), async (client) => {
      expect(
        (await client.query('SELECT name FROM user_roles ORDER BY name')).rows.map((r: { name: string }) => r.name),
      ).toEqual(['ADMIN', 'MEMBER', 'SYSTEM', 'VIEWER']);
      expect((await client.query('SELECT version, name FROM gatehouse_migrations ORDER BY version')).rows).toEqual(
        VERSIONS,
      );
    });

    await (await createPostgresStore({ connectionString: url() })).close();
    const db = new Kysely<GatehouseDatabase>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url() }) }),
    });
    try {
      expect(await migrateToLatest(db, 'postgres')).toEqual({
        previousVersion: SCHEMA_VERSION,
        version: SCHEMA_VERSION,
      });
    } finally {
      await db.destroy();
    }
    expect(await schemaDump('public')).toEqual(before);
    await withClient(url(), async (client) => {
      expect((await client.query('SELECT count(*)::int AS n FROM gatehouse_migrations')).rows).toEqual([
        { n: VERSIONS.length },
      ]);
    });
  });

  it('the audit table is append-only: an UPDATE is refused by a trigger, a DELETE (the retention sweep) is not', async () => {
    const store = await createPostgresStore({ connectionString: url(), schema: 'audit_append_only' });
    await store.appendAuditEvents([
      {
        type: 'sign_out',
        details: { sessionsEnded: 1 },
        occurredAt: 1,
        actor: { kind: 'user', userId: 1 },
        subjectUserId: 1,
        clientAddress: null,
        userAgent: null,
        requestId: null,
      },
    ]);
    await store.close();
    await withClient(url(), async (client) => {
      await expect(client.query("UPDATE audit_append_only.audit_events SET type = 'forged'")).rejects.toThrow(
        /append-only/,
      );
      expect((await client.query('DELETE FROM audit_append_only.audit_events')).rowCount).toBe(1);
    });
  });

  it('uses bigint identity ids and bigint epoch-ms timestamps', async () => {
    const { columns } = await schemaDump('public');
    const users = columns.filter((c: { table_name: string }) => c.table_name === 'users');
    expect(users.find((c: { column_name: string }) => c.column_name === 'id')).toMatchObject({
      data_type: 'bigint',
      is_identity: 'YES',
    });
    expect(users.find((c: { column_name: string }) => c.column_name === 'created_at')).toMatchObject({
      data_type: 'bigint',
      is_nullable: 'NO',
    });
  });

  it('reopening keeps the data', async () => {
    const first = await createPostgresStore({ connectionString: url() });
    const user = await first.insertUser(member(++count));
    await first.close();
    const second = await createPostgresStore({ connectionString: url() });
    try {
      expect(await second.findUserById(user.id)).toEqual(user);
    } finally {
      await second.close();
    }
  });

  it('the schema option keeps every table in that schema', async () => {
    const schema = `tenant_${++count}`;
    const store = await createPostgresStore({ connectionString: url(), schema });
    try {
      await store.insertUser(member(count));
      expect(await tablesIn(schema)).toEqual(TABLES);
      await withClient(url(), async (client) => {
        expect((await client.query(`SELECT count(*)::int AS n FROM ${schema}.users`)).rows).toEqual([{ n: 1 }]);
      });
    } finally {
      await store.close();
    }
  });

  it('stores starting together migrate once (advisory lock)', async () => {
    const schema = `together_${++count}`;
    const stores = await Promise.all(
      Array.from({ length: 6 }, () => createPostgresStore({ connectionString: url(), schema })),
    );
    await Promise.all(stores.map((store) => store.close()));
    await withClient(url(), async (client) => {
      expect((await client.query(`SELECT version FROM ${schema}.gatehouse_migrations ORDER BY version`)).rows).toEqual(
        VERSIONS.map(({ version }) => ({ version })),
      );
      expect((await client.query(`SELECT count(*)::int AS n FROM ${schema}.user_roles`)).rows).toEqual([{ n: 4 }]);
    });
  });

  it('refuses a database stamped with a newer schema version, and leaves it alone', async () => {
    const schema = `future_${++count}`;
    await (await createPostgresStore({ connectionString: url(), schema })).close();
    await withClient(url(), (client) =>
      client.query(
        `INSERT INTO ${schema}.gatehouse_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', $2)`,
        [SCHEMA_VERSION + 1, T0],
      ),
    );
    const before = await schemaDump(schema);
    expectSchemaTooNew(await rejectionOf(createPostgresStore({ connectionString: url(), schema })));
    expect(await schemaDump(schema)).toEqual(before);
  });

  it('borrows a host pool: numbers without our int8 parser, and close() leaves the pool open', async () => {
    const pool = new pg.Pool({ connectionString: url(), max: 3 });
    try {
      const store = await createPostgresStore({ pool, schema: `borrowed_${++count}` });
      const user = await store.insertUser(member(count));
      expect(typeof user.id).toBe('number');
      expect(user.createdAt).toBe(T0);
      expect(await store.countUsersByRole('MEMBER')).toBe(1);
      expect(await store.deleteSessionsOfUser(user.id)).toEqual([]);
      await store.close();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('a pool the host has ended makes calls UnavailableError', async () => {
    const pool = new pg.Pool({ connectionString: url(), max: 2 });
    const store = await createPostgresStore({ pool, schema: `ended_${++count}` });
    await pool.end();
    const error = await rejectionOf(store.findUserById(1));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'unavailable', message: 'Authentication store unavailable' });
    await store.close();
  });

  it('an unreachable server is UnavailableError with the connection error as cause', async () => {
    const error = await rejectionOf(
      createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/nothing' }),
    );
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: 'unavailable', message: 'Authentication store unavailable' });
    expect(((error as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });
});
