import type { UserRecord } from '../ports.js';

export const DEFAULT_ADMIN = Object.freeze({ username: 'admin', email: 'admin@localhost' });
export const SYSTEM_USER = Object.freeze({ username: 'system', email: 'system@localhost' });

/** As the reference's REST guard: by e-mail OR username, so renaming does not unprotect it. */
export function isDefaultAdmin(user: Pick<UserRecord, 'username' | 'email'>): boolean {
  return user.email === DEFAULT_ADMIN.email || user.username === DEFAULT_ADMIN.username;
}

export function isSystemUser(user: Pick<UserRecord, 'username' | 'email' | 'role'>): boolean {
  return user.role === 'SYSTEM' || user.email === SYSTEM_USER.email || user.username === SYSTEM_USER.username;
}

export function userTarget(user: UserRecord) {
  return { userId: user.id, isDefaultAdmin: isDefaultAdmin(user), isSystemUser: isSystemUser(user) };
}
