import type { Clock } from '../ports.js';
import type { TokenKind } from '../tokens/index.js';
import type { AuditRecorder } from './trail.js';
import type { RotatedCredential } from './events.js';

/** How often, at most, one secret and one credential kind are reported: once an hour per process. */
export const PREVIOUS_SECRET_REPORT_INTERVAL_MS = 3_600_000;

const CREDENTIAL_OF_KIND: Readonly<Record<TokenKind, RotatedCredential>> = Object.freeze({
  access: 'access_token',
  refresh: 'refresh_token',
  api_key: 'api_key',
  password_reset: 'password_reset_token',
  mfa_challenge: 'mfa_challenge_token',
});

/**
 * The token codec's `onPreviousSecret` hook: records `secret.previous_in_use` when a credential is
 * accepted with a secret being retired, so an operator can see what retiring it would break. Every
 * verification of such a token calls it, so it reports each (secret, kind) pair at most once per
 * interval; the check is a map lookup and the record an in-memory push, cheap enough for the
 * verification path.
 */
export function previousSecretReporter(
  audit: AuditRecorder,
  clock: Clock,
  intervalMs = PREVIOUS_SECRET_REPORT_INTERVAL_MS,
): (previousIndex: number, kind: TokenKind) => void {
  const lastReported = new Map<string, number>();
  return (previousIndex, kind) => {
    const key = `${previousIndex}:${kind}`;
    const now = clock.now();
    const last = lastReported.get(key);
    if (last !== undefined && now - last < intervalMs) return;
    lastReported.set(key, now);
    audit.record({
      type: 'secret.previous_in_use',
      subjectUserId: null,
      // 1-based, as `gatehouse list-api-keys` and check-env number the previous secrets.
      details: { secretIndex: previousIndex + 1, credential: CREDENTIAL_OF_KIND[kind] },
    });
  };
}
