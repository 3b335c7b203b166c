import type { ServiceDeps } from './deps.js';

/** A validated back-channel logout: which IdP, the token's single-use id, and whom it names. */
export interface IdpLogoutNotice {
  readonly idp: string;
  readonly issuer: string;
  readonly jti: string;
  /** Epoch ms until which the `jti` must be remembered (the token is refused as too old after it). */
  readonly rememberUntil: number;
  readonly subject: string | null;
  readonly sid: string | null;
}

export type IdpLogoutOutcome =
  { readonly kind: 'ended'; readonly sessionIds: readonly number[] } | { readonly kind: 'replayed' };

/**
 * Ends the sessions an IdP's logout token names, on every instance. The `jti` is recorded and the
 * sessions deleted in one transaction: a failure leaves neither behind, so the IdP's retry is not
 * mistaken for a replay. The revocations go out after the commit, and each ended session is
 * recorded in the audit trail as ended by the identity provider.
 */
export async function endIdpSessions(deps: ServiceDeps, notice: IdpLogoutNotice): Promise<IdpLogoutOutcome> {
  const result = await deps.store.transaction(async (tx) => {
    if (!(await tx.recordLogoutTokenJti({ issuer: notice.issuer, jti: notice.jti, expiresAt: notice.rememberUntil })))
      return null;
    return tx.deleteSessionsByIdpLogout({ idp: notice.idp, subject: notice.subject, sid: notice.sid });
  });
  if (result === null) return { kind: 'replayed' };
  await Promise.all(result.map(({ sessionId }) => deps.revocations.publish({ type: 'session', sessionId })));
  for (const { sessionId, userId } of result) {
    deps.audit.record({
      type: 'session.ended',
      actor: { kind: 'identity_provider', userId: null },
      subjectUserId: userId,
      details: { sessionId, by: 'identity_provider', reason: 'backchannel_logout' },
    });
  }
  return { kind: 'ended', sessionIds: result.map((row) => row.sessionId) };
}
