import { NotFoundError, PermissionDeniedError } from '../errors/index.js';
import type { Principal } from '../policy/index.js';
import type { UserRecord } from '../ports.js';
import { authorize } from './authorize.js';
import type { ServiceDeps } from './deps.js';

/**
 * The caller of a self-service second-factor route: a signed-in session (never an API key or the
 * admin secret, policy rule `mfa-needs-session`) of a LOCAL user. Shared by TOTP and passkeys.
 */
export async function requireSelf(deps: ServiceDeps, actor: Principal | null): Promise<UserRecord> {
  authorize(actor, 'manage_own_mfa');
  const user = actor.userId === null ? null : await deps.store.findUserById(actor.userId);
  if (!user) throw new NotFoundError('User not found');
  // SSO and LDAP users prove themselves elsewhere: their second factor is their IdP's.
  if (user.authMethod !== 'LOCAL')
    throw new PermissionDeniedError('Second factors apply to password logins only', { code: 'mfa_unavailable' });
  return user;
}

/** Adding a factor needs second factors switched on (`GATEHOUSE_ENCRYPTION_KEY`): one switch for every kind. */
export function assertMfaConfigured(deps: ServiceDeps): void {
  if (deps.config.mfa.encryptionKey === null) {
    throw new PermissionDeniedError(
      'Second factors are not configured on this server (GATEHOUSE_ENCRYPTION_KEY is unset)',
      { code: 'mfa_unavailable' },
    );
  }
}
