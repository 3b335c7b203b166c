import type { AuthStoreOps } from '@gatehouse-auth/core';
import type { Db, Runner, Scope } from './runner.js';

/**
 * @module
 * The sweep of expired rows.
 */

/** The periodic sweep of everything expired. */
export function sweepOps(db: Db, scope: Scope, { storeCall, atomically }: Runner): Pick<AuthStoreOps, 'deleteExpired'> {
  return {
    deleteExpired: (now) => storeCall(() => atomically((trx) => sweep(trx, now))),
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
      eb.not(
        eb.exists(
          eb
            .selectFrom('refresh_tokens as live')
            .select('live.id')
            .whereRef('live.session_id', '=', 'sessions.id')
            .where('live.expires_at', '>', now),
        ),
      ),
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
    await db.deleteFrom('session_idp_links').where('session_id', 'in', expiredSessions).executeTakeFirst(),
    await db.deleteFrom('sessions').where('id', 'in', expiredSessions).executeTakeFirst(),
    // NULL never compares <= now: keys without an expiry are never swept.
    await db.deleteFrom('api_keys').where('expires_at', '<=', now).executeTakeFirst(),
    await db.deleteFrom('password_reset_tokens').where('expires_at', '<=', now).executeTakeFirst(),
    await db.deleteFrom('logout_token_jtis').where('expires_at', '<=', now).executeTakeFirst(),
    await db.deleteFrom('mfa_challenges').where('expires_at', '<=', now).executeTakeFirst(),
    await db.deleteFrom('webauthn_challenges').where('expires_at', '<=', now).executeTakeFirst(),
  ];
  return results.reduce((total, result) => total + Number(result.numDeletedRows), 0);
}
