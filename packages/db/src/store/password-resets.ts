import type { AuthStoreOps } from '@gatehouse-auth/core';
import { toPasswordResetToken } from '../rows.js';
import type { Db, Runner, Scope } from './runner.js';

/**
 * @module
 * Operations on password reset tokens.
 */

/** Password reset tokens: at most one live per user, single use. */
export function passwordResetOps(
  db: Db,
  scope: Scope,
  { storeCall, atomically }: Runner,
): Pick<AuthStoreOps, 'insertPasswordResetToken' | 'deletePasswordResetTokensOfUser' | 'takePasswordResetToken'> {
  return {
    insertPasswordResetToken: (token) =>
      storeCall(() =>
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
      storeCall(async () => {
        const result = await db.deleteFrom('password_reset_tokens').where('user_id', '=', userId).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),

    // One DELETE ... RETURNING: of two racing takers, only one gets the row back.
    takePasswordResetToken: (id) =>
      storeCall(async () => {
        const row = await db.deleteFrom('password_reset_tokens').where('id', '=', id).returningAll().executeTakeFirst();
        return row ? toPasswordResetToken(row) : null;
      }),
  };
}
