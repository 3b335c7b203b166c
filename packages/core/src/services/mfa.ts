import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  isGatehouseError,
} from '../errors/index.js';
import {
  createSecretBox,
  matchTotpStep,
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  normalizeTotpCode,
  qrSvg,
  recoveryCodeHashes,
  type SecretBox,
} from '../mfa/index.js';
import type { Principal } from '../policy/index.js';
import type { MfaChallengePurpose, UserRecord } from '../ports.js';
import type { MfaConfig } from '../config/index.js';
import { auditActorOf } from '../audit/index.js';
import { authorize } from './authorize.js';
import type { ServiceDeps } from './deps.js';
import { assertNotLockedOut, clearLoginFailures, recordLoginFailure } from './login-lockout.js';
import {
  issuePasswordSession,
  logoutUser,
  recordSignInFailure,
  type IssuedSession,
  type PasswordLoginClient,
} from './sessions.js';
import { userTarget } from './well-known-users.js';
import { requireSelf } from './mfa-self.js';
import { beginPasskeyAssertion, provePasskeySecondFactor, type WebauthnCeremony } from './passkeys.js';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';

/*
 * Second factors of password logins: a TOTP authenticator and single-use recovery codes.
 *
 * A password login whose user has a factor (or whose role requires one) gets no session: it gets
 * a short-lived challenge, a server-side row named by an `mfa_challenge` token, which is good for
 * nothing but the MFA routes. Every wrong code counts as a failed login of the account, so the
 * lockout that stops password guessing also stops code guessing.
 */

const INVALID_CODE = 'Invalid authentication code';
const INVALID_CHALLENGE = 'Invalid or expired sign-in challenge: sign in again';

const boxes = new WeakMap<MfaConfig, SecretBox>();

/** The secret box of this configuration, or a 403 when second factors are not configured. */
function secretBox(deps: ServiceDeps): SecretBox {
  const mfa = deps.config.mfa;
  if (mfa.encryptionKey === null) {
    throw new PermissionDeniedError(
      'Second factors are not configured on this server (GATEHOUSE_ENCRYPTION_KEY is unset)',
      { code: 'mfa_unavailable' },
    );
  }
  let box = boxes.get(mfa);
  if (box === undefined) {
    box = createSecretBox(mfa.encryptionKey, mfa.previousEncryptionKeys);
    boxes.set(mfa, box);
  }
  return box;
}

/** The label authenticator apps show: the deployment's host, from configuration only. */
function issuer(deps: ServiceDeps): string {
  try {
    return new URL(deps.config.publicUrl).host || 'Gatehouse';
  } catch {
    return 'Gatehouse';
  }
}

/** Whether this user's password logins must pass a second factor even without one enrolled. */
export function mfaRequiredFor(deps: ServiceDeps, user: UserRecord): boolean {
  return user.authMethod === 'LOCAL' && (deps.config.mfa.requiredRoles as readonly string[]).includes(user.role);
}

/**
 * Whether the user has a confirmed second factor. Asked of the store even when no encryption key
 * is configured: a factor enrolled before the key was removed must block the login (its check
 * then fails closed), never be skipped.
 */
export async function hasSecondFactor(deps: ServiceDeps, userId: number): Promise<boolean> {
  const totp = await deps.store.findTotpFactor(userId);
  return (totp !== null && totp.confirmedAt !== null) || (await deps.store.countPasskeys(userId)) > 0;
}

async function hasTotp(deps: ServiceDeps, userId: number): Promise<boolean> {
  const totp = await deps.store.findTotpFactor(userId);
  return totp !== null && totp.confirmedAt !== null;
}

/** What can answer a `verify` challenge for this user: only the factors they have. */
async function methodsOf(deps: ServiceDeps, userId: number): Promise<SecondFactorMethod[]> {
  const totp = await deps.store.findTotpFactor(userId);
  const methods: SecondFactorMethod[] = totp?.confirmedAt != null ? ['totp', 'recovery_code'] : [];
  if ((await deps.store.countPasskeys(userId)) > 0) methods.push('passkey');
  return methods;
}

export interface MfaChallenge {
  /** The `mfa_challenge` token: sent in the body and as an HttpOnly cookie. */
  readonly token: string;
  readonly purpose: MfaChallengePurpose;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** What can answer a `verify` challenge. */
  readonly methods: readonly SecondFactorMethod[];
}

/** Starts the second step of a login whose password was right. */
export async function startMfaChallenge(
  deps: ServiceDeps,
  user: UserRecord,
  purpose: MfaChallengePurpose,
): Promise<MfaChallenge> {
  const now = deps.clock.now();
  const expiresAt = now + deps.config.mfa.challengeTtlSeconds * 1000;
  const row = await deps.store.insertMfaChallenge({ userId: user.id, purpose, createdAt: now, expiresAt });
  const token = await deps.tokens.sign('mfa_challenge', {
    jti: String(row.id),
    sub: String(user.id),
    expiresAt: Math.floor(expiresAt / 1000),
  });
  return { token, purpose, expiresAt, methods: purpose === 'verify' ? await methodsOf(deps, user.id) : [] };
}

/** The live challenge a token names, with its user; every failure is the same 401. */
async function openChallenge(deps: ServiceDeps, token: unknown, purpose: MfaChallengePurpose) {
  if (typeof token !== 'string' || token === '')
    throw new AuthenticationError(INVALID_CHALLENGE, { code: 'invalid_token' });
  let jti: number;
  let sub: number;
  try {
    const claims = await deps.tokens.verify(token, 'mfa_challenge');
    jti = Number(claims.jti);
    sub = Number(claims.sub);
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'unavailable') throw error;
    throw new AuthenticationError(INVALID_CHALLENGE, {
      code: isGatehouseError(error) && error.code === 'expired_token' ? 'expired_token' : 'invalid_token',
    });
  }
  if (!Number.isSafeInteger(jti) || !Number.isSafeInteger(sub))
    throw new AuthenticationError(INVALID_CHALLENGE, { code: 'invalid_token' });
  const row = await deps.store.findMfaChallenge(jti);
  if (!row || row.userId !== sub || row.purpose !== purpose)
    throw new AuthenticationError(INVALID_CHALLENGE, { code: 'invalid_token' });
  if (row.expiresAt <= deps.clock.now()) throw new AuthenticationError(INVALID_CHALLENGE, { code: 'expired_token' });
  const user = await deps.store.findUserById(row.userId);
  if (!user) throw new AuthenticationError(INVALID_CHALLENGE, { code: 'invalid_token' });
  return { row, user };
}

/** Single use: of two requests that both proved the factor, one gets the session. */
async function consumeChallenge(deps: ServiceDeps, id: number): Promise<void> {
  if ((await deps.store.takeMfaChallenge(id)) === null)
    throw new AuthenticationError(INVALID_CHALLENGE, { code: 'invalid_token' });
}

/**
 * A wrong code counts as a failed login of the account. `atSignIn`: the code was the second step of a
 * sign-in, so the audit trail records the refused sign-in (and the lockout it may start) as the
 * password path does; a wrong code on the signed-in settings routes is not a sign-in.
 */
async function wrongCode(deps: ServiceDeps, user: UserRecord, atSignIn = false): Promise<never> {
  const lockedUntil = await recordLoginFailure(deps, user.email);
  if (atSignIn) recordSignInFailure(deps, 'password', 'invalid_mfa_code', user.id, user.email, lockedUntil);
  throw new AuthenticationError(INVALID_CODE, { code: 'invalid_mfa_code' });
}

/** The lockout check of a sign-in's second step: a refusal is recorded as the password path records it. */
async function assertSignInNotLockedOut(deps: ServiceDeps, user: UserRecord): Promise<void> {
  try {
    await assertNotLockedOut(deps, user.email);
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'too_many_login_attempts')
      recordSignInFailure(deps, 'password', 'locked_out', user.id, user.email);
    throw error;
  }
}

/**
 * Checks a TOTP code against the user's confirmed factor and spends its step: a code is accepted
 * once, and no code of an earlier step is accepted after it. A secret sealed under a former key is
 * sealed again under the current one.
 */
async function spendTotpCode(deps: ServiceDeps, userId: number, rawCode: unknown): Promise<boolean> {
  const code = normalizeTotpCode(rawCode);
  if (code === null) return false;
  const factor = await deps.store.findTotpFactor(userId);
  if (!factor || factor.confirmedAt === null) return false;
  const box = secretBox(deps);
  const { plaintext, stale } = box.open(factor.secretCiphertext, userId);
  const step = matchTotpStep(plaintext, code, deps.clock.now());
  if (step === null) return false;
  if (!(await deps.store.advanceTotpStep(userId, step))) return false;
  if (stale) await deps.store.updateTotpCiphertext(userId, box.seal(plaintext, userId));
  return true;
}

async function spendRecoveryCode(deps: ServiceDeps, userId: number, rawCode: unknown): Promise<boolean> {
  const code = normalizeRecoveryCode(rawCode);
  if (code === null) return false;
  return deps.store.useRecoveryCode(
    userId,
    recoveryCodeHashes(code, userId, secretBox(deps).recoveryKeys),
    deps.clock.now(),
  );
}

export interface SecondFactorInput {
  /** A 6-digit TOTP code. */
  code?: unknown;
  /** One of the user's recovery codes. */
  recoveryCode?: unknown;
  /** A WebAuthn assertion (the browser's `AuthenticationResponseJSON`), at sign-in only. */
  passkey?: unknown;
  /** The handle of the passkey ceremony, from the asking browser's cookie. */
  webauthnHandle?: unknown;
}

/** Which factor answered: `recovery_code` tells the client to suggest new codes when few remain. */
export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey';

async function proveSecondFactor(
  deps: ServiceDeps,
  user: UserRecord,
  input: SecondFactorInput,
  atSignIn = false,
): Promise<SecondFactorMethod> {
  if (input.code !== undefined && input.code !== null) {
    if (await spendTotpCode(deps, user.id, input.code)) return 'totp';
  } else if (input.recoveryCode !== undefined && input.recoveryCode !== null) {
    if (await spendRecoveryCode(deps, user.id, input.recoveryCode)) return 'recovery_code';
  } else if (atSignIn && input.passkey !== undefined && input.passkey !== null) {
    // Only at sign-in: the ceremony is one a login's challenge started (`POST /auth/mfa/passkey/options`).
    if (await provePasskeySecondFactor(deps, user, input.webauthnHandle, input.passkey)) return 'passkey';
  }
  return wrongCode(deps, user, atSignIn);
}

export interface MfaLogin {
  readonly session: IssuedSession;
  readonly method: SecondFactorMethod;
  readonly recoveryCodesRemaining: number;
}

/**
 * `POST /auth/mfa/verify`: the second step of a login; the session only once the factor is proven.
 * `client` is the verifying request's address and user agent: the session is a password sign-in's.
 */
export async function completeMfaLogin(
  deps: ServiceDeps,
  challengeToken: unknown,
  input: SecondFactorInput,
  client: PasswordLoginClient = {},
): Promise<MfaLogin> {
  const { row, user } = await openChallenge(deps, challengeToken, 'verify');
  await assertSignInNotLockedOut(deps, user);
  const method = await proveSecondFactor(deps, user, input, true);
  await consumeChallenge(deps, row.id);
  await clearLoginFailures(deps, user.email);
  const session = await issuePasswordSession(deps, user, client);
  return { session, method, recoveryCodesRemaining: await deps.store.countUnusedRecoveryCodes(user.id) };
}

export interface TotpEnrolmentStart {
  /** Base32, for typing into an app by hand. */
  readonly secret: string;
  readonly uri: string;
  /** The URI as an SVG QR code. */
  readonly qrSvg: string;
}

async function beginTotp(deps: ServiceDeps, user: UserRecord): Promise<TotpEnrolmentStart> {
  const box = secretBox(deps);
  const { secret, uri } = newTotpSecret(issuer(deps), user.email);
  const stored = await deps.store.putPendingTotpFactor({
    userId: user.id,
    secretCiphertext: box.seal(secret, user.id),
    createdAt: deps.clock.now(),
  });
  if (!stored)
    throw new ConflictError('An authenticator is already enrolled: remove it first', { code: 'mfa_already_enrolled' });
  return { secret, uri, qrSvg: await qrSvg(uri) };
}

/** Confirms the pending authenticator with its first code and issues the first recovery codes. */
async function confirmTotp(
  deps: ServiceDeps,
  user: UserRecord,
  rawCode: unknown,
  atSignIn = false,
): Promise<readonly string[]> {
  const factor = await deps.store.findTotpFactor(user.id);
  if (!factor) throw new NotFoundError('No authenticator enrolment in progress');
  if (factor.confirmedAt !== null)
    throw new ConflictError('An authenticator is already enrolled: remove it first', { code: 'mfa_already_enrolled' });
  const code = normalizeTotpCode(rawCode);
  const step =
    code === null
      ? null
      : matchTotpStep(secretBox(deps).open(factor.secretCiphertext, user.id).plaintext, code, deps.clock.now());
  if (step === null || !(await deps.store.confirmTotpFactor(user.id, step, deps.clock.now())))
    return wrongCode(deps, user, atSignIn);
  return issueRecoveryCodes(deps, user.id);
}

async function issueRecoveryCodes(deps: ServiceDeps, userId: number): Promise<readonly string[]> {
  const box = secretBox(deps);
  const [key] = box.recoveryKeys;
  if (key === undefined) throw new Error('unreachable: a secret box always has its current key');
  const codes = newRecoveryCodes();
  await deps.store.replaceRecoveryCodes(
    userId,
    codes.map((code) => recoveryCodeHashes(normalizeRecoveryCode(code) ?? code, userId, [key])[0] ?? ''),
    deps.clock.now(),
  );
  return codes;
}

export interface MfaStatus {
  readonly available: boolean;
  /** The user's role requires a factor at password login. */
  readonly required: boolean;
  readonly totp: { readonly enrolled: boolean; readonly confirmedAt: number | null };
  readonly recoveryCodesRemaining: number;
  /** How many passkeys the user has registered. */
  readonly passkeys: number;
}

export async function getMfaStatus(deps: ServiceDeps, actor: Principal | null): Promise<MfaStatus> {
  authorize(actor, 'manage_own_mfa');
  const user = actor.userId === null ? null : await deps.store.findUserById(actor.userId);
  if (!user) throw new NotFoundError('User not found');
  const available = deps.config.mfa.encryptionKey !== null && user.authMethod === 'LOCAL';
  const totp = available ? await deps.store.findTotpFactor(user.id) : null;
  return {
    available,
    required: mfaRequiredFor(deps, user),
    totp: { enrolled: totp?.confirmedAt != null, confirmedAt: totp?.confirmedAt ?? null },
    recoveryCodesRemaining: available ? await deps.store.countUnusedRecoveryCodes(user.id) : 0,
    passkeys: user.authMethod === 'LOCAL' ? await deps.store.countPasskeys(user.id) : 0,
  };
}

/** A signed-in user starts enrolling an authenticator (replacing an unfinished enrolment). */
export async function beginTotpEnrolment(deps: ServiceDeps, actor: Principal | null): Promise<TotpEnrolmentStart> {
  return beginTotp(deps, await requireSelf(deps, actor));
}

export async function confirmTotpEnrolment(
  deps: ServiceDeps,
  actor: Principal | null,
  code: unknown,
): Promise<readonly string[]> {
  const user = await requireSelf(deps, actor);
  await assertNotLockedOut(deps, user.email);
  return confirmTotp(deps, user, code);
}

/**
 * Removes the authenticator (and the recovery codes that belong to it). Needs a current code or a
 * recovery code: a session left open must not be enough to strip the account's second factor.
 */
export async function removeTotp(deps: ServiceDeps, actor: Principal | null, input: SecondFactorInput): Promise<void> {
  const user = await requireSelf(deps, actor);
  await assertNotLockedOut(deps, user.email);
  if (!(await hasTotp(deps, user.id))) throw new NotFoundError('No authenticator is enrolled');
  await proveSecondFactor(deps, user, input);
  await deps.store.transaction(async (tx) => {
    await tx.deleteTotpFactor(user.id);
    await tx.deleteRecoveryCodes(user.id);
  });
}

/** New recovery codes (the old ones stop working); needs a current code, as removal does. */
export async function regenerateRecoveryCodes(
  deps: ServiceDeps,
  actor: Principal | null,
  input: SecondFactorInput,
): Promise<readonly string[]> {
  const user = await requireSelf(deps, actor);
  await assertNotLockedOut(deps, user.email);
  if (!(await hasTotp(deps, user.id))) throw new NotFoundError('No authenticator is enrolled');
  await proveSecondFactor(deps, user, input);
  return issueRecoveryCodes(deps, user.id);
}

/**
 * An admin removes another user's second factors (lost phone, no codes left): factors, codes and
 * pending challenges go, and so does every session of that user, so whoever held one must sign in
 * again, with the policy's enrolment if their role requires a factor.
 */
export async function resetUserMfa(deps: ServiceDeps, actor: Principal | null, userId: number): Promise<void> {
  const target = Number.isSafeInteger(userId) ? await deps.store.findUserById(userId) : null;
  authorize(actor, 'reset_other_mfa', target ? userTarget(target) : { userId });
  if (!target) throw new NotFoundError('User not found');
  const passkeysRemoved = await deps.store.transaction(async (tx) => {
    await tx.deleteTotpFactor(target.id);
    await tx.deleteRecoveryCodes(target.id);
    await tx.deleteMfaChallengesOfUser(target.id);
    return tx.deletePasskeysOfUser(target.id);
  });
  if (passkeysRemoved > 0)
    deps.audit.record({
      type: 'passkey.removed',
      actor: auditActorOf(actor),
      subjectUserId: target.id,
      details: { passkeyId: null, by: 'admin' },
    });
  await logoutUser(deps, target.id);
  // The audit trail has no event type for a factor change: the sessions it ended are recorded, the
  // reset itself is the log line below.
  deps.audit.record({
    type: 'session.ended',
    actor: auditActorOf(actor),
    subjectUserId: target.id,
    details: { sessionId: null, by: 'admin', reason: 'mfa_reset' },
  });
  deps.logger.info('mfa: factors reset by an admin', {
    userId: target.id,
    actorKind: actor.kind,
    actorId: actor.userId,
  });
}

/** `POST /auth/mfa/passkey/options`: the passkey ceremony of a login's second step. */
export async function beginPasskeyAtLogin(
  deps: ServiceDeps,
  challengeToken: unknown,
): Promise<WebauthnCeremony<PublicKeyCredentialRequestOptionsJSON>> {
  const { user } = await openChallenge(deps, challengeToken, 'verify');
  return beginPasskeyAssertion(deps, user);
}

/** `POST /auth/mfa/enroll`: a user whose role requires a factor starts enrolling during login. */
export async function beginEnrolmentAtLogin(deps: ServiceDeps, challengeToken: unknown): Promise<TotpEnrolmentStart> {
  const { user } = await openChallenge(deps, challengeToken, 'enroll');
  return beginTotp(deps, user);
}

export interface EnrolledLogin {
  readonly session: IssuedSession;
  readonly recoveryCodes: readonly string[];
}

/** `POST /auth/mfa/enroll/confirm`: the first code confirms the factor and finishes the login. */
export async function confirmEnrolmentAtLogin(
  deps: ServiceDeps,
  challengeToken: unknown,
  code: unknown,
  client: PasswordLoginClient = {},
): Promise<EnrolledLogin> {
  const { row, user } = await openChallenge(deps, challengeToken, 'enroll');
  await assertSignInNotLockedOut(deps, user);
  const recoveryCodes = await confirmTotp(deps, user, code, true);
  await consumeChallenge(deps, row.id);
  await clearLoginFailures(deps, user.email);
  return { session: await issuePasswordSession(deps, user, client), recoveryCodes };
}
