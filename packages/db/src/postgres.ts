import { createHash } from 'node:crypto';
import type { AuthStore } from '@gatehouse-auth/core';
import { importOptional } from '@gatehouse-auth/core/adapter-kit';
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import type pgModule from 'pg';
import type { CustomTypesConfig, PoolConfig } from 'pg';
import { toStoreError } from './errors.js';
import { migrateToLatest } from './migrations.js';
import type { GatehouseDatabase } from './schema.js';
import { toAccessTokenGrant, toApiKeyGrant } from './rows.js';
import { createKyselyStore, grantQueries, type GrantReads } from './store.js';

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
  let queryable: QueryPool;
  if (options.pool) {
    const borrowed = options.pool;
    queryable = queryPoolOf(borrowed);
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
    queryable = owned;
  }

  const root = new Kysely<GatehouseDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(root, 'postgres', options.schema === undefined ? {} : { schema: options.schema });
  } catch (error) {
    await root.destroy();
    throw toStoreError(error);
  }
  const db = options.schema === undefined ? root : root.withSchema(options.schema);
  return createKyselyStore(db, {
    dialect: 'postgres',
    grantReads: postgresGrantReads(queryable, options.schema),
    onClose: () => root.destroy(),
    description: describePostgres(options),
  });
}

/** `postgresql db.example.com:5432/app (schema auth)`: where, never who or with what password. */
function describePostgres(options: PostgresStoreOptions): string {
  const schema = options.schema === undefined ? '' : ` (schema ${options.schema})`;
  if (options.connectionString === undefined) return `postgresql (the host's pool)${schema}`;
  try {
    const url = new URL(options.connectionString);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    return `postgresql ${url.host}${database ? `/${database}` : ''}${schema}`;
  } catch {
    // A keyword/value connection string ("host=… password=…"): nothing of it is safe to repeat.
    return `postgresql${schema}`;
  }
}

type AccessGrantRow = Parameters<typeof toAccessTokenGrant>[0];
type ApiKeyGrantRow = Parameters<typeof toApiKeyGrant>[0];

/** `"name"`, quotes doubled (what pg's `escapeIdentifier` does). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The miss path's two reads as named statements on the pool: one round trip each (Bind + Execute;
 * the first use on a connection adds Parse to the same write), parsed and planned once per
 * connection by the server, and no Kysely compile per call. The name carries the schema, since a
 * named statement is bound to the tables it was parsed against.
 */
/** What the grant reads need of a pool: pg's `Pool.query` with a named statement. */
interface QueryPool {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/**
 * A host's pool is typed as Kysely's `PostgresPool` (so the declarations need no `@types/pg`); a pg
 * `Pool` has `query`, anything else is driven through `connect()` without a named statement.
 */
function queryPoolOf(pool: PostgresPool): QueryPool {
  const direct = pool as unknown as Partial<QueryPool>;
  if (typeof direct.query === 'function') return direct as QueryPool;
  return {
    async query<R>(config: { text: string; values: unknown[] }) {
      const client = await pool.connect();
      try {
        const result = await client.query(config.text, config.values);
        return { rows: result.rows as R[] };
      } finally {
        client.release();
      }
    },
  };
}

function postgresGrantReads(pool: QueryPool, schema: string | undefined): GrantReads {
  const table = (name: string) => (schema === undefined ? name : `${quoteIdentifier(schema)}.${name}`);
  const sql = grantQueries(table, '$1');
  // Statement names are identifiers of at most 63 bytes; a hash keeps any schema name within that.
  const suffix = schema === undefined ? '' : `_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;
  return {
    async accessTokenGrant(id) {
      const { rows } = await pool.query<AccessGrantRow>({ name: `gatehouse_access_grant${suffix}`, text: sql.accessTokenGrant, values: [id] });
      return rows[0] ? toAccessTokenGrant(rows[0]) : null;
    },
    async apiKeyGrant(id) {
      const { rows } = await pool.query<ApiKeyGrantRow>({ name: `gatehouse_api_key_grant${suffix}`, text: sql.apiKeyGrant, values: [id] });
      return rows[0] ? toApiKeyGrant(rows[0]) : null;
    },
  };
}
