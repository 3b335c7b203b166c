/**
 * The user- and key-management operations the policy rules on. Data operations (traces,
 * datasets, …) are the host's business and go through the REST rule instead.
 */
export const ACTIONS = [
  'create_user',
  'delete_user',
  'change_own_password',
  'change_other_password',
  'change_own_username',
  'change_other_username',
  'change_user_role',
  'create_system_key',
  'delete_system_key',
  'list_system_keys',
  'create_own_user_key',
  'delete_own_user_key',
  'list_own_user_keys',
  'delete_other_user_key',
  'list_all_user_keys',
  'list_users',
  'read_own_user',
  'read_other_user',
  'read_audit_events',
  'list_own_sessions',
  'revoke_own_session',
  'list_user_sessions',
  'revoke_user_sessions',
  'manage_own_mfa',
  'reset_other_mfa',
] as const;

export type Action = (typeof ACTIONS)[number];

const ACTION_SET: ReadonlySet<string> = new Set(ACTIONS);

export function isAction(value: unknown): value is Action {
  return typeof value === 'string' && ACTION_SET.has(value);
}

/**
 * What the action is applied to, when that changes the answer. Unknown facts may be left out;
 * the rules then assume the ordinary case (another, unprotected user).
 */
export interface ActionTarget {
  /** The user acted upon (for the *_other_* and role/delete actions). */
  readonly userId?: number;
  /** The target is the default admin (`admin` / `admin@localhost`). */
  readonly isDefaultAdmin?: boolean;
  /** The target is the internal SYSTEM user. */
  readonly isSystemUser?: boolean;
  /** The owner of the API key acted upon (for delete_other_user_key). */
  readonly ownerId?: number;
}

/** Alias of `ActionTarget`, the name the services use. */
export type PermissionTarget = ActionTarget;
