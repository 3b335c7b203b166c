import { randomInt } from 'node:crypto';
import type { IdpConfig } from '../config/index.js';
import { ConflictError } from '../errors/index.js';
import type { AssignableRole } from '../policy/index.js';
import type { UserPatch, UserRecord } from '../ports.js';
import type { ServiceDeps } from '../services/index.js';
import { recordUserCreated } from '../services/users.js';
import { isReservedUsername } from '../services/well-known-users.js';
import { publishIdentityChange } from '../services/identity-change.js';
import type { OAuth2UserInfo } from './claims.js';

/** Why an IdP login cannot become a Gatehouse user: Phoenix's redirect codes (docs/phoenix-contract.md#oauth2-error-redirects). */
export type SignInRefusal = 'email_in_use' | 'sign_in_not_allowed';

export type SignInResult =
  | { readonly ok: true; readonly user: UserRecord; readonly created: boolean }
  | { readonly ok: false; readonly code: SignInRefusal };

export interface SignInInput {
  readonly info: OAuth2UserInfo;
  /** From the groups gate and role mapping; null when the IdP gives no role information. */
  readonly role: AssignableRole | null;
  /** The IdP asserted `email_verified: true` for this login. */
  readonly emailVerified: boolean;
}

const refuse = (code: SignInRefusal): SignInResult => ({ ok: false, code });
const isConflict = (error: unknown): boolean => error instanceof ConflictError;

/**
 * Finds, links or creates the user an IdP login stands for (docs/phoenix-contract.md#oauth2-linking), keyed by the IdP's
 * client id and the `sub` claim. Divergence: with sign-up off, an account bound to another client
 * is re-linked by e-mail only when the IdP says `email_verified: true` (docs/divergences.md).
 */
export async function signInOAuth2User(deps: ServiceDeps, idp: IdpConfig, input: SignInInput): Promise<SignInResult> {
  const { info } = input;
  const bound = await deps.store.findUserByOAuth2Identity(idp.clientId, info.subject);
  if (bound) return refresh(deps, idp, bound, input, {});
  return idp.allowSignUp ? signUp(deps, idp, input) : linkByEmail(deps, idp, input);
}

async function linkByEmail(deps: ServiceDeps, idp: IdpConfig, input: SignInInput): Promise<SignInResult> {
  const existing = await deps.store.findUserByEmail(input.info.email);
  if (!existing || existing.authMethod !== 'OAUTH2') return refuse('sign_in_not_allowed');
  const link: Partial<UserPatch> = {};
  if (existing.oauth2ClientId !== idp.clientId) {
    // First binding of an admin-created account, or a move from another IdP: the second only on a
    // verified address, or whoever controls an unverified e-mail at any IdP takes the account over.
    if (existing.oauth2ClientId !== null && !input.emailVerified) return refuse('sign_in_not_allowed');
    link.oauth2ClientId = idp.clientId;
    link.oauth2UserId = input.info.subject;
  } else if (existing.oauth2UserId === null) {
    link.oauth2UserId = input.info.subject;
  } else if (existing.oauth2UserId !== input.info.subject) {
    return refuse('sign_in_not_allowed');
  }
  return refresh(deps, idp, existing, input, link);
}

/** Email, picture and (with a role path and ROLE_RESYNC) role follow the IdP on every login. */
async function refresh(
  deps: ServiceDeps,
  idp: IdpConfig,
  user: UserRecord,
  input: SignInInput,
  link: Partial<UserPatch>,
): Promise<SignInResult> {
  const patch: UserPatch = { ...link, updatedAt: deps.clock.now() };
  if (input.info.email !== user.email) patch.email = input.info.email;
  if (input.info.profilePictureUrl !== user.profilePictureUrl) patch.profilePictureUrl = input.info.profilePictureUrl;
  const roleChanged = input.role !== null && idp.roleResync && input.role !== user.role && user.role !== 'SYSTEM';
  if (roleChanged) patch.role = input.role!;
  if (Object.keys(patch).length === 1) return { ok: true, user, created: false };
  let updated: UserRecord | null;
  try {
    updated = await deps.store.updateUser(user.id, patch);
  } catch (error) {
    if (isConflict(error)) return refuse('email_in_use');
    throw error;
  }
  if (!updated) return refuse('sign_in_not_allowed');
  // Cached credentials of this user carry the old role or address: drop them everywhere.
  await publishIdentityChange(deps, user, updated);
  if (roleChanged) {
    deps.audit.record({
      type: 'user.role_changed',
      subjectUserId: user.id,
      actor: { kind: 'identity_provider', userId: null },
      details: { from: user.role, to: updated.role, via: 'oauth2' },
    });
  }
  return { ok: true, user: updated, created: false };
}

async function signUp(deps: ServiceDeps, idp: IdpConfig, input: SignInInput): Promise<SignInResult> {
  const { info } = input;
  if (await deps.store.findUserByEmail(info.email)) return refuse('email_in_use');
  const at = info.email.indexOf('@');
  const base = info.username ?? (at > 0 ? info.email.slice(0, at) : info.email);
  const now = deps.clock.now();
  for (let attempt = 0; attempt < 5; attempt++) {
    // A reserved name (`admin`, `system`) is never the first try: it belongs to a well-known account.
    const username = attempt === 0 && !isReservedUsername(base) ? base : `${base}-${randomInt(10_000, 100_000)}`;
    try {
      const user = await deps.store.insertUser({
        username,
        email: info.email,
        role: input.role ?? 'VIEWER',
        authMethod: 'OAUTH2',
        passwordHash: null,
        resetPassword: false,
        oauth2ClientId: idp.clientId,
        oauth2UserId: info.subject,
        profilePictureUrl: info.profilePictureUrl,
        createdAt: now,
      });
      recordUserCreated(deps, user, 'sign_up');
      return { ok: true, user, created: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      if (error.code === 'duplicate_email') return refuse('email_in_use');
      if (error.code !== 'duplicate_username') throw error;
    }
  }
  throw new ConflictError('Could not find a free username', { code: 'duplicate_username' });
}
