import { AuthenticationError } from '../errors/index.js';
import { hasSecondFactor, mfaRequiredFor, startMfaChallenge, type MfaChallenge } from './mfa.js';
import type { ServiceDeps } from './deps.js';
import { checkPassword, issuePasswordSession, type IssuedSession, type PasswordLoginClient } from './sessions.js';

/** A password login's outcome: a session, or the second step it must pass first. */
export type PasswordLoginOutcome =
  | { readonly kind: 'session'; readonly session: IssuedSession }
  /** `verify`: prove the enrolled factor; `enroll`: the role requires one the user does not have. */
  | { readonly kind: 'mfa'; readonly challenge: MfaChallenge };

/**
 * `POST /auth/login`: the password, then, when the user has a second factor or the role requires
 * one, a challenge instead of a session. The default admin's forced password change comes after
 * (it is a flag on the session's user), so the two compose: factor first, then the new password.
 * The sign-in is recorded as succeeded only once a session exists, i.e. after the factor.
 */
export async function passwordLogin(
  deps: ServiceDeps,
  input: { email?: unknown; password?: unknown },
  client: PasswordLoginClient = {},
): Promise<PasswordLoginOutcome> {
  const user = await checkPassword(deps, input);
  if (await hasSecondFactor(deps, user.id))
    return { kind: 'mfa', challenge: await startMfaChallenge(deps, user, 'verify') };
  if (mfaRequiredFor(deps, user)) return { kind: 'mfa', challenge: await startMfaChallenge(deps, user, 'enroll') };
  return { kind: 'session', session: await issuePasswordSession(deps, user, client) };
}

/**
 * Password login for callers that can only handle a session: refused with `mfa_required` (401)
 * when the user must pass a second factor, so no caller gets a session around it.
 */
export async function login(
  deps: ServiceDeps,
  input: { email?: unknown; password?: unknown },
  client: PasswordLoginClient = {},
): Promise<IssuedSession> {
  const user = await checkPassword(deps, input);
  if ((await hasSecondFactor(deps, user.id)) || mfaRequiredFor(deps, user)) {
    throw new AuthenticationError('A second factor is required: use passwordLogin and POST /auth/mfa/verify', {
      code: 'mfa_required',
    });
  }
  return issuePasswordSession(deps, user, client);
}
