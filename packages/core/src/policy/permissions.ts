import type { Action, ActionTarget } from './actions.js';
import { DECISIONS, type Decision } from './decision.js';
import { isAdmin, isApiKeyPrincipal, isSystemPrincipal, type Principal } from './principal.js';

const NO_TARGET: ActionTarget = Object.freeze({});

/**
 * Whether `principal` may perform `action` on `target`, and which rule says so.
 *
 * Checks run in the order Phoenix's handlers run them, so the message matches the one a
 * Phoenix client would see: authentication, then "auth disabled", then the admin gate, then the
 * credential-kind rules, then the target's protections. The decision covers authorization only;
 * the services still check existence, auth method and the current password, and answer 404 rather
 * than 403 where Phoenix hides whether a resource exists (someone else's API key).
 *
 * Auth disabled (`anonymous`): Phoenix skips its viewer/admin rules then, but its `IsAdmin`
 * and `IsAuthEnabled` gates fail, so every user- and key-management action is refused here, with a
 * message saying authentication must be enabled. Reading one's own user stays allowed (the
 * anonymous profile shape). The REST rule, like Phoenix's, lets such requests through to the
 * handler; it is this decision, made by the handler, that closes them.
 */
export function decide(principal: Principal | null, action: Action, targetOrNothing?: ActionTarget | null): Decision {
  if (principal == null) return DECISIONS.unauthenticated;
  const target = targetOrNothing ?? NO_TARGET;
  const anonymous = principal.kind === 'anonymous';

  switch (action) {
    case 'create_user':
    case 'list_users':
    case 'read_audit_events':
      if (anonymous) return DECISIONS.authDisabledUsers;
      return adminGate(principal);

    case 'read_other_user':
      if (isSelf(principal, target.userId)) return decide(principal, 'read_own_user');
      if (anonymous) return DECISIONS.authDisabledUsers;
      return adminGate(principal);

    case 'delete_user':
      if (anonymous) return DECISIONS.authDisabledUsers;
      if (!isAdmin(principal)) return DECISIONS.adminOnly;
      if (target.isDefaultAdmin === true || target.isSystemUser === true) return DECISIONS.protectedUser;
      return DECISIONS.admin;

    case 'change_other_username':
      // Renaming oneself needs no password on either path, so the own action decides.
      if (isSelf(principal, target.userId)) return decide(principal, 'change_own_username');
      return adminChangesOtherUser(principal, target);

    case 'change_other_password': {
      const decision = adminChangesOtherUser(principal, target);
      // Not delegated like the other self targets: the admin path sets a password without the
      // current one, and a stolen admin session must not be enough to take over the account.
      if (decision.allowed && isSelf(principal, target.userId)) return DECISIONS.ownPasswordRequiresCurrent;
      return decision;
    }

    case 'change_user_role':
      if (anonymous) return DECISIONS.authDisabledUsers;
      if (!isAdmin(principal)) return DECISIONS.adminOnly;
      // The admin secret acts as the system user: for it, "the system user is locked" is the reason
      // that explains the refusal, not "own role".
      if (target.isSystemUser === true) return DECISIONS.systemUserLocked;
      if (isSelf(principal, target.userId)) return DECISIONS.ownRole;
      if (target.isDefaultAdmin === true) return DECISIONS.defaultAdminRole;
      return DECISIONS.admin;

    case 'change_own_password':
    case 'change_own_username':
      if (anonymous) return DECISIONS.authDisabledUsers;
      // The system user has no usable password, and its name is one of the deletion guards.
      if (isSystemPrincipal(principal)) return DECISIONS.systemUserLocked;
      return DECISIONS.selfService;

    case 'read_own_user':
      return anonymous ? DECISIONS.authDisabled : DECISIONS.selfService;

    case 'list_all_user_keys':
    case 'list_system_keys':
    case 'delete_system_key':
      if (anonymous) return DECISIONS.authDisabledApiKeys;
      return adminGate(principal);

    case 'create_system_key':
      if (anonymous) return DECISIONS.authDisabledApiKeys;
      // Admin gate first: a SYSTEM key is refused as a non-admin, an ADMIN user's key as a key.
      if (!isAdmin(principal)) return DECISIONS.adminOnly;
      if (principal.kind !== 'session' && principal.kind !== 'admin_secret') return DECISIONS.apiKeysCannotMintKeys;
      return DECISIONS.admin;

    case 'create_own_user_key':
      if (anonymous) return DECISIONS.authDisabledApiKeys;
      if (isApiKeyPrincipal(principal)) return DECISIONS.apiKeysCannotMintKeys;
      if (isSystemPrincipal(principal)) return DECISIONS.systemPrincipalPersonalKeys;
      // Fails closed for any credential kind this module does not know.
      if (principal.kind !== 'session') return DECISIONS.apiKeysCannotMintKeys;
      return DECISIONS.selfService;

    case 'delete_own_user_key':
      if (anonymous) return DECISIONS.authDisabledApiKeys;
      if (isSystemPrincipal(principal)) return DECISIONS.systemPrincipalPersonalKeys;
      return DECISIONS.selfService;

    case 'delete_other_user_key':
      if (isSelf(principal, target.ownerId)) return decide(principal, 'delete_own_user_key');
      if (anonymous) return DECISIONS.authDisabledApiKeys;
      // The admin secret may revoke anyone's key; a SYSTEM key may not touch personal keys at all.
      if (isAdmin(principal)) return DECISIONS.admin;
      if (isSystemPrincipal(principal)) return DECISIONS.systemPrincipalPersonalKeys;
      return DECISIONS.adminOnly;

    case 'list_own_user_keys':
      // SYSTEM principals are allowed and see an empty list: the system user owns no personal keys.
      return anonymous ? DECISIONS.authDisabledApiKeys : DECISIONS.selfService;

    case 'list_own_sessions':
    case 'revoke_own_session':
      // Any credential of the user, as for its own keys: the system user simply has no sessions.
      return anonymous ? DECISIONS.authDisabledUsers : DECISIONS.selfService;

    case 'list_user_sessions':
    case 'revoke_user_sessions':
      if (isSelf(principal, target.userId))
        return decide(principal, action === 'list_user_sessions' ? 'list_own_sessions' : 'revoke_own_session');
      if (anonymous) return DECISIONS.authDisabledUsers;
      return adminGate(principal);
    case 'manage_own_mfa':
      if (anonymous) return DECISIONS.authDisabledUsers;
      // A key or the admin secret proves possession of a bearer string, not of the person: letting
      // it add or remove a factor would let a leaked key take over, or strip, the account's MFA.
      if (principal.kind !== 'session') return DECISIONS.mfaNeedsSession;
      if (isSystemPrincipal(principal)) return DECISIONS.systemUserLocked;
      return DECISIONS.selfService;

    case 'reset_other_mfa':
      // The recovery of last resort for a user who lost every factor: admins only, no code needed.
      return adminChangesOtherUser(principal, target);

    default:
      return DECISIONS.unknownAction;
  }
}

/** `decide(...).allowed`. */
export function can(principal: Principal | null, action: Action, target?: ActionTarget): boolean {
  return decide(principal, action, target).allowed;
}

/** The full decision, for logs and for users' own policy tests; the same object `decide` returns. */
export function explain(principal: Principal | null, action: Action, target?: ActionTarget): Decision {
  return decide(principal, action, target);
}

function adminChangesOtherUser(principal: Principal, target: ActionTarget): Decision {
  if (principal.kind === 'anonymous') return DECISIONS.authDisabledUsers;
  if (!isAdmin(principal)) return DECISIONS.adminOnly;
  // Giving the system user a known password or a new name would turn it into a login.
  if (target.isSystemUser === true) return DECISIONS.systemUserLocked;
  return DECISIONS.admin;
}

function adminGate(principal: Principal): Decision {
  return isAdmin(principal) ? DECISIONS.admin : DECISIONS.adminOnly;
}

function isSelf(principal: Principal, userId: number | undefined): boolean {
  return userId !== undefined && principal.userId !== null && principal.userId === userId;
}
