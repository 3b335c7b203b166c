import { AuthenticationError, PermissionDeniedError } from '../errors/index.js';

/** Stable identifiers of the rules that produced a decision; safe to assert on and to log. */
export type PolicyRule =
  // allowed
  | 'admin'
  | 'self-service'
  | 'authenticated'
  | 'auth-disabled'
  // denied
  | 'unauthenticated'
  | 'viewer-read-only'
  | 'admin-only'
  | 'api-keys-cannot-mint-keys'
  | 'system-principal-personal-keys'
  | 'protected-user'
  | 'own-role'
  | 'own-password-requires-current'
  | 'default-admin-role'
  | 'system-user-locked'
  | 'auth-disabled-api-keys'
  | 'auth-disabled-users'
  | 'mfa-needs-session'
  | 'unknown-action';

export interface Decision {
  readonly allowed: boolean;
  readonly status: 200 | 401 | 403;
  readonly rule: PolicyRule;
  /**
   * For a denial, the text the client receives: what happened and, for a role check, which role the
   * action needs (docs/errors.md lists them; Phoenix's own wording is in docs/divergences.md).
   */
  readonly message: string;
}

function allow(rule: PolicyRule, message: string): Decision {
  return Object.freeze({ allowed: true, status: 200, rule, message });
}

function deny(status: 401 | 403, rule: PolicyRule, message: string): Decision {
  return Object.freeze({ allowed: false, status, rule, message });
}

/**
 * Every decision the policy can return. They are shared frozen constants so that deciding a
 * request allocates nothing, and so that tests may compare them by identity.
 */
export const DECISIONS = Object.freeze({
  admin: allow('admin', 'Allowed: the principal is an admin.'),
  selfService: allow('self-service', 'Allowed: any signed-in principal may do this for itself.'),
  authenticated: allow(
    'authenticated',
    'Allowed: the principal is authenticated and the route has no role restriction.',
  ),
  authDisabled: allow('auth-disabled', 'Allowed: authentication is disabled.'),

  unauthenticated: deny(401, 'unauthenticated', 'Authentication required'),
  viewerReadOnly: deny(
    403,
    'viewer-read-only',
    'This action requires the MEMBER or ADMIN role: viewers have read-only access.',
  ),
  adminOnly: deny(403, 'admin-only', 'This action requires the ADMIN role.'),
  apiKeysCannotMintKeys: deny(403, 'api-keys-cannot-mint-keys', 'API keys cannot create API keys'),
  systemPrincipalPersonalKeys: deny(
    403,
    'system-principal-personal-keys',
    'System API keys must be managed through the /system/api_keys endpoints.',
  ),
  protectedUser: deny(403, 'protected-user', 'Cannot delete the default admin or system user'),
  ownRole: deny(403, 'own-role', 'Cannot modify own role'),
  ownPasswordRequiresCurrent: deny(
    403,
    'own-password-requires-current',
    'Changing your own password requires your current password',
  ),
  defaultAdminRole: deny(403, 'default-admin-role', 'Cannot modify role for the default admin user'),
  systemUserLocked: deny(403, 'system-user-locked', 'The system user cannot be modified'),
  authDisabledApiKeys: deny(403, 'auth-disabled-api-keys', 'Authentication must be enabled to manage API keys'),
  authDisabledUsers: deny(403, 'auth-disabled-users', 'Authentication must be enabled to manage users'),
  mfaNeedsSession: deny(403, 'mfa-needs-session', 'Second factors can only be managed from a signed-in session'),
  unknownAction: deny(403, 'unknown-action', 'Unknown action'),
} as const satisfies Record<string, Decision>);

/**
 * The error a denial should surface as, or null when the decision allows. Lets a handler write
 * `const error = decisionError(d); if (error) throw error;` and keep status and message in step
 * with the shared error table.
 */
export function decisionError(decision: Decision): AuthenticationError | PermissionDeniedError | null {
  if (decision.allowed) return null;
  if (decision.status === 401) return new AuthenticationError(decision.message, { code: 'invalid_token' });
  const disabled = decision.rule === 'auth-disabled-api-keys' || decision.rule === 'auth-disabled-users';
  return new PermissionDeniedError(decision.message, { code: disabled ? 'auth_disabled' : 'forbidden' });
}

/** Throws the denial's error; returns nothing when the decision allows. */
export function enforce(decision: Decision): void {
  const error = decisionError(decision);
  if (error !== null) throw error;
}
