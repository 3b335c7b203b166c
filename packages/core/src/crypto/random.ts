import { randomBytes } from 'node:crypto';

function checkByteCount(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
    throw new RangeError('bytes must be an integer between 1 and 1024');
  }
}

/** A random identifier: `bytes` random bytes, base64url without padding (22 characters by default). */
export function randomId(bytes = 16): string {
  checkByteCount(bytes);
  return randomBytes(bytes).toString('base64url');
}

/** An unguessable secret value (CSRF tokens, OAuth2 state/nonce, PKCE verifiers): base64url. */
export function randomToken(bytes = 32): string {
  checkByteCount(bytes);
  return randomBytes(bytes).toString('base64url');
}

/**
 * The password given to accounts created without one (the system user, `PHOENIX_ADMINS` entries,
 * OAuth2/LDAP users): 64 hex characters that nobody knows, so the account cannot log in with a
 * password until one is set.
 */
export function randomPassword(): string {
  return randomBytes(32).toString('hex');
}
