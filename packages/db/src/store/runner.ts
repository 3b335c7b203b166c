import { UnavailableError, type AccessTokenGrant, type ApiKeyGrant } from '@gatehouse-auth/core';
import type { Kysely } from 'kysely';
import { UNAVAILABLE_MESSAGE, toStoreError } from '../errors.js';
import type { GatehouseDatabase, StoreDialect } from '../schema.js';

/**
 * @module
 * What every group of store operations shares: the scope they run in (dialect, transaction or
 * not, closed or not), the wrapper that turns driver errors into typed ones, and transactions.
 */

export type Db = Kysely<GatehouseDatabase>;

/**
 * The two reads of an authentication miss, run on the driver itself: a prepared statement on
 * SQLite, a named statement on PostgreSQL. Kysely compiles its query tree again on every call,
 * which costs more than these indexed reads do. Each answers with the row as the Kysely query
 * would, or `undefined` when it cannot (SQLite inside a transaction; PostgreSQL once the server has
 * shown it does not keep named statements): the caller then takes the Kysely path, which waits its
 * turn on the connection.
 */
export interface GrantReads {
  accessTokenGrant(id: number): AccessTokenGrant | null | undefined | Promise<AccessTokenGrant | null | undefined>;
  apiKeyGrant(id: number): ApiKeyGrant | null | undefined | Promise<ApiKeyGrant | null | undefined>;
}

/** The SELECTs of `findAccessTokenGrant` and `findApiKeyGrant`, for drivers that run SQL text. */
export function grantQueries(
  table: (name: string) => string,
  placeholder: string,
): { accessTokenGrant: string; apiKeyGrant: string } {
  return {
    // An access token dies with its refresh token (see findAccessTokenGrant below).
    accessTokenGrant:
      `SELECT a.id, a.session_id, a.user_id, a.expires_at, u.role, u.username, u.email, u.auth_method FROM ${table('access_tokens')} a ` +
      `INNER JOIN ${table('users')} u ON u.id = a.user_id INNER JOIN ${table('refresh_tokens')} r ON r.id = a.refresh_token_id ` +
      `WHERE a.id = ${placeholder} AND r.consumed_at IS NULL`,
    apiKeyGrant:
      `SELECT k.id, k.user_id, k.kind, k.expires_at, u.role, u.username, u.email, u.auth_method FROM ${table('api_keys')} k ` +
      `INNER JOIN ${table('users')} u ON u.id = k.user_id WHERE k.id = ${placeholder}`,
  };
}

export interface Scope {
  readonly dialect: StoreDialect;
  /** Outside transactions only: the driver-level reads of the hot path. */
  readonly grantReads?: GrantReads;
  /** Inside `AuthStore.transaction`: multi-statement ops run on it instead of opening their own. */
  readonly inTransaction: boolean;
  readonly isClosed: () => boolean;
}

/** Stored (and compared) trimmed and lower-cased, like every create path of Phoenix. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function closedError(): UnavailableError {
  return new UnavailableError(UNAVAILABLE_MESSAGE, {
    code: 'unavailable',
    cause: new Error('The store has been closed'),
  });
}

/** The helpers each operation runs through, bound to one connection (or transaction) and scope. */
export interface Runner {
  /** A boolean as the dialect stores it (0/1 on SQLite). */
  readonly bool: (value: boolean) => number | boolean;
  /** Runs one store call: refused once the store is closed, driver errors translated to typed ones. */
  readonly storeCall: <T>(run: () => Promise<T>) => Promise<T>;
  /** A driver-level read when it can run now, else the Kysely query; errors typed either way. */
  readonly fast: <T>(
    read: (() => T | null | undefined | Promise<T | null | undefined>) | undefined,
    fallback: () => Promise<T | null>,
  ) => Promise<T | null>;
  /** Runs several statements as one unit: on the caller's transaction, or on a new one. */
  readonly atomically: <T>(run: (db: Db) => Promise<T>) => Promise<T>;
}

export function runnerOn(db: Db, scope: Scope): Runner {
  const bool = (value: boolean): number | boolean => (scope.dialect === 'sqlite' ? (value ? 1 : 0) : value);

  async function storeCall<T>(run: () => Promise<T>): Promise<T> {
    if (scope.isClosed()) throw closedError();
    try {
      return await run();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** A driver-level read when it can run now, else the Kysely query; errors typed either way. */
  async function fast<T>(
    read: (() => T | null | undefined | Promise<T | null | undefined>) | undefined,
    fallback: () => Promise<T | null>,
  ): Promise<T | null> {
    if (read === undefined || scope.inTransaction) return storeCall(fallback);
    if (scope.isClosed()) throw closedError();
    let answer: T | null | undefined;
    try {
      answer = await read();
    } catch (error) {
      throw toStoreError(error);
    }
    return answer === undefined ? storeCall(fallback) : answer;
  }

  /** Runs several statements as one unit: on the caller's transaction, or on a new one. */
  function atomically<T>(run: (db: Db) => Promise<T>): Promise<T> {
    return scope.inTransaction ? run(db) : transactionOn(db, run);
  }

  return { bool, storeCall, fast, atomically };
}

/**
 * One Kysely transaction. fn's own rejection passes through untouched (store calls inside it
 * already threw typed errors), even when the ROLLBACK after it fails too: SQLite rolls the
 * transaction back by itself on SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM, and the ROLLBACK Kysely
 * then sends ("no transaction is active") would otherwise hide the cause and reach the client as
 * a 500. Only a failing BEGIN or COMMIT is translated here.
 */
export async function transactionOn<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  let rejection: { error: unknown } | undefined;
  try {
    return await db.transaction().execute(async (trx) => {
      try {
        return await fn(trx);
      } catch (error) {
        rejection = { error };
        throw error;
      }
    });
  } catch (error) {
    if (rejection !== undefined) throw rejection.error;
    throw toStoreError(error);
  }
}
