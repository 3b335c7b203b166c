import type { Role } from './roles.js';

/**
 * How the caller proved who it is. The kind matters as much as the role: a key and a browser
 * session of the same user have the same role but not the same rights (keys cannot mint keys).
 *
 * - `session`: an access token (cookie or bearer); role = the user's current role.
 * - `user_api_key`: a user's personal key; role = the owner's current role.
 * - `system_api_key`: a key owned by the system user; role SYSTEM, and **not** an admin.
 * - `admin_secret`: the `PHOENIX_ADMIN_SECRET` bearer; acts as the system user and **is** an admin.
 * - `anonymous`: authentication is disabled; there is no user behind the request.
 */
export type PrincipalKind = 'session' | 'user_api_key' | 'system_api_key' | 'admin_secret' | 'anonymous';

export const PRINCIPAL_KINDS: readonly PrincipalKind[] = Object.freeze([
  'session',
  'user_api_key',
  'system_api_key',
  'admin_secret',
  'anonymous',
]);

export interface Principal {
  readonly kind: PrincipalKind;
  /** The acting user's id; the system user's id for system keys and the admin secret; null when anonymous. */
  readonly userId: number | null;
  readonly role: Role;
}

/**
 * The principal while authentication is disabled: no user, so every identity field is null (host
 * code reads `principal.email` the same way with auth on or off). `kind === 'anonymous'` narrows.
 */
export interface AnonymousPrincipal extends Principal {
  readonly kind: 'anonymous';
  readonly userId: null;
  readonly userGlobalId: null;
  readonly username: null;
  readonly email: null;
  readonly authMethod: null;
}

/**
 * The principal of every request when authentication is disabled.
 *
 * Its role is MEMBER only because `Principal.role` cannot be empty: no rule in this folder reads
 * the role of an anonymous principal, they all branch on `kind` first (auth off skips the viewer
 * and admin rules, yet user and key management stay closed, which no single role expresses).
 * MEMBER was picked for host code that reads `role` directly: it never passes a naive
 * `role === 'ADMIN'` check and never trips a naive `role === 'VIEWER'` write block.
 */
export const ANONYMOUS_PRINCIPAL: AnonymousPrincipal = Object.freeze({
  kind: 'anonymous',
  userId: null,
  role: 'MEMBER',
  userGlobalId: null,
  username: null,
  email: null,
  authMethod: null,
});

export function sessionPrincipal(userId: number, role: Role): Principal {
  return { kind: 'session', userId, role };
}

export function userApiKeyPrincipal(ownerId: number, ownerRole: Role): Principal {
  return { kind: 'user_api_key', userId: ownerId, role: ownerRole };
}

export function systemApiKeyPrincipal(systemUserId: number): Principal {
  return { kind: 'system_api_key', userId: systemUserId, role: 'SYSTEM' };
}

export function adminSecretPrincipal(systemUserId: number): Principal {
  return { kind: 'admin_secret', userId: systemUserId, role: 'SYSTEM' };
}

/**
 * ADMIN role (through a session or the user's own key) or the admin secret.
 * A SYSTEM-role key is deliberately not an admin, whatever the REST message's wording suggests;
 * an anonymous principal never is, whatever role it carries.
 */
export function isAdmin(principal: Principal): boolean {
  switch (principal.kind) {
    case 'admin_secret':
      return true;
    case 'session':
    case 'user_api_key':
      return principal.role === 'ADMIN';
    default:
      return false;
  }
}

/** Acts as the system user: system keys, the admin secret, or anything carrying the SYSTEM role. */
export function isSystemPrincipal(principal: Principal): boolean {
  return principal.kind === 'system_api_key' || principal.kind === 'admin_secret' || principal.role === 'SYSTEM';
}

/** A VIEWER user, by session or key. Anonymous principals are never viewers (auth off skips the rule). */
export function isViewer(principal: Principal): boolean {
  return principal.role === 'VIEWER' && (principal.kind === 'session' || principal.kind === 'user_api_key');
}

/** Authenticated with an API key rather than a session or the admin secret. */
export function isApiKeyPrincipal(principal: Principal): boolean {
  return principal.kind === 'user_api_key' || principal.kind === 'system_api_key';
}
