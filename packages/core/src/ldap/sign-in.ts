/**
 * LDAP login (docs/phoenix-contract.md#ldap-login, #ldap-groups, #ldap-provisioning): lockout check, the directory, the group → role mapping,
 * then finding, adopting or creating the LDAP user. Divergence: a directory that cannot be asked
 * answers 503 with Retry-After and does not count against the account (docs/divergences.md).
 */
import { randomBytes } from 'node:crypto';
import type { LdapConfig } from '../config/index.js';
import { AuthenticationError, DirectoryUnavailableError, isGatehouseError } from '../errors/index.js';
import type { AssignableRole } from '../policy/index.js';
import type { SessionOrigin, UserPatch, UserRecord } from '../ports.js';
import type { ServiceDeps } from '../services/deps.js';
import { assertNotLockedOut, clearLoginFailures, recordLoginFailure } from '../services/login-lockout.js';
import { publishIdentityChange } from '../services/identity-change.js';
import { issueSession, recordSignIn, recordSignInFailure, type IssuedSession } from '../services/sessions.js';
import { recordUserCreated } from '../services/users.js';
import { canonicalDn } from './dn.js';
import type { Directory, DirectoryUser } from './directory.js';

const INVALID = 'Invalid username and/or password';
/** Seconds a client is told to wait after a directory outage. */
const OUTAGE_RETRY_SECONDS = 30;
/**
 * The e-mail column of a no-email-mode user: not an address (no `@`), so no login, reset or
 * e-mail lookup can ever match it, and unique because the unique id is. Shown as `""` by the API.
 */
export const LDAP_NO_EMAIL_PREFIX = 'ldap-no-email:';

export const isLdapEmailMarker = (email: string): boolean => email.startsWith(LDAP_NO_EMAIL_PREFIX);

/** The first mapping whose group the user is in (or `*`) decides, in configured order. */
export function mapLdapRole(ldap: LdapConfig, groups: readonly string[]): AssignableRole | null {
  const canonical = new Set(groups.map(canonicalDn).filter((dn): dn is string => dn !== null));
  for (const mapping of ldap.groupRoleMappings) {
    if (mapping.groupDn === '*' || canonical.has(mapping.groupDn)) return mapping.role;
  }
  return null;
}

// By code, not class: a store built against another copy of core throws that copy's ConflictError.
const isConflict = (error: unknown): error is { code: string } =>
  isGatehouseError(error) &&
  (error.code === 'conflict' || error.code === 'duplicate_email' || error.code === 'duplicate_username');

/** Refusals after the directory said yes: not the person's fault, so not counted (docs/phoenix-contract.md#ldap-login). */
class Refused extends Error {}

export async function ldapLogin(
  deps: ServiceDeps,
  ldap: LdapConfig,
  directory: Directory,
  input: { username?: unknown; password?: unknown },
  client: Omit<SessionOrigin, 'signInMethod' | 'idp'> = {},
): Promise<IssuedSession> {
  const username = typeof input.username === 'string' ? input.username : '';
  const password = typeof input.password === 'string' ? input.password : '';
  if (!username.trim() || !password)
    throw new AuthenticationError('Username and password required', { code: 'invalid_credentials' });
  const lockoutKey = username.trim().toLowerCase();
  try {
    await assertNotLockedOut(deps, lockoutKey);
  } catch (error) {
    // The login name is free text the directory has not vouched for: not kept.
    recordSignInFailure(deps, 'ldap', 'locked_out', null, null);
    throw error;
  }

  const outcome = await directory.authenticate(username, password);
  if (!outcome.ok && outcome.reason === 'unavailable') {
    throw new DirectoryUnavailableError('The directory server is unavailable. Please try again later.', {
      retryAfterSeconds: OUTAGE_RETRY_SECONDS,
    });
  }
  const fail = async (reason: 'invalid_credentials' | 'not_allowed'): Promise<never> => {
    const lockedUntil = await recordLoginFailure(deps, lockoutKey);
    recordSignInFailure(deps, 'ldap', reason, null, reason === 'not_allowed' ? lockoutKey : null, lockedUntil);
    throw new AuthenticationError(INVALID, { code: 'invalid_credentials' });
  };
  if (!outcome.ok) return fail('invalid_credentials');
  const found = outcome.user;
  const email = found.email?.trim().toLowerCase() || null;
  if (ldap.emailAttribute !== null && email === null) return fail('not_allowed');
  if (ldap.uniqueIdAttribute !== null && found.uniqueId === null) return fail('not_allowed');
  const role = mapLdapRole(ldap, found.groups);
  if (role === null) return fail('not_allowed');

  let user: UserRecord;
  try {
    user = await provision(deps, ldap, username, found, email, role);
  } catch (error) {
    if (error instanceof Refused) {
      recordSignInFailure(deps, 'ldap', 'not_allowed', null, lockoutKey);
      throw new AuthenticationError(INVALID, { code: 'invalid_credentials' });
    }
    throw error;
  }
  await clearLoginFailures(deps, lockoutKey);
  const session = await issueSession(deps, user, { ...client, signInMethod: 'ldap' });
  recordSignIn(deps, session, 'ldap', null);
  return session;
}

async function provision(
  deps: ServiceDeps,
  ldap: LdapConfig,
  loginName: string,
  found: DirectoryUser,
  email: string | null,
  role: AssignableRole,
): Promise<UserRecord> {
  const uniqueId = found.uniqueId;
  let existing: UserRecord | null = null;
  if (uniqueId !== null) existing = await deps.store.findUserByLdapUniqueId(uniqueId);
  if (existing === null && email !== null) {
    const byEmail = await deps.store.findUserByEmail(email);
    // LOCAL and OAuth2 accounts cannot be claimed through the directory.
    if (byEmail !== null && byEmail.authMethod !== 'LDAP') throw new Refused();
    // A different id on the same address: a recycled mailbox; an admin must resolve it.
    if (byEmail !== null && uniqueId !== null && byEmail.ldapUniqueId !== null && byEmail.ldapUniqueId !== uniqueId)
      throw new Refused();
    existing = byEmail;
  }
  if (existing !== null) return refresh(deps, existing, { email, uniqueId, role });
  if (!ldap.allowSignUp) throw new Refused();
  return signUp(deps, loginName, found, email ?? `${LDAP_NO_EMAIL_PREFIX}${uniqueId ?? ''}`, role);
}

/** E-mail and role follow the directory at every login (no opt-out, docs/phoenix-contract.md#ldap-groups). */
async function refresh(
  deps: ServiceDeps,
  user: UserRecord,
  from: { email: string | null; uniqueId: string | null; role: AssignableRole },
): Promise<UserRecord> {
  const patch: UserPatch = { updatedAt: deps.clock.now() };
  if (from.email !== null && from.email !== user.email) patch.email = from.email;
  if (from.uniqueId !== null && user.ldapUniqueId !== from.uniqueId) patch.ldapUniqueId = from.uniqueId;
  const roleChanged = user.role !== 'SYSTEM' && user.role !== from.role;
  if (roleChanged) patch.role = from.role;
  if (Object.keys(patch).length === 1) return user;
  let updated: UserRecord | null;
  try {
    updated = await deps.store.updateUser(user.id, patch);
  } catch (error) {
    // The new address belongs to another account: refuse rather than Phoenix's 500.
    if (isConflict(error)) throw new Refused();
    throw error;
  }
  if (!updated) throw new Refused();
  // Cached credentials (API keys) of this user carry the old role or address.
  await publishIdentityChange(deps, user, updated);
  if (roleChanged) {
    deps.audit.record({
      type: 'user.role_changed',
      subjectUserId: user.id,
      actor: { kind: 'identity_provider', userId: null },
      details: { from: user.role, to: from.role, via: 'ldap' },
    });
  }
  return updated;
}

async function signUp(
  deps: ServiceDeps,
  loginName: string,
  found: DirectoryUser,
  email: string,
  role: AssignableRole,
): Promise<UserRecord> {
  const base = (found.displayName ?? loginName).trim() || loginName.trim();
  for (let attempt = 0; attempt < 5; attempt++) {
    const username = attempt === 0 ? base : `${base} (${randomBytes(3).toString('hex')})`;
    try {
      const user = await deps.store.insertUser({
        username,
        email,
        role,
        authMethod: 'LDAP',
        passwordHash: null,
        resetPassword: false,
        ldapUniqueId: found.uniqueId,
        createdAt: deps.clock.now(),
      });
      recordUserCreated(deps, user, 'sign_up');
      return user;
    } catch (error) {
      if (!isConflict(error)) throw error;
      if (error.code !== 'duplicate_username') throw new Refused();
    }
  }
  throw new Refused();
}
