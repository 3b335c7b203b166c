import {
  UnavailableError,
  type AccessTokenGrant,
  type ApiKeyGrant,
  type AuthStore,
  type AuthStoreOps,
  type UserPatch,
} from '@gatehouse-auth/core';
import { sql, type Kysely, type Updateable } from 'kysely';
import { UNAVAILABLE_MESSAGE, toStoreError } from './errors.js';
import {
  toAccessToken,
  toAccessTokenGrant,
  toApiKey,
  toApiKeyGrant,
  toApiKeyWithOwner,
  toInt,
  toMfaChallenge,
  toTotpFactor,
  toPasswordResetToken,
  toRefreshToken,
  toSession,
  toUser,
} from './rows.js';
import type { GatehouseDatabase, StoreDialect, UsersTable } from './schema.js';

type Db = Kysely<GatehouseDatabase>;

/**
 * The two reads of an authentication miss, run on the driver itself: a prepared statement on
 * SQLite, a named statement on PostgreSQL. Kysely compiles its query tree again on every call,
 * which costs more than these indexed reads do. Each answers with the row as the Kysely query
 * would, or `undefined` when it cannot run right now (SQLite inside a transaction): the caller then
 * takes the Kysely path, which waits its turn on the connection.
 */
export interface GrantReads {
  accessTokenGrant(id: number): AccessTokenGrant | null | undefined | Promise<AccessTokenGrant | null>;
  apiKeyGrant(id: number): ApiKeyGrant | null | undefined | Promise<ApiKeyGrant | null>;
}

/** The SELECTs of `findAccessTokenGrant` and `findApiKeyGrant`, for drivers that run SQL text. */
export function grantQueries(table: (name: string) => string, placeholder: string): { accessTokenGrant: string; apiKeyGrant: string } {
  return {
    // An access token dies with its refresh token (see findAccessTokenGrant below).
    accessTokenGrant:
      `SELECT a.id, a.session_id, a.user_id, a.expires_at, u.role FROM ${table('access_tokens')} a ` +
      `INNER JOIN ${table('users')} u ON u.id = a.user_id INNER JOIN ${table('refresh_tokens')} r ON r.id = a.refresh_token_id ` +
      `WHERE a.id = ${placeholder} AND r.consumed_at IS NULL`,
    apiKeyGrant:
      `SELECT k.id, k.user_id, k.kind, k.expires_at, u.role FROM ${table('api_keys')} k ` +
      `INNER JOIN ${table('users')} u ON u.id = k.user_id WHERE k.id = ${placeholder}`,
  };
}

interface Scope {
  readonly dialect: StoreDialect;
  /** Outside transactions only: the driver-level reads of the hot path. */
  readonly grantReads?: GrantReads;
  /** Inside `AuthStore.transaction`: multi-statement ops run on it instead of opening their own. */
  readonly inTransaction: boolean;
  readonly isClosed: () => boolean;
}

/** Stored (and compared) trimmed and lower-cased, like every create path of the reference. */
function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function closedError(): UnavailableError {
  return new UnavailableError(UNAVAILABLE_MESSAGE, 'unavailable', { cause: new Error('The store has been closed') });
}

function opsOn(db: Db, scope: Scope): AuthStoreOps {
  const bool = (value: boolean): number | boolean => (scope.dialect === 'sqlite' ? (value ? 1 : 0) : value);

  async function guard<T>(run: () => Promise<T>): Promise<T> {
    if (scope.isClosed()) throw closedError();
    try {
      return await run();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** A driver-level read when it can run now, else the Kysely query; errors typed either way. */
  async function fast<T>(read: (() => T | null | undefined | Promise<T | null>) | undefined, fallback: () => Promise<T | null>): Promise<T | null> {
    if (read === undefined || scope.inTransaction) return guard(fallback);
    if (scope.isClosed()) throw closedError();
    let answer: T | null | undefined;
    try {
      answer = await read();
    } catch (error) {
      throw toStoreError(error);
    }
    return answer === undefined ? guard(fallback) : answer;
  }

  /** Runs several statements as one unit: on the caller's transaction, or on a new one. */
  function atomically<T>(run: (db: Db) => Promise<T>): Promise<T> {
    return scope.inTransaction ? run(db) : transactionOn(db, run);
  }

  const findUser = (column: 'id' | 'email' | 'username', value: number | string) =>
    guard(async () => {
      const row = await db.selectFrom('users').selectAll().where(column, '=', value).executeTakeFirst();
      return row ? toUser(row) : null;
    });

  return {
    insertUser: (user) =>
      guard(async () => {
        const row = await db
          .insertInto('users')
          .values({
            role: user.role,
            username: user.username,
            email: normalizeEmail(user.email),
            auth_method: user.authMethod,
            password_hash: user.passwordHash,
            reset_password: bool(user.resetPassword),
            oauth2_client_id: user.oauth2ClientId ?? null,
            oauth2_user_id: user.oauth2UserId ?? null,
            profile_picture_url: user.profilePictureUrl ?? null,
            ldap_unique_id: user.ldapUniqueId ?? null,
            created_at: user.createdAt,
            updated_at: user.createdAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toUser(row);
      }),

    findUserById: (id) => findUser('id', id),
    findUserByEmail: (email) => findUser('email', normalizeEmail(email)),
    findUserByUsername: (username) => findUser('username', username),

    findUserByOAuth2Identity: (clientId, subject) =>
      guard(async () => {
        const row = await db
          .selectFrom('users')
          .selectAll()
          .where('oauth2_client_id', '=', clientId)
          .where('oauth2_user_id', '=', subject)
          .executeTakeFirst();
        return row ? toUser(row) : null;
      }),

    findUserByLdapUniqueId: (uniqueId) =>
      guard(async () => {
        const row = await db
          .selectFrom('users')
          .selectAll()
          .where('auth_method', '=', 'LDAP')
          .where('ldap_unique_id', '=', uniqueId)
          .executeTakeFirst();
        return row ? toUser(row) : null;
      }),

    findFirstUserByRole: (role) =>
      guard(async () => {
        const row = await db.selectFrom('users').selectAll().where('role', '=', role).orderBy('id', 'asc').limit(1).executeTakeFirst();
        return row ? toUser(row) : null;
      }),

    countUsersByRole: (role) =>
      guard(async () => {
        const row = await db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .where('role', '=', role)
          .executeTakeFirstOrThrow();
        return toInt(row.count);
      }),

    updateUser: (id, patch) =>
      guard(async () => {
        const row = await db.updateTable('users').set(userUpdate(patch, bool)).where('id', '=', id).returningAll().executeTakeFirst();
        return row ? toUser(row) : null;
      }),

    deleteUser: (id) =>
      guard(async () => {
        const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),

    listUsers: (page) =>
      guard(async () => {
        let query = db.selectFrom('users').selectAll().orderBy('id', 'desc').limit(page.limit);
        if (page.beforeId != null) query = query.where('id', '<', page.beforeId);
        if (page.excludeRoles && page.excludeRoles.length > 0) query = query.where('role', 'not in', [...page.excludeRoles]);
        return (await query.execute()).map(toUser);
      }),

    insertSession: (session) =>
      guard(async () => {
        const row = await db
          .insertInto('sessions')
          .values({ user_id: session.userId, created_at: session.createdAt, expires_at: session.expiresAt })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toSession(row);
      }),

    extendSession: (id, expiresAt) =>
      guard(async () => {
        // One statement: the later of the two expiries, and the row count says whether the session exists.
        const later = sql<number>`${sql.raw(scope.dialect === 'postgres' ? 'greatest' : 'max')}(expires_at, ${expiresAt})`;
        const result = await db.updateTable('sessions').set({ expires_at: later }).where('id', '=', id).executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    findSession: (id) =>
      guard(async () => {
        const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? toSession(row) : null;
      }),

    insertRefreshToken: (token) =>
      guard(async () => {
        const row = await db
          .insertInto('refresh_tokens')
          .values({
            session_id: token.sessionId,
            user_id: token.userId,
            created_at: token.createdAt,
            expires_at: token.expiresAt,
            consumed_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toRefreshToken(row);
      }),

    findRefreshToken: (id) =>
      guard(async () => {
        const row = await db.selectFrom('refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? toRefreshToken(row) : null;
      }),

    // One conditional UPDATE: the database decides the race, so exactly one caller sees a row change.
    consumeRefreshToken: (id, now) =>
      guard(async () => {
        const result = await db
          .updateTable('refresh_tokens')
          .set({ consumed_at: now })
          .where('id', '=', id)
          .where('consumed_at', 'is', null)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    insertAccessToken: (token) =>
      guard(async () => {
        const row = await db
          .insertInto('access_tokens')
          .values({
            session_id: token.sessionId,
            user_id: token.userId,
            refresh_token_id: token.refreshTokenId,
            created_at: token.createdAt,
            expires_at: token.expiresAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toAccessToken(row);
      }),

    // No join on sessions: the session_id foreign key cascades, so a live row has a live session.
    findAccessTokenGrant: (id) =>
      fast(
        scope.grantReads && (() => scope.grantReads!.accessTokenGrant(id)),
        async () => {
          const row = await db
            .selectFrom('access_tokens as a')
            .innerJoin('users as u', 'u.id', 'a.user_id')
            // An access token dies with its refresh token: once that is exchanged, the old access
            // token must stop working even though its row outlives the exchange.
            .innerJoin('refresh_tokens as r', 'r.id', 'a.refresh_token_id')
            .select(['a.id', 'a.session_id', 'a.user_id', 'a.expires_at', 'u.role'])
            .where('a.id', '=', id)
            .where('r.consumed_at', 'is', null)
            .executeTakeFirst();
          return row ? toAccessTokenGrant(row) : null;
        },
      ),

    deleteSession: (id) =>
      guard(async () => {
        const result = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),

    deleteSessionsOfUser: (userId) =>
      guard(async () => {
        const rows = await db.deleteFrom('sessions').where('user_id', '=', userId).returning('id').execute();
        return rows.map((row) => toInt(row.id)).sort((a, b) => a - b);
      }),

    insertApiKey: (key) =>
      guard(async () => {
        const row = await db
          .insertInto('api_keys')
          .values({
            user_id: key.userId,
            kind: key.kind,
            name: key.name,
            description: key.description,
            created_at: key.createdAt,
            expires_at: key.expiresAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toApiKey(row);
      }),

    findApiKey: (id) =>
      guard(async () => {
        const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? toApiKey(row) : null;
      }),

    findApiKeyGrant: (id) =>
      fast(
        scope.grantReads && (() => scope.grantReads!.apiKeyGrant(id)),
        async () => {
          const row = await db
            .selectFrom('api_keys as k')
            .innerJoin('users as u', 'u.id', 'k.user_id')
            .select(['k.id', 'k.user_id', 'k.kind', 'k.expires_at', 'u.role'])
            .where('k.id', '=', id)
            .executeTakeFirst();
          return row ? toApiKeyGrant(row) : null;
        },
      ),

    listApiKeys: (query) =>
      guard(async () => {
        let select = db
          .selectFrom('api_keys as k')
          .innerJoin('users as u', 'u.id', 'k.user_id')
          .selectAll('k')
          .select(['u.username as owner_username', 'u.email as owner_email'])
          .where('k.kind', '=', query.kind)
          .orderBy('k.id', 'desc')
          .limit(query.limit);
        if (query.userId !== undefined) select = select.where('k.user_id', '=', query.userId);
        if (query.beforeId != null) select = select.where('k.id', '<', query.beforeId);
        return (await select.execute()).map(toApiKeyWithOwner);
      }),

    deleteApiKey: (id) =>
      guard(async () => {
        const result = await db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),

    insertPasswordResetToken: (token) =>
      guard(() =>
        atomically(async (trx) => {
          // Locking the owner serialises concurrent requests for one user on PostgreSQL, where
          // both would otherwise delete nothing and then race for the unique key. SQLite runs
          // one transaction at a time and has no FOR UPDATE.
          if (scope.dialect === 'postgres') {
            await trx.selectFrom('users').select('id').where('id', '=', token.userId).forUpdate().execute();
          }
          await trx.deleteFrom('password_reset_tokens').where('user_id', '=', token.userId).execute();
          const row = await trx
            .insertInto('password_reset_tokens')
            .values({ user_id: token.userId, created_at: token.createdAt, expires_at: token.expiresAt })
            .returningAll()
            .executeTakeFirstOrThrow();
          return toPasswordResetToken(row);
        }),
      ),

    deletePasswordResetTokensOfUser: (userId) =>
      guard(async () => {
        const result = await db.deleteFrom('password_reset_tokens').where('user_id', '=', userId).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),

    // One DELETE ... RETURNING: of two racing takers, only one gets the row back.
    takePasswordResetToken: (id) =>
      guard(async () => {
        const row = await db.deleteFrom('password_reset_tokens').where('id', '=', id).returningAll().executeTakeFirst();
        return row ? toPasswordResetToken(row) : null;
      }),

    findTotpFactor: (userId) =>
      guard(async () => {
        const row = await db.selectFrom('mfa_totp_factors').selectAll().where('user_id', '=', userId).executeTakeFirst();
        return row ? toTotpFactor(row) : null;
      }),

    putPendingTotpFactor: (factor) =>
      guard(() =>
        atomically(async (trx) => {
          // A pending row is replaced; a confirmed one survives the DELETE and makes the INSERT a no-op.
          await trx.deleteFrom('mfa_totp_factors').where('user_id', '=', factor.userId).where('confirmed_at', 'is', null).execute();
          const inserted = await trx
            .insertInto('mfa_totp_factors')
            .values({ user_id: factor.userId, secret_ciphertext: factor.secretCiphertext, created_at: factor.createdAt, confirmed_at: null, last_used_step: null })
            .onConflict((oc) => oc.column('user_id').doNothing())
            .returning('user_id')
            .executeTakeFirst();
          return inserted !== undefined;
        }),
      ),

    confirmTotpFactor: (userId, step, now) =>
      guard(async () => {
        const result = await db
          .updateTable('mfa_totp_factors')
          .set({ confirmed_at: now, last_used_step: step })
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is', null)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    // One conditional UPDATE: of two requests carrying the same code, only one moves the step.
    advanceTotpStep: (userId, step) =>
      guard(async () => {
        const result = await db
          .updateTable('mfa_totp_factors')
          .set({ last_used_step: step })
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is not', null)
          .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    updateTotpCiphertext: (userId, secretCiphertext) =>
      guard(async () => {
        const result = await db.updateTable('mfa_totp_factors').set({ secret_ciphertext: secretCiphertext }).where('user_id', '=', userId).executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    deleteTotpFactor: (userId) =>
      guard(async () => {
        const result = await db.deleteFrom('mfa_totp_factors').where('user_id', '=', userId).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),

    replaceRecoveryCodes: (userId, codeHashes, now) =>
      guard(() =>
        atomically(async (trx) => {
          await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
          if (codeHashes.length === 0) return;
          await trx
            .insertInto('mfa_recovery_codes')
            .values(codeHashes.map((hash) => ({ user_id: userId, code_hash: hash, created_at: now, used_at: null })))
            .execute();
        }),
      ),

    useRecoveryCode: (userId, codeHashes, now) =>
      guard(async () => {
        if (codeHashes.length === 0) return false;
        // At most one row matches: the codes are distinct and each hash names one code.
        const result = await db
          .updateTable('mfa_recovery_codes')
          .set({ used_at: now })
          .where('user_id', '=', userId)
          .where('code_hash', 'in', [...codeHashes])
          .where('used_at', 'is', null)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    countUnusedRecoveryCodes: (userId) =>
      guard(async () => {
        const row = await db
          .selectFrom('mfa_recovery_codes')
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .where('user_id', '=', userId)
          .where('used_at', 'is', null)
          .executeTakeFirstOrThrow();
        return toInt(row.count);
      }),

    deleteRecoveryCodes: (userId) =>
      guard(async () => {
        const result = await db.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),

    insertMfaChallenge: (challenge) =>
      guard(async () => {
        const row = await db
          .insertInto('mfa_challenges')
          .values({ user_id: challenge.userId, purpose: challenge.purpose, created_at: challenge.createdAt, expires_at: challenge.expiresAt })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toMfaChallenge(row);
      }),

    findMfaChallenge: (id) =>
      guard(async () => {
        const row = await db.selectFrom('mfa_challenges').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? toMfaChallenge(row) : null;
      }),

    takeMfaChallenge: (id) =>
      guard(async () => {
        const row = await db.deleteFrom('mfa_challenges').where('id', '=', id).returningAll().executeTakeFirst();
        return row ? toMfaChallenge(row) : null;
      }),

    deleteMfaChallengesOfUser: (userId) =>
      guard(async () => {
        const result = await db.deleteFrom('mfa_challenges').where('user_id', '=', userId).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),

    deleteExpired: (now) => guard(() => atomically((trx) => sweep(trx, now))),
  };
}

/**
 * Deletes what expired at `now` (inclusive) and counts every row removed, including the live
 * tokens of an expired session or refresh token that the cascade would otherwise remove uncounted:
 * children go first, each selected by its own expiry or its parent's. A session still holding an
 * unexpired refresh token is not expired, whatever its row says: rows written before refreshes
 * moved `sessions.expires_at` (and the milliseconds between a login's two clock reads) must not
 * log anyone out.
 */
async function sweep(db: Db, now: number): Promise<number> {
  const expiredSessions = db
    .selectFrom('sessions')
    .select('sessions.id')
    .where('sessions.expires_at', '<=', now)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('refresh_tokens as live').select('live.id').whereRef('live.session_id', '=', 'sessions.id').where('live.expires_at', '>', now))),
    );
  const expiredRefreshTokens = db
    .selectFrom('refresh_tokens')
    .select('id')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('session_id', 'in', expiredSessions)]));
  const results = [
    await db
      .deleteFrom('access_tokens')
      .where((eb) =>
        eb.or([
          eb('expires_at', '<=', now),
          eb('session_id', 'in', expiredSessions),
          eb('refresh_token_id', 'in', expiredRefreshTokens),
        ]),
      )
      .executeTakeFirst(),
    await db
      .deleteFrom('refresh_tokens')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('session_id', 'in', expiredSessions)]))
      .executeTakeFirst(),
    await db.deleteFrom('sessions').where('id', 'in', expiredSessions).executeTakeFirst(),
    // NULL never compares <= now: keys without an expiry are never swept.
    await db.deleteFrom('api_keys').where('expires_at', '<=', now).executeTakeFirst(),
    await db.deleteFrom('password_reset_tokens').where('expires_at', '<=', now).executeTakeFirst(),
    await db.deleteFrom('mfa_challenges').where('expires_at', '<=', now).executeTakeFirst(),
  ];
  return results.reduce((total, result) => total + Number(result.numDeletedRows), 0);
}

function userUpdate(patch: UserPatch, bool: (value: boolean) => number | boolean): Updateable<UsersTable> {
  const set: Updateable<UsersTable> = { updated_at: patch.updatedAt };
  if (patch.username !== undefined) set.username = patch.username;
  if (patch.email !== undefined) set.email = normalizeEmail(patch.email);
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
  if (patch.resetPassword !== undefined) set.reset_password = bool(patch.resetPassword);
  if (patch.oauth2ClientId !== undefined) set.oauth2_client_id = patch.oauth2ClientId;
  if (patch.oauth2UserId !== undefined) set.oauth2_user_id = patch.oauth2UserId;
  if (patch.profilePictureUrl !== undefined) set.profile_picture_url = patch.profilePictureUrl;
  if (patch.ldapUniqueId !== undefined) set.ldap_unique_id = patch.ldapUniqueId;
  return set;
}

export interface KyselyStoreOptions {
  dialect: StoreDialect;
  /** Driver-level reads for the authentication miss path (see {@link GrantReads}); Kysely otherwise. */
  grantReads?: GrantReads;
  /** Called once by `close()`, after the store stops accepting calls (e.g. destroy the Kysely). */
  onClose?: () => Promise<void>;
}

/**
 * One Kysely transaction. fn's own rejection passes through untouched (store calls inside it
 * already threw typed errors), even when the ROLLBACK after it fails too: SQLite rolls the
 * transaction back by itself on SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM, and the ROLLBACK Kysely
 * then sends ("no transaction is active") would otherwise hide the cause and reach the client as
 * a 500. Only a failing BEGIN or COMMIT is translated here.
 */
async function transactionOn<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
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

/**
 * The `AuthStore` over a migrated Kysely instance. On SQLite every call shares one connection, so
 * a transaction holds it until it ends: inside `transaction(fn)`, use only the `tx` handed to
 * `fn` (calling the store itself there would wait for the transaction, forever).
 */
export function createKyselyStore(db: Db, options: KyselyStoreOptions): AuthStore {
  let closed = false;
  let closing: Promise<void> | undefined;
  const isClosed = () => closed;
  const ops = opsOn(db, { dialect: options.dialect, inTransaction: false, isClosed, ...(options.grantReads ? { grantReads: options.grantReads } : {}) });

  return {
    ...ops,

    async transaction<T>(fn: (tx: AuthStoreOps) => Promise<T>): Promise<T> {
      if (closed) throw closedError();
      return transactionOn(db, (trx) => fn(opsOn(trx, { dialect: options.dialect, inTransaction: true, isClosed })));
    },

    close(): Promise<void> {
      closed = true;
      closing ??= options.onClose?.() ?? Promise.resolve();
      return closing;
    },
  };
}
