import type { AuthStoreOps } from '@gatehouse-auth/core';
import { sql } from 'kysely';
import { toAccessToken, toAccessTokenGrant, toInt, toRefreshToken, toSession } from '../rows.js';
import type { Db, Runner, Scope } from './runner.js';

/**
 * @module
 * Operations on sessions and the tokens that belong to them.
 */

/** Sessions with their refresh and access tokens. */
export function sessionOps(
  db: Db,
  scope: Scope,
  { storeCall, fast }: Runner,
): Pick<
  AuthStoreOps,
  | 'insertSession'
  | 'extendSession'
  | 'findSession'
  | 'listSessionsOfUser'
  | 'insertRefreshToken'
  | 'findRefreshToken'
  | 'consumeRefreshToken'
  | 'insertAccessToken'
  | 'findAccessTokenGrant'
  | 'deleteSession'
  | 'deleteSessionsOfUser'
> {
  return {
    insertSession: (session) =>
      storeCall(async () => {
        const row = await db
          .insertInto('sessions')
          .values({
            user_id: session.userId,
            created_at: session.createdAt,
            expires_at: session.expiresAt,
            sign_in_method: session.signInMethod,
            idp: session.idp ?? null,
            client_address: session.clientAddress ?? null,
            user_agent: session.userAgent ?? null,
            last_refreshed_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toSession(row);
      }),

    extendSession: (id, expiresAt, refreshedAt) =>
      storeCall(async () => {
        // One statement: the later of the two expiries, and the row count says whether the session exists.
        const greatest = sql.raw(scope.dialect === 'postgres' ? 'greatest' : 'max');
        const later = sql<number>`${greatest}(expires_at, ${expiresAt})`;
        const lastRefresh = sql<number>`${greatest}(coalesce(last_refreshed_at, ${refreshedAt}), ${refreshedAt})`;
        const result = await db
          .updateTable('sessions')
          .set({ expires_at: later, last_refreshed_at: lastRefresh })
          .where('id', '=', id)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    listSessionsOfUser: (userId, now) =>
      storeCall(async () => {
        const rows = await db
          .selectFrom('sessions')
          .selectAll()
          .where('user_id', '=', userId)
          .where('expires_at', '>', now)
          .orderBy('id', 'desc')
          .execute();
        return rows.map(toSession);
      }),

    findSession: (id) =>
      storeCall(async () => {
        const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? toSession(row) : null;
      }),

    insertRefreshToken: (token) =>
      storeCall(async () => {
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
      storeCall(async () => {
        const row = await db.selectFrom('refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? toRefreshToken(row) : null;
      }),

    // One conditional UPDATE: the database decides the race, so exactly one caller sees a row change.
    consumeRefreshToken: (id, now) =>
      storeCall(async () => {
        const result = await db
          .updateTable('refresh_tokens')
          .set({ consumed_at: now })
          .where('id', '=', id)
          .where('consumed_at', 'is', null)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    insertAccessToken: (token) =>
      storeCall(async () => {
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
      fast(scope.grantReads && (() => scope.grantReads!.accessTokenGrant(id)), async () => {
        const row = await db
          .selectFrom('access_tokens as a')
          .innerJoin('users as u', 'u.id', 'a.user_id')
          // An access token dies with its refresh token: once that is exchanged, the old access
          // token must stop working even though its row outlives the exchange.
          .innerJoin('refresh_tokens as r', 'r.id', 'a.refresh_token_id')
          .select([
            'a.id',
            'a.session_id',
            'a.user_id',
            'a.expires_at',
            'u.role',
            'u.username',
            'u.email',
            'u.auth_method',
          ])
          .where('a.id', '=', id)
          .where('r.consumed_at', 'is', null)
          .executeTakeFirst();
        return row ? toAccessTokenGrant(row) : null;
      }),

    deleteSession: (id) =>
      storeCall(async () => {
        const result = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),

    deleteSessionsOfUser: (userId, exceptSessionId) =>
      storeCall(async () => {
        let query = db.deleteFrom('sessions').where('user_id', '=', userId);
        if (exceptSessionId !== undefined) query = query.where('id', '<>', exceptSessionId);
        const rows = await query.returning('id').execute();
        return rows.map((row) => toInt(row.id)).sort((a, b) => a - b);
      }),
  };
}
