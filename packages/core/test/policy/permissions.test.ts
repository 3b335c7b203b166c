import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  ANONYMOUS_PRINCIPAL,
  DECISIONS,
  adminSecretPrincipal,
  can,
  decide,
  decisionError,
  enforce,
  explain,
  isAction,
  sessionPrincipal,
  systemApiKeyPrincipal,
  userApiKeyPrincipal,
  type Action,
  type ActionTarget,
  type Principal,
} from '../../src/policy/index.js';
import { AuthenticationError, PermissionDeniedError } from '../../src/errors/index.js';
import {
  ADMIN_ID,
  MEMBER_ID,
  OTHER_ID,
  PRINCIPALS,
  RULE_OUTCOME,
  SYSTEM_USER_ID,
  VIEWER_ID,
  expandRow,
} from './fixtures.js';

// Columns: session ADMIN, session MEMBER, session VIEWER, user key ADMIN, user key MEMBER,
// user key VIEWER, system key, admin secret, anonymous (auth off), no principal.
const A = 'admin';
const AO = 'admin-only';
const SS = 'self-service';
const MINT = 'api-keys-cannot-mint-keys';
const SYS = 'system-principal-personal-keys';
const LOCK = 'system-user-locked';
const OFFU = 'auth-disabled-users';
const OFFK = 'auth-disabled-api-keys';
const OFF = 'auth-disabled';
const UN = 'unauthenticated';
const MFAS = 'mfa-needs-session';

/** Every action against an ordinary other user / other user's key (no special target facts). */
const MATRIX: Record<Action, readonly string[]> = {
  create_user: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  delete_user: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  change_own_password: [SS, SS, SS, SS, SS, SS, LOCK, LOCK, OFFU, UN],
  change_other_password: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  change_own_username: [SS, SS, SS, SS, SS, SS, LOCK, LOCK, OFFU, UN],
  change_other_username: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  change_user_role: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  create_system_key: [A, AO, AO, MINT, AO, AO, AO, A, OFFK, UN],
  delete_system_key: [A, AO, AO, A, AO, AO, AO, A, OFFK, UN],
  list_system_keys: [A, AO, AO, A, AO, AO, AO, A, OFFK, UN],
  create_own_user_key: [SS, SS, SS, MINT, MINT, MINT, MINT, SYS, OFFK, UN],
  delete_own_user_key: [SS, SS, SS, SS, SS, SS, SYS, SYS, OFFK, UN],
  list_own_user_keys: [SS, SS, SS, SS, SS, SS, SS, SS, OFFK, UN],
  delete_other_user_key: [A, AO, AO, A, AO, AO, SYS, A, OFFK, UN],
  list_all_user_keys: [A, AO, AO, A, AO, AO, AO, A, OFFK, UN],
  list_users: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  read_audit_events: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  read_own_user: [SS, SS, SS, SS, SS, SS, SS, SS, OFF, UN],
  read_other_user: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  list_own_sessions: [SS, SS, SS, SS, SS, SS, SS, SS, OFFU, UN],
  revoke_own_session: [SS, SS, SS, SS, SS, SS, SS, SS, OFFU, UN],
  list_user_sessions: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  revoke_user_sessions: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
  manage_own_mfa: [SS, SS, SS, MFAS, MFAS, MFAS, MFAS, MFAS, OFFU, UN],
  reset_other_mfa: [A, AO, AO, A, AO, AO, AO, A, OFFU, UN],
};

const OTHER_USER: ActionTarget = { userId: OTHER_ID, ownerId: OTHER_ID };

describe('decide: every action x every principal', () => {
  it('covers every action', () => {
    expect(Object.keys(MATRIX).sort()).toEqual([...ACTIONS].sort());
    expect(ACTIONS).toHaveLength(25);
  });

  const cases = (Object.keys(MATRIX) as Action[]).flatMap((action) => expandRow(action, MATRIX[action]));

  it.each(cases)('%s by %s -> %s', (action, _label, principal, rule) => {
    const expected = RULE_OUTCOME[rule]!;
    for (const target of [undefined, OTHER_USER]) {
      const decision = decide(principal, action, target);
      expect(decision).toEqual({ rule, ...expected });
      expect(can(principal, action, target)).toBe(expected.allowed);
      expect(explain(principal, action, target)).toBe(decision);
    }
  });
});

describe('decide: targets', () => {
  const sAdmin = sessionPrincipal(ADMIN_ID, 'ADMIN');
  const kAdmin = userApiKeyPrincipal(ADMIN_ID, 'ADMIN');
  const sMember = sessionPrincipal(MEMBER_ID, 'MEMBER');
  const sViewer = sessionPrincipal(VIEWER_ID, 'VIEWER');
  const kViewer = userApiKeyPrincipal(VIEWER_ID, 'VIEWER');
  const systemKey = systemApiKeyPrincipal(SYSTEM_USER_ID);
  const secret = adminSecretPrincipal(SYSTEM_USER_ID);

  it.each<[string, Principal, Action, ActionTarget, string]>([
    // default admin and system user cannot be deleted; the admin gate speaks first
    ['admin deletes default admin', sAdmin, 'delete_user', { userId: 2, isDefaultAdmin: true }, 'protected-user'],
    [
      'admin deletes system user',
      sAdmin,
      'delete_user',
      { userId: SYSTEM_USER_ID, isSystemUser: true },
      'protected-user',
    ],
    ['secret deletes default admin', secret, 'delete_user', { isDefaultAdmin: true }, 'protected-user'],
    ['admin key deletes system user', kAdmin, 'delete_user', { isSystemUser: true }, 'protected-user'],
    ['member deletes default admin', sMember, 'delete_user', { isDefaultAdmin: true }, 'admin-only'],
    ['admin deletes a plain user', sAdmin, 'delete_user', { userId: OTHER_ID, isDefaultAdmin: false }, 'admin'],
    ['admin deletes itself', sAdmin, 'delete_user', { userId: ADMIN_ID }, 'admin'],
    // roles: nobody changes their own; default admin and system user are locked
    ['admin changes own role', sAdmin, 'change_user_role', { userId: ADMIN_ID }, 'own-role'],
    ['admin key changes own role', kAdmin, 'change_user_role', { userId: ADMIN_ID }, 'own-role'],
    [
      'default admin changes own role',
      sAdmin,
      'change_user_role',
      { userId: ADMIN_ID, isDefaultAdmin: true },
      'own-role',
    ],
    [
      'admin changes default admin role',
      sAdmin,
      'change_user_role',
      { userId: 2, isDefaultAdmin: true },
      'default-admin-role',
    ],
    [
      'secret changes default admin role',
      secret,
      'change_user_role',
      { userId: 2, isDefaultAdmin: true },
      'default-admin-role',
    ],
    [
      'admin changes system user role',
      sAdmin,
      'change_user_role',
      { userId: SYSTEM_USER_ID, isSystemUser: true },
      LOCK,
    ],
    [
      'secret changes system user role',
      secret,
      'change_user_role',
      { userId: SYSTEM_USER_ID, isSystemUser: true },
      LOCK,
    ],
    ['member changes own role', sMember, 'change_user_role', { userId: MEMBER_ID }, 'admin-only'],
    ['viewer changes default admin role', sViewer, 'change_user_role', { isDefaultAdmin: true }, 'admin-only'],
    // passwords and usernames of others
    [
      'admin sets system user password',
      sAdmin,
      'change_other_password',
      { userId: SYSTEM_USER_ID, isSystemUser: true },
      LOCK,
    ],
    ['admin renames system user', sAdmin, 'change_other_username', { isSystemUser: true }, LOCK],
    [
      'admin sets default admin password',
      sAdmin,
      'change_other_password',
      { userId: 2, isDefaultAdmin: true },
      'admin',
    ],
    [
      'admin sets own password via admin path',
      sAdmin,
      'change_other_password',
      { userId: ADMIN_ID },
      'own-password-requires-current',
    ],
    [
      'secret sets system user password',
      secret,
      'change_other_password',
      { userId: SYSTEM_USER_ID, isSystemUser: true },
      LOCK,
    ],
    ['member sets own password via admin path', sMember, 'change_other_password', { userId: MEMBER_ID }, 'admin-only'],
    ['viewer renames itself via admin path', sViewer, 'change_other_username', { userId: VIEWER_ID }, SS],
    ['system key renames itself via admin path', systemKey, 'change_other_username', { userId: SYSTEM_USER_ID }, LOCK],
    // reading users
    ['viewer reads itself via read_other_user', sViewer, 'read_other_user', { userId: VIEWER_ID }, SS],
    ['viewer reads another user', sViewer, 'read_other_user', { userId: OTHER_ID }, 'admin-only'],
    ['system key reads system user', systemKey, 'read_other_user', { userId: SYSTEM_USER_ID }, SS],
    // user keys: one's own key through the "other" action is an own-key delete
    ['member deletes own key', sMember, 'delete_other_user_key', { ownerId: MEMBER_ID }, SS],
    ['viewer key deletes own key', kViewer, 'delete_other_user_key', { ownerId: VIEWER_ID }, SS],
    ['member deletes another user key', sMember, 'delete_other_user_key', { ownerId: OTHER_ID }, 'admin-only'],
    ['admin key deletes another user key', kAdmin, 'delete_other_user_key', { ownerId: OTHER_ID }, 'admin'],
    ['secret deletes a user key', secret, 'delete_other_user_key', { ownerId: MEMBER_ID }, 'admin'],
    ['system key deletes a user key', systemKey, 'delete_other_user_key', { ownerId: MEMBER_ID }, SYS],
    ['system key deletes "own" personal key', systemKey, 'delete_other_user_key', { ownerId: SYSTEM_USER_ID }, SYS],
    ['secret deletes "own" personal key', secret, 'delete_other_user_key', { ownerId: SYSTEM_USER_ID }, SYS],
    ['admin deletes own key', sAdmin, 'delete_other_user_key', { ownerId: ADMIN_ID }, SS],
  ])('%s', (_name, principal, action, target, rule) => {
    expect(decide(principal, action, target)).toEqual({ rule, ...RULE_OUTCOME[rule]! });
  });

  it('anonymous never matches a self target (it has no user id)', () => {
    expect(decide(ANONYMOUS_PRINCIPAL, 'delete_other_user_key', { ownerId: 0 }).rule).toBe(OFFK);
    expect(decide(ANONYMOUS_PRINCIPAL, 'read_other_user', { userId: 0 }).rule).toBe(OFFU);
  });
});

describe('decide: robustness', () => {
  it('rules on kind before role: an anonymous or system-key principal carrying ADMIN is not an admin', () => {
    const anonymousAdmin: Principal = { kind: 'anonymous', userId: null, role: 'ADMIN' };
    const oddSystemKey: Principal = { kind: 'system_api_key', userId: SYSTEM_USER_ID, role: 'ADMIN' };
    expect(decide(anonymousAdmin, 'create_user').rule).toBe(OFFU);
    expect(decide(oddSystemKey, 'create_user').rule).toBe(AO);
    expect(decide(oddSystemKey, 'create_own_user_key').rule).toBe(MINT);
  });

  it('treats a SYSTEM-role session like the system user', () => {
    const systemSession = sessionPrincipal(SYSTEM_USER_ID, 'SYSTEM');
    expect(decide(systemSession, 'create_user').rule).toBe(AO);
    expect(decide(systemSession, 'create_own_user_key').rule).toBe(SYS);
    expect(decide(systemSession, 'change_own_password').rule).toBe(LOCK);
  });

  it('fails closed on an action it does not know and on an unknown credential kind', () => {
    const member = sessionPrincipal(MEMBER_ID, 'MEMBER');
    expect(decide(member, 'drop_database' as Action)).toBe(DECISIONS.unknownAction);
    expect(decide(null, 'drop_database' as Action)).toBe(DECISIONS.unauthenticated);
    const strange = { kind: 'cookie_of_unknown_origin', userId: MEMBER_ID, role: 'ADMIN' } as unknown as Principal;
    expect(decide(strange, 'create_own_user_key').rule).toBe(MINT);
    expect(decide(strange, 'create_user').rule).toBe(AO);
  });

  it('treats an undefined principal like no principal', () => {
    expect(decide(undefined as unknown as null, 'read_own_user')).toBe(DECISIONS.unauthenticated);
  });

  it('returns the shared frozen constants', () => {
    const decision = decide(sessionPrincipal(ADMIN_ID, 'ADMIN'), 'create_user');
    expect(decision).toBe(DECISIONS.admin);
    expect(Object.isFrozen(decision)).toBe(true);
    for (const constant of Object.values(DECISIONS)) {
      expect(Object.isFrozen(constant)).toBe(true);
      expect(constant).toEqual({ rule: constant.rule, ...RULE_OUTCOME[constant.rule]! });
    }
    expect(Object.values(DECISIONS)).toHaveLength(Object.keys(RULE_OUTCOME).length);
  });

  it('isAction recognises exactly the named actions', () => {
    expect(ACTIONS.every(isAction)).toBe(true);
    expect(isAction('create_users')).toBe(false);
    expect(isAction(42)).toBe(false);
  });
});

describe('decisionError / enforce', () => {
  it('maps a 401 to AuthenticationError(invalid_token)', () => {
    const error = decisionError(DECISIONS.unauthenticated);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error?.code).toBe('invalid_token');
    expect(error?.message).toBe('Authentication required');
    expect(error?.status).toBe(401);
  });

  it.each([
    [DECISIONS.adminOnly, 'forbidden', 'This action requires the ADMIN role.'],
    [DECISIONS.apiKeysCannotMintKeys, 'forbidden', 'API keys cannot create API keys'],
    [DECISIONS.authDisabledApiKeys, 'auth_disabled', 'Authentication must be enabled to manage API keys'],
    [DECISIONS.authDisabledUsers, 'auth_disabled', 'Authentication must be enabled to manage users'],
  ])('maps %o to PermissionDeniedError', (decision, code, message) => {
    const error = decisionError(decision);
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error?.code).toBe(code);
    expect(error?.message).toBe(message);
    expect(error?.status).toBe(403);
  });

  it('returns null and does not throw for an allowed decision', () => {
    expect(decisionError(DECISIONS.selfService)).toBeNull();
    expect(() => enforce(DECISIONS.admin)).not.toThrow();
  });

  it('enforce throws the denial', () => {
    expect(() => enforce(decide(userApiKeyPrincipal(MEMBER_ID, 'MEMBER'), 'create_own_user_key'))).toThrow(
      new PermissionDeniedError('API keys cannot create API keys'),
    );
  });

  it('PRINCIPALS fixture has one of each kind', () => {
    expect(new Set(PRINCIPALS.map(([, p]) => p?.kind ?? 'none')).size).toBe(6);
  });
});
