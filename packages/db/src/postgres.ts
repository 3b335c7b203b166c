import type { AuthStore } from '@gatehouse-auth/core';
import { importOptional } from '@gatehouse-auth/core/adapter-kit';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import type pgModule from 'pg';
import type { CustomTypesConfig, PoolConfig } from 'pg';
import { toStoreError } from './errors.js';
import { migrateToLatest } from './migrations.js';
import type { GatehouseDatabase } from './schema.js';
import { createKyselyStore } from './store.js';

/**
 * Settings for the pool the store creates: any field of pg's `PoolConfig` except `connectionString`
 * and `types`. Typed structurally so that these declarations need neither `pg` nor `@types/pg`
 * (a SQLite-only user has neither).
 */
export interface PostgresPoolSettings {
  max?: number;
  min?: number;
  idleTimeoutMillis?: number;
  connectionTimeoutMillis?: number;
  statement_timeout?: number;
  application_name?: string;
  ssl?: boolean | Record<string, unknown>;
  [setting: string]: unknown;
}

/** Loads pg on first use: it is an optional peer, needed only for PostgreSQL. */
export async function loadPg(feature: string): Promise<typeof pgModule> {
  const { default: pg } = await importOptional('pg', feature, () => import('pg'));
  return pg;
}

interface PostgresStoreCommon {
  /** The schema holding Gatehouse's tables (created if missing). Default: the connection's search_path. */
  schema?: string;
}

export type PostgresStoreOptions = PostgresStoreCommon &
  (
    | {
        connectionString: string;
        /** Extra settings for the pool the store creates (and ends on `close()`). */
        poolConfig?: PostgresPoolSettings;
        pool?: undefined;
      }
    | {
        /** A pool the host owns (a pg `Pool`): the store borrows it and leaves it open on `close()`. */
        pool: PostgresPool;
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
    const pg = await loadPg('PostgreSQL (createPostgresStore)');
    const settings = { ...options.poolConfig } as PoolConfig;
    const owned = new pg.Pool({ ...settings, connectionString: options.connectionString, types: int8AsNumber(pg.types) });
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
