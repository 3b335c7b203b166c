import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UnavailableError, type AuthStore } from '@gatehouse-auth/core';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { UNAVAILABLE_MESSAGE, toStoreError } from './errors.js';
import { migrateToLatest } from './migrations.js';
import type { GatehouseDatabase } from './schema.js';
import { toAccessTokenGrant, toApiKeyGrant } from './rows.js';
import { createKyselyStore, grantQueries, type GrantReads } from './store.js';

export interface SqliteStoreOptions {
  /** Path of the database file; it and its directory are created if missing. `:memory:` works too. */
  filename: string;
  /** How long a write waits for another process holding the file's lock. Default 5000 ms. */
  busyTimeoutMs?: number;
}

function isInMemory(filename: string): boolean {
  return filename === ':memory:' || filename === '' || filename.startsWith('file::memory:');
}

/**
 * Opens the file with WAL (readers never wait for the writer), foreign keys on (the cascades
 * depend on it; SQLite defaults to off per connection), synchronous=NORMAL (with WAL, a power
 * loss may drop the last commits but never corrupts the file) and a busy timeout, then migrates it.
 * better-sqlite3 is loaded here, not at import, so a PostgreSQL-only host never loads it.
 *
 * @example
 * ```ts
 * const store = await createSqliteStore({ filename: '.data/phoenix.db' });
 * const gh = await createGatehouse({ config: parseAuthEnv(process.env), store });
 * ```
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<AuthStore> {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const { default: Database } = await import('better-sqlite3');
  let database: BetterSqlite3.Database;
  try {
    if (!isInMemory(options.filename)) mkdirSync(dirname(resolve(options.filename)), { recursive: true });
    database = new Database(options.filename, { timeout: busyTimeoutMs });
  } catch (error) {
    throw toUnavailable(error);
  }

  const db = new Kysely<GatehouseDatabase>({ dialect: new SqliteDialect({ database }) });
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('foreign_keys = ON');
    database.pragma('synchronous = NORMAL');
    database.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
    await migrateToLatest(db, 'sqlite');
  } catch (error) {
    await db.destroy();
    throw toStoreError(error);
  }
  let grantReads: GrantReads;
  try {
    grantReads = sqliteGrantReads(database);
  } catch (error) {
    await db.destroy();
    throw toStoreError(error);
  }
  const description = isInMemory(options.filename) ? 'sqlite (in memory)' : `sqlite ${resolve(options.filename)}`;
  return createKyselyStore(db, { dialect: 'sqlite', grantReads, onClose: () => db.destroy(), description });
}

type AccessGrantRow = Parameters<typeof toAccessTokenGrant>[0];
type ApiKeyGrantRow = Parameters<typeof toApiKeyGrant>[0];

/**
 * The miss path's two reads as statements prepared once, run synchronously on the store's own
 * connection (a few µs, against ~100 µs through Kysely's compile and its async driver). Inside a
 * transaction they step aside (`undefined`): on the one shared connection they would see the
 * transaction's uncommitted rows; the Kysely path waits for it to end instead.
 */
function sqliteGrantReads(database: BetterSqlite3.Database): GrantReads {
  const sql = grantQueries((name) => name, '?');
  const access = database.prepare<[number], AccessGrantRow>(sql.accessTokenGrant);
  const apiKey = database.prepare<[number], ApiKeyGrantRow>(sql.apiKeyGrant);
  return {
    accessTokenGrant(id) {
      if (database.inTransaction) return undefined;
      const row = access.get(id);
      return row ? toAccessTokenGrant(row) : null;
    },
    apiKeyGrant(id) {
      if (database.inTransaction) return undefined;
      const row = apiKey.get(id);
      return row ? toApiKeyGrant(row) : null;
    },
  };
}

/** Not being able to create the directory or open the file means there is no store to use. */
function toUnavailable(error: unknown): unknown {
  const mapped = toStoreError(error);
  if (mapped !== error) return mapped;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string'
    ? new UnavailableError(UNAVAILABLE_MESSAGE, { code: 'unavailable', cause: error })
    : error;
}
