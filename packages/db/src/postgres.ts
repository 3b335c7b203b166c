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
  /**
   * Whether the authentication miss path may use named (server-side prepared) statements. Default
   * `true`. Behind a pooler that hands each transaction to any server connection and does not track
   * prepared statements (PgBouncer in transaction mode before 1.21 or with
   * `max_prepared_statements = 0`, Supavisor in transaction mode), or when something runs
   * `DISCARD ALL` / `DEALLOCATE ALL` on the pool's connections, a named statement can be missing
   * on the server that gets it. The store notices (SQLSTATE 26000, 42P05 or 0A000), answers that
   * read without one and stops using them; `false` skips that one failed attempt.
   */
  preparedStatements?: boolean;
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
 *
 * @example
 * ```ts
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL! });
 * const gh = await createGatehouse({ config: parseAuthEnv(process.env), store });
 * ```
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
    const owned = new pg.Pool({
      ...settings,
      connectionString: options.connectionString,
      types: int8AsNumber(pg.types),
    });
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
  const grantReads = options.preparedStatements === false ? undefined : postgresGrantReads(queryable, options.schema);
  return createKyselyStore(db, {
    dialect: 'postgres',
    ...(grantReads ? { grantReads } : {}),
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

/** `"name"`, quotes doubled (what pg's `escapeIdentifier` does). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

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

/**
 * SQLSTATEs that say the server connection does not hold our named statement as pg believes it
 * does: 26000 `invalid_sql_statement_name` (parsed on another server connection behind a pooler, or
 * dropped by DISCARD ALL / DEALLOCATE ALL), 42P05 `duplicate_prepared_statement` (the name exists on
 * a server connection this client never parsed it on), 0A000 `feature_not_supported` (a pooler
 * refusing named statements; "cached plan must not change result type" after a column changed).
 */
const NAMED_STATEMENT_FAILURES = new Set(['26000', '42P05', '0A000']);

function isNamedStatementFailure(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && NAMED_STATEMENT_FAILURES.has(code);
}

/**
 * The miss path's two reads as named statements on the pool: one round trip each (Bind + Execute;
 * the first use on a connection adds Parse to the same write), parsed and planned once per
 * connection by the server, and no Kysely compile per call.
 *
 * A statement's name is derived from its text (schema included), so one name always means one
 * text: behind a pooler, two versions of Gatehouse in a rolling deploy, or two schemas, can never
 * execute each other's statement under a shared name.
 *
 * The first failure that shows the server does not keep named statements for us (see
 * {@link NAMED_STATEMENT_FAILURES}) switches them off for the store's life: that read and every
 * later one take the Kysely path (an unnamed statement, which any pooler passes), so a pooled
 * deployment pays the failed round trip once, not on every miss.
 */
function postgresGrantReads(pool: QueryPool, schema: string | undefined): GrantReads {
  const table = (name: string) => (schema === undefined ? name : `${quoteIdentifier(schema)}.${name}`);
  const sql = grantQueries(table, '$1');
  // Statement names are identifiers of at most 63 bytes: a prefix and 16 hex digits of the text's hash.
  const nameOf = (prefix: string, text: string) =>
    `gatehouse_${prefix}_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
  const accessName = nameOf('access_grant', sql.accessTokenGrant);
  const apiKeyName = nameOf('api_key_grant', sql.apiKeyGrant);
  let named = true;

  async function run<R, T>(
    name: string,
    text: string,
    id: number,
    toGrant: (row: R) => T,
  ): Promise<T | null | undefined> {
    try {
      const { rows } = await pool.query<R>({ name, text, values: [id] });
      return rows[0] ? toGrant(rows[0]) : null;
    } catch (error) {
      if (!isNamedStatementFailure(error)) throw error;
      named = false;
      return undefined;
    }
  }

  return {
    accessTokenGrant: (id) => (named ? run(accessName, sql.accessTokenGrant, id, toAccessTokenGrant) : undefined),
    apiKeyGrant: (id) => (named ? run(apiKeyName, sql.apiKeyGrant, id, toApiKeyGrant) : undefined),
  };
}
