import type { AuthStoreOps } from '@gatehouse-auth/core';
import { toIdpSessionLink, toInt } from '../rows.js';
import type { Db, Runner, Scope } from './runner.js';

/**
 * @module
 * Operations for OpenID Connect logout: the link from a session to the IdP login it came from, the
 * back-channel logout that ends sessions by that link, and the replay guard on logout tokens.
 */

/** IdP session links and accepted logout-token ids; each is one statement, so it runs as is inside a transaction. */
export function oidcLogoutOps(
  db: Db,
  _scope: Scope,
  { storeCall }: Runner,
): Pick<
  AuthStoreOps,
  'insertIdpSessionLink' | 'findIdpSessionLink' | 'deleteSessionsByIdpLogout' | 'recordLogoutTokenJti'
> {
  return {
    insertIdpSessionLink: (link) =>
      storeCall(async () => {
        await db
          .insertInto('session_idp_links')
          .values({
            session_id: link.sessionId,
            idp: link.idp,
            subject: link.subject,
            sid: link.sid,
            sealed_id_token: link.sealedIdToken,
          })
          .execute();
      }),

    findIdpSessionLink: (sessionId) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('session_idp_links')
          .selectAll()
          .where('session_id', '=', sessionId)
          .executeTakeFirst();
        return row ? toIdpSessionLink(row) : null;
      }),

    // One DELETE ... RETURNING over the links: of two instances receiving the same logout, each
    // gets back only the sessions it deleted.
    deleteSessionsByIdpLogout: (query) =>
      storeCall(async () => {
        if (query.subject === null && query.sid === null) return [];
        let links = db.selectFrom('session_idp_links').select('session_id').where('idp', '=', query.idp);
        if (query.subject !== null) links = links.where('subject', '=', query.subject);
        if (query.sid !== null) links = links.where('sid', '=', query.sid);
        const rows = await db.deleteFrom('sessions').where('id', 'in', links).returning(['id', 'user_id']).execute();
        return rows
          .map((row) => ({ sessionId: toInt(row.id), userId: toInt(row.user_id) }))
          .sort((a, b) => a.sessionId - b.sessionId);
      }),

    // ON CONFLICT DO NOTHING: the primary key decides the race, and a PostgreSQL transaction
    // around it is not aborted by a unique violation.
    recordLogoutTokenJti: (entry) =>
      storeCall(async () => {
        const row = await db
          .insertInto('logout_token_jtis')
          .values({ issuer: entry.issuer, jti: entry.jti, expires_at: entry.expiresAt })
          .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
          .returning('jti')
          .executeTakeFirst();
        return row !== undefined;
      }),
  };
}
