import { ConflictError } from '../errors/index.js';
import type { UserRecord } from '../ports.js';

export const DEFAULT_ADMIN = Object.freeze({ username: 'admin', email: 'admin@localhost' });
export const SYSTEM_USER = Object.freeze({ username: 'system', email: 'system@localhost' });

/**
 * By identity, not by name: the default admin is the account bootstrap created with the e-mail
 * `admin@localhost`, and no route can change a user's e-mail, so the address is the account.
 * (Phoenix also matches the username `admin`: then a member who renames itself `admin`
 * after the real admin renamed itself becomes undeletable. The names are reserved instead.)
 */
export function isDefaultAdmin(user: Pick<UserRecord, 'email'>): boolean {
  return user.email === DEFAULT_ADMIN.email;
}

/** The system user: the one SYSTEM-role account (its e-mail is as immutable as the admin's). */
export function isSystemUser(user: Pick<UserRecord, 'email' | 'role'>): boolean {
  return user.role === 'SYSTEM' || user.email === SYSTEM_USER.email;
}

/**
 * The usernames `admin` and `system` (any case) belong to the two well-known accounts: anyone else
 * taking one is refused with 409, so a name never points at the wrong account in logs or pages.
 * `owner` is the account being named (absent for a new user).
 */
export function assertUsernameAvailable(username: string, owner?: Pick<UserRecord, 'email' | 'role'>): void {
  const name = username.toLowerCase();
  if (name === DEFAULT_ADMIN.username && !(owner && isDefaultAdmin(owner))) {
    throw new ConflictError(`The username '${DEFAULT_ADMIN.username}' is reserved for the default admin`, {
      code: 'reserved_username',
    });
  }
  if (name === SYSTEM_USER.username && !(owner && isSystemUser(owner))) {
    throw new ConflictError(`The username '${SYSTEM_USER.username}' is reserved for the system user`, {
      code: 'reserved_username',
    });
  }
}

/** Whether a username is one of the reserved two (for generated names, which pick another). */
export function isReservedUsername(username: string): boolean {
  const name = username.toLowerCase();
  return name === DEFAULT_ADMIN.username || name === SYSTEM_USER.username;
}

export function userTarget(user: UserRecord) {
  return { userId: user.id, isDefaultAdmin: isDefaultAdmin(user), isSystemUser: isSystemUser(user) };
}
