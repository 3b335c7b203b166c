import { assertValidEmail, assertValidPassword, randomPassword, sanitizeEmail } from '../crypto/index.js';
import { NotFoundError, PermissionDeniedError, ValidationError } from '../errors/index.js';
import { isAssignableRole, type Principal, type Role } from '../policy/index.js';
import type { AuthMethod, UserPatch, UserRecord } from '../ports.js';
import { authorize, requireActor } from './authorize.js';
import { auditActorOf, type AuditActor } from '../audit/index.js';
import type { ServiceDeps } from './deps.js';
import { publishIdentityChange } from './identity-change.js';
import { endSessionsExcept } from './session-list.js';
import { logoutUser } from './sessions.js';
import { assertUsernameAvailable, userTarget } from './well-known-users.js';

const MAX_USERNAME_LENGTH = 256;
const BASIC_AUTH_DISABLED = 'Basic auth is disabled: OAuth2 authentication only';

export function normalizeUsername(raw: unknown): string {
  const username = typeof raw === 'string' ? raw.trim() : '';
  if (!username) throw new ValidationError('Username must be non-empty');
  if (username.length > MAX_USERNAME_LENGTH)
    throw new ValidationError(`Username must be at most ${MAX_USERNAME_LENGTH} characters long`);
  return username;
}

/** `creating`: Phoenix's create-user message; a role change gets its own wording. */
function parseRole(raw: unknown, creating: boolean): Role {
  const role = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  if (role === 'SYSTEM')
    throw new ValidationError(creating ? 'Cannot create users with SYSTEM role' : 'Cannot assign the SYSTEM role', {
      code: 'bad_request',
    });
  if (!isAssignableRole(role)) throw new ValidationError('Role must be one of ADMIN, MEMBER, VIEWER');
  return role;
}

async function requireUser(deps: ServiceDeps, id: number): Promise<UserRecord> {
  const user = Number.isSafeInteger(id) ? await deps.store.findUserById(id) : null;
  if (!user) throw new NotFoundError('User not found');
  return user;
}

export async function getUser(deps: ServiceDeps, actor: Principal | null, id: number): Promise<UserRecord> {
  authorize(actor, actor?.userId === id ? 'read_own_user' : 'read_other_user', { userId: id });
  return requireUser(deps, id);
}

export interface CreateUserInput {
  email: unknown;
  username: unknown;
  role: unknown;
  authMethod?: AuthMethod;
  /** LOCAL only; omitted → a random password nobody knows (the user resets it by e-mail). */
  password?: unknown;
  oauth2ClientId?: string | null;
  oauth2UserId?: string | null;
}

/** Admin creates a user (docs/phoenix-contract.md#user-management). LOCAL users must choose their own password at first login. */
export async function createUser(
  deps: ServiceDeps,
  actor: Principal | null,
  input: CreateUserInput,
): Promise<UserRecord> {
  authorize(actor, 'create_user');
  const authMethod = input.authMethod ?? 'LOCAL';
  const role = parseRole(input.role, true);
  const email = sanitizeEmail(typeof input.email === 'string' ? input.email : '');
  assertValidEmail(email);
  const username = normalizeUsername(input.username);
  assertUsernameAvailable(username);

  let passwordHash: string | null = null;
  if (authMethod === 'LOCAL') {
    if (!deps.config.basicAuthEnabled)
      throw new PermissionDeniedError(BASIC_AUTH_DISABLED, { code: 'basic_auth_disabled' });
    let password = randomPassword();
    if (input.password !== undefined && input.password !== null) {
      if (typeof input.password !== 'string') throw new ValidationError('Password must be a string');
      assertValidPassword(input.password, deps.config.passwordPolicy);
      password = input.password;
    }
    passwordHash = await deps.hasher.hash(password);
  } else if (input.password !== undefined && input.password !== null) {
    throw new ValidationError(
      authMethod === 'LDAP' ? 'Password is not allowed for LDAP authentication' : 'OAuth2 users cannot have a password',
    );
  }

  const created = await deps.store.insertUser({
    username,
    email,
    role,
    authMethod,
    passwordHash,
    resetPassword: authMethod === 'LOCAL',
    oauth2ClientId: authMethod === 'OAUTH2' ? (input.oauth2ClientId ?? null) : null,
    oauth2UserId: authMethod === 'OAUTH2' ? (input.oauth2UserId ?? null) : null,
    createdAt: deps.clock.now(),
  });
  recordUserCreated(deps, created, 'admin', auditActorOf(actor));
  return created;
}

/** The audit event of a new account. */
export function recordUserCreated(
  deps: ServiceDeps,
  user: UserRecord,
  via: 'admin' | 'sign_up' | 'bootstrap',
  actor?: AuditActor,
): void {
  deps.audit.record({
    type: 'user.created',
    ...(actor ? { actor } : {}),
    subjectUserId: user.id,
    details: { email: user.email, username: user.username, role: user.role, authMethod: user.authMethod, via },
  });
}

export interface OwnProfileChange {
  username?: unknown;
  password?: unknown;
  currentPassword?: unknown;
  /** With a new password: end the user's other sessions (default true). */
  endOtherSessions?: unknown;
  /** The session the request was made with, kept by `endOtherSessions`; null for an API key. */
  currentSessionId?: number | null;
}

/**
 * A user changes their own username and/or password (reference `patchViewer`). A new password needs
 * the current one and cancels a pending reset link; unless `endOtherSessions` is false it also ends
 * every other session of the user, on every instance (the request's own session stays signed in).
 */
export async function updateOwnProfile(
  deps: ServiceDeps,
  actor: Principal | null,
  change: OwnProfileChange,
): Promise<{ user: UserRecord; endedSessions: number }> {
  if (change.username === undefined && change.password === undefined)
    throw new ValidationError('At least one field is required');
  const endOthers = change.endOtherSessions ?? true;
  if (typeof endOthers !== 'boolean') throw new ValidationError('end_other_sessions must be a boolean');
  if (change.username !== undefined) authorize(actor, 'change_own_username');
  if (change.password !== undefined) authorize(actor, 'change_own_password');
  requireActor(actor);
  const user = await requireUser(deps, actor.userId ?? Number.NaN);
  const patch: UserPatch = { updatedAt: deps.clock.now() };
  if (change.username !== undefined) {
    patch.username = normalizeUsername(change.username);
    assertUsernameAvailable(patch.username, user);
  }

  if (change.password !== undefined) {
    if (!deps.config.basicAuthEnabled)
      throw new PermissionDeniedError(BASIC_AUTH_DISABLED, { code: 'basic_auth_disabled' });
    if (user.authMethod !== 'LOCAL' || !user.passwordHash)
      throw new ValidationError('Cannot modify password for non-local user', { code: 'bad_request' });
    if (typeof change.password !== 'string') throw new ValidationError('Password must be a string');
    const current = typeof change.currentPassword === 'string' ? change.currentPassword : '';
    if (!current || !(await deps.hasher.verify(user.passwordHash, current))) {
      throw new ValidationError('Valid current password is required to modify password', { code: 'bad_request' });
    }
    assertValidPassword(change.password, deps.config.passwordPolicy);
    patch.passwordHash = await deps.hasher.hash(change.password);
    patch.resetPassword = false;
  }

  const updated = await deps.store.updateUser(user.id, patch);
  if (!updated) throw new NotFoundError('User not found');
  let endedSessions = 0;
  if (patch.passwordHash !== undefined) {
    // A link mailed before the change must not undo it.
    await deps.store.deletePasswordResetTokensOfUser(user.id);
    const keep = change.currentSessionId ?? null;
    if (endOthers && keep !== null) endedSessions = await endSessionsExcept(deps, user.id, keep);
    else if (endOthers) {
      // An API key has no session of its own to keep: every session ends.
      endedSessions = (await deps.store.deleteSessionsOfUser(user.id)).length;
      await deps.revocations.publish({ type: 'user_sessions', userId: user.id });
    }
  }
  if (patch.passwordHash !== undefined) {
    deps.audit.record({
      type: 'password.changed',
      actor: auditActorOf(actor),
      subjectUserId: user.id,
      details: { by: 'self', sessionsEnded: endOthers },
    });
  }
  await publishIdentityChange(deps, user, updated);
  return { user: updated, endedSessions };
}

/**
 * A new password ends every session and also a pending reset link (stricter than Phoenix, which
 * leaves it usable): a link mailed before the change must not undo it, whoever made the change.
 */
async function endCredentialsAfterPasswordChange(deps: ServiceDeps, userId: number): Promise<void> {
  await deps.store.deletePasswordResetTokensOfUser(userId);
  await logoutUser(deps, userId);
}

export interface AdminUserChange {
  username?: unknown;
  password?: unknown;
  role?: unknown;
}

/** Admin changes another user (reference `patchUser`): a new role or password logs the target out. */
export async function updateUser(
  deps: ServiceDeps,
  actor: Principal | null,
  id: number,
  change: AdminUserChange,
): Promise<UserRecord> {
  if (change.username === undefined && change.password === undefined && change.role === undefined) {
    throw new ValidationError('At least one field is required');
  }
  requireActor(actor);
  const target = await requireUser(deps, id);
  const patch: UserPatch = { updatedAt: deps.clock.now() };

  if (change.username !== undefined) {
    authorize(actor, 'change_other_username', userTarget(target));
    patch.username = normalizeUsername(change.username);
    assertUsernameAvailable(patch.username, target);
  }
  if (change.role !== undefined) {
    authorize(actor, 'change_user_role', userTarget(target));
    patch.role = parseRole(change.role, false);
  }
  if (change.password !== undefined) {
    // On oneself this is refused: the admin route skips the current-password check, so a stolen
    // admin session must go through updateOwnProfile like everyone else.
    authorize(actor, 'change_other_password', userTarget(target));
    if (!deps.config.basicAuthEnabled)
      throw new PermissionDeniedError(BASIC_AUTH_DISABLED, { code: 'basic_auth_disabled' });
    if (target.authMethod !== 'LOCAL')
      throw new ValidationError('Cannot modify password for non-local user', { code: 'bad_request' });
    if (typeof change.password !== 'string') throw new ValidationError('Password must be a string');
    assertValidPassword(change.password, deps.config.passwordPolicy);
    patch.passwordHash = await deps.hasher.hash(change.password);
    // An admin-chosen password is a temporary one: the user picks their own at next login.
    patch.resetPassword = true;
  }

  const updated = await deps.store.updateUser(target.id, patch);
  if (!updated) throw new NotFoundError('User not found');
  const roleChanged = patch.role !== undefined && patch.role !== target.role;
  if (patch.passwordHash !== undefined) await endCredentialsAfterPasswordChange(deps, target.id);
  else if (roleChanged) await logoutUser(deps, target.id);
  // API keys follow their owner's role live, and every principal its user's name and address.
  await publishIdentityChange(deps, target, updated);
  const by = auditActorOf(actor);
  if (roleChanged)
    deps.audit.record({
      type: 'user.role_changed',
      actor: by,
      subjectUserId: target.id,
      details: { from: target.role, to: updated.role, via: 'admin' },
    });
  if (patch.passwordHash !== undefined)
    deps.audit.record({
      type: 'password.changed',
      actor: by,
      subjectUserId: target.id,
      details: { by: 'admin', sessionsEnded: true },
    });
  return updated;
}

/**
 * Deletes a user and, in the same transaction, everything that authenticates as them (sessions,
 * tokens, reset tokens, personal keys); every cache drops them before this returns. System keys are
 * owned by the system user, so they survive the deletion of the admin who created them.
 */
export async function deleteUser(deps: ServiceDeps, actor: Principal | null, id: number): Promise<void> {
  authorize(actor, 'delete_user');
  const target = await requireUser(deps, id);
  authorize(actor, 'delete_user', userTarget(target));
  if (!(await deps.store.deleteUser(target.id))) throw new NotFoundError('User not found');
  await deps.revocations.publish({ type: 'user', userId: target.id });
  deps.audit.record({
    type: 'user.deleted',
    actor: auditActorOf(actor),
    subjectUserId: target.id,
    details: { email: target.email, username: target.username },
  });
}

export interface UserPage {
  readonly users: readonly UserRecord[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: number | null;
}

/** Newest first, keyset-paginated, SYSTEM excluded (docs/phoenix-contract.md#user-management). */
export async function listUsers(
  deps: ServiceDeps,
  actor: Principal | null,
  query: { cursor?: number | null; limit?: number } = {},
): Promise<UserPage> {
  authorize(actor, 'list_users');
  const limit = query.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit <= 0 || limit > 1000)
    throw new ValidationError('limit must be an integer between 1 and 1000');
  const rows = await deps.store.listUsers({
    beforeId: query.cursor ?? null,
    limit: limit + 1,
    excludeRoles: ['SYSTEM'],
  });
  const users = rows.slice(0, limit);
  return { users, nextCursor: rows.length > limit ? (users[users.length - 1]?.id ?? null) : null };
}
