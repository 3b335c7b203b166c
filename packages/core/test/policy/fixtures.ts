import {
  ANONYMOUS_PRINCIPAL,
  adminSecretPrincipal,
  sessionPrincipal,
  systemApiKeyPrincipal,
  userApiKeyPrincipal,
  type Principal,
} from '../../src/policy/index.js';

export const SYSTEM_USER_ID = 1;
export const ADMIN_ID = 10;
export const MEMBER_ID = 11;
export const VIEWER_ID = 12;
export const OTHER_ID = 99;

/** Column order of every table in this folder. */
export const PRINCIPALS: ReadonlyArray<readonly [label: string, principal: Principal | null]> = [
  ['session ADMIN', sessionPrincipal(ADMIN_ID, 'ADMIN')],
  ['session MEMBER', sessionPrincipal(MEMBER_ID, 'MEMBER')],
  ['session VIEWER', sessionPrincipal(VIEWER_ID, 'VIEWER')],
  ['user key ADMIN', userApiKeyPrincipal(ADMIN_ID, 'ADMIN')],
  ['user key MEMBER', userApiKeyPrincipal(MEMBER_ID, 'MEMBER')],
  ['user key VIEWER', userApiKeyPrincipal(VIEWER_ID, 'VIEWER')],
  ['system key', systemApiKeyPrincipal(SYSTEM_USER_ID)],
  ['admin secret', adminSecretPrincipal(SYSTEM_USER_ID)],
  ['anonymous', ANONYMOUS_PRINCIPAL],
  ['no principal', null],
];

/**
 * What each rule id means, written out independently of the implementation so that a rule
 * reported with the wrong status or allowance fails here.
 */
export const RULE_OUTCOME: Record<string, { allowed: boolean; status: 200 | 401 | 403; message: string }> = {
  admin: { allowed: true, status: 200, message: 'Allowed: the principal is an admin.' },
  'self-service': { allowed: true, status: 200, message: 'Allowed: any signed-in principal may do this for itself.' },
  authenticated: {
    allowed: true,
    status: 200,
    message: 'Allowed: the principal is authenticated and the route has no role restriction.',
  },
  'auth-disabled': { allowed: true, status: 200, message: 'Allowed: authentication is disabled.' },
  unauthenticated: { allowed: false, status: 401, message: 'Authentication required' },
  'viewer-read-only': {
    allowed: false,
    status: 403,
    message: 'This action requires the MEMBER or ADMIN role: viewers have read-only access.',
  },
  'admin-only': { allowed: false, status: 403, message: 'This action requires the ADMIN role.' },
  'api-keys-cannot-mint-keys': { allowed: false, status: 403, message: 'API keys cannot create API keys' },
  'system-principal-personal-keys': {
    allowed: false,
    status: 403,
    message: 'System API keys must be managed through the /system/api_keys endpoints.',
  },
  'protected-user': { allowed: false, status: 403, message: 'Cannot delete the default admin or system user' },
  'own-role': { allowed: false, status: 403, message: 'Cannot modify own role' },
  'own-password-requires-current': {
    allowed: false,
    status: 403,
    message: 'Changing your own password requires your current password',
  },
  'default-admin-role': { allowed: false, status: 403, message: 'Cannot modify role for the default admin user' },
  'system-user-locked': { allowed: false, status: 403, message: 'The system user cannot be modified' },
  'auth-disabled-api-keys': {
    allowed: false,
    status: 403,
    message: 'Authentication must be enabled to manage API keys',
  },
  'auth-disabled-users': { allowed: false, status: 403, message: 'Authentication must be enabled to manage users' },
  'mfa-needs-session': {
    allowed: false,
    status: 403,
    message: 'Second factors can only be managed from a signed-in session',
  },
  'unknown-action': { allowed: false, status: 403, message: 'Unknown action' },
};

/** Expands a row of rule ids (one per PRINCIPALS column) into it.each cases. */
export function expandRow<T extends string>(
  key: T,
  rules: readonly string[],
): Array<[T, string, Principal | null, string]> {
  if (rules.length !== PRINCIPALS.length) throw new Error(`row ${key} has ${rules.length} columns`);
  return PRINCIPALS.map(([label, principal], index) => [key, label, principal, rules[index]!]);
}
