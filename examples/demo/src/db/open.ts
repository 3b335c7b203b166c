import type { AuthStore } from '@gatehouse-auth/core';
import { createPostgresStore, createSqliteStore } from '@gatehouse-auth/db';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { DatabaseSettings } from '@gatehouse-auth/core/server-env';
import { createDemoTables, type DemoDatabase, type Dialect } from './schema.js';

/** Gatehouse's store and the demo's tables, in one database. */
export interface Storage {
  readonly dialect: Dialect;
  /** For the start-up line; never the connection string (it may hold a password). */
  readonly description: string;
  readonly store: AuthStore;
  readonly db: Kysely<DemoDatabase>;
  close(): Promise<void>;
}

async function openSqlite(filename: string): Promise<Kysely<DemoDatabase>> {
  // Loaded on demand, so a PostgreSQL deployment never needs the native module.
  const { default: Database } = await import('better-sqlite3');
  const database = new Database(filename, { timeout: 5000 });
  // Per connection: the store's connection turning foreign keys on does not turn them on here.
  database.pragma('foreign_keys = ON');
  return new Kysely<DemoDatabase>({ dialect: new SqliteDialect({ database }) });
}

async function openPostgres(connectionString: string): Promise<Kysely<DemoDatabase>> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString });
  // An idle client losing the server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  return new Kysely<DemoDatabase>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Opens (and migrates) Gatehouse's store first: for SQLite it creates the directory and the file
 * and switches it to WAL, so the demo's second connection finds it ready.
 */
export async function openStorage(settings: DatabaseSettings): Promise<Storage> {
  const store =
    settings.kind === 'sqlite'
      ? await createSqliteStore({ filename: settings.filename })
      : await createPostgresStore({ connectionString: settings.connectionString });
  let db: Kysely<DemoDatabase> | null = null;
  try {
    db =
      settings.kind === 'sqlite' ? await openSqlite(settings.filename) : await openPostgres(settings.connectionString);
    await createDemoTables(db, settings.kind);
  } catch (error) {
    await db?.destroy();
    await store.close();
    throw error;
  }
  const demoDb = db;
  return {
    dialect: settings.kind,
    description: settings.kind === 'sqlite' ? `sqlite (${settings.filename})` : 'postgresql',
    store,
    db: demoDb,
    async close() {
      await demoDb.destroy();
      await store.close();
    },
  };
}
