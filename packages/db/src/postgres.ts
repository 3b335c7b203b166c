import type { AuthStore } from '@gatehouse-auth/core';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import type { CustomTypesConfig, Pool, PoolConfig } from 'pg';
import { toStoreError } from './errors.js';
import { migrateToLatest } from './migrations.js';
import type { GatehouseDatabase } from './schema.js';
import { createKyselyStore } from './store.js';

interface PostgresStoreCommon {
  /** The schema holding Gatehouse's tables (created if missing). Default: the connection's search_path. */
  schema?: string;
}

export type PostgresStoreOptions = PostgresStoreCommon &
  (
    | {
        connectionString: string;
        /** Extra settings for the pool the store creates (and ends on `close()`). */
        poolConfig?: Omit<PoolConfig, 'connectionString' | 'types'>;
        pool?: undefined;
      }
    | {
        /** A pool the host owns: the store borrows it and leaves it open on `close()`. */
        pool: Pool;
        connectionString?: undefined;
        poolConfig?: undefined;
      }
  );

const INT8_OID = 20;

/**
 * Ids and epoch-ms timestamps are int8, which pg returns as strings by default. This parser
 * is given to our pool's clients only; changing the process-wide `pg.types` would change
 * every other pg user in the host application.
 */
function int8AsNumber(pgTypes: CustomTypesConfig): CustomTypesConfig {
  const fallback: (oid: number, format?: 'text' | 'binary') => unknown = pgTypes.getTypeParser;
  const getTypeParser = (oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : fallback(oid, format);
  return { getTypeParser: getTypeParser as CustomTypesConfig['getTypeParser'] };
}

/**
 * Connects (a new pool from `connectionString`, or the host's `pool`), migrates, and returns the
 * store. pg is loaded here, not at import, so a SQLite-only host never loads it.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<AuthStore> {
  if (options.schema === '') throw new TypeError('createPostgresStore: `schema` must not be empty');
  let pool: PostgresPool;
  if (options.pool) {
    const borrowed = options.pool;
    pool = { connect: () => borrowed.connect(), end: () => Promise.resolve() };
  } else {
    const { default: pg } = await import('pg');
    const owned = new pg.Pool({ ...options.poolConfig, connectionString: options.connectionString, types: int8AsNumber(pg.types) });
    // An idle client losing its server emits 'error' on the pool; unhandled, that would crash
    // the host. The next query reports the outage as UnavailableError instead.
    owned.on('error', () => {});
    // A checked-out client losing its server emits 'error' on the client itself (pg-pool removes
    // its own listener while the client is out): the same crash, the same answer.
    owned.on('connect', (client) => {
      client.on('error', () => {});
    });
    pool = owned;
  }

  const root = new Kysely<GatehouseDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(root, 'postgres', options.schema === undefined ? {} : { schema: options.schema });
  } catch (error) {
    await root.destroy();
    throw toStoreError(error);
  }
  const db = options.schema === undefined ? root : root.withSchema(options.schema);
  return createKyselyStore(db, { dialect: 'postgres', onClose: () => root.destroy() });
}
