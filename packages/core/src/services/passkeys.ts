import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { auditActorOf } from '../audit/index.js';
import {
  AuthenticationError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
  ValidationError,
  isGatehouseError,
} from '../errors/index.js';
import { relyingPartyOf, type RelyingParty } from '../mfa/index.js';
import type { Principal } from '../policy/index.js';
import type { PasskeyRecord, UserRecord, WebauthnChallengePurpose, WebauthnChallengeRecord } from '../ports.js';
import type { ServiceDeps } from './deps.js';
import { assertMfaConfigured, requireSelf } from './mfa-self.js';
import { assertNotLockedOut, clearLoginFailures, recordLoginFailure } from './login-lockout.js';
import {
  issueSession,
  recordSignIn,
  recordSignInFailure,
  type IssuedSession,
  type PasswordLoginClient,
} from './sessions.js';

/*
 * Passkeys (WebAuthn, via @simplewebauthn/server): registered from a signed-in session, then used
 * as the second factor of a password login or, alone, as a passwordless sign-in with a discoverable
 * credential and user verification.
 *
 * Every ceremony's challenge is kept server-side, single use and short-lived, under the SHA-256 of a
 * random handle that only the browser that asked holds (an HttpOnly, SameSite=Strict cookie): an
 * answer from another browser, or the same answer twice, finds no challenge. The relying party comes
 * from the configured public URL only.
 */

const MAX_NAME_LENGTH = 64;
const INVALID_PASSKEY = 'The passkey could not be verified';
const REJECTED = 'The passkey could not be registered: start again';
// eslint-disable-next-line no-control-regex -- names are shown in pages and logs: no control characters
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function relyingParty(deps: ServiceDeps): RelyingParty {
  return relyingPartyOf(deps.config.publicUrl);
}

const hashHandle = (handle: string): string => createHash('sha256').update(handle, 'utf8').digest('hex');

/** A ceremony started: the options for the browser, and the handle for its cookie. */
export interface WebauthnCeremony<T> {
  readonly options: T;
  /** Goes into the HttpOnly ceremony cookie, nowhere else. */
  readonly handle: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

function ttlMs(deps: ServiceDeps): number {
  return deps.config.mfa.challengeTtlSeconds * 1000;
}

async function storeCeremony(
  deps: ServiceDeps,
  purpose: WebauthnChallengePurpose,
  userId: number | null,
  challenge: string,
): Promise<{ handle: string; expiresAt: number }> {
  const handle = randomBytes(32).toString('base64url');
  const createdAt = deps.clock.now();
  const expiresAt = createdAt + ttlMs(deps);
  await deps.store.insertWebauthnChallenge({
    handleHash: hashHandle(handle),
    purpose,
    userId,
    challenge,
    createdAt,
    expiresAt,
  });
  return { handle, expiresAt };
}

/**
 * Takes (deletes) the ceremony the browser's handle names: null when there is none, it is another
 * purpose's or another user's, or it has expired. Taken even when it does not fit, so a handle is
 * never tried twice.
 */
async function takeCeremony(
  deps: ServiceDeps,
  handle: unknown,
  purpose: WebauthnChallengePurpose,
  userId: number | null,
): Promise<WebauthnChallengeRecord | null> {
  if (typeof handle !== 'string' || handle === '' || handle.length > 200) return null;
  const row = await deps.store.takeWebauthnChallenge(hashHandle(handle));
  if (!row || row.purpose !== purpose || row.expiresAt <= deps.clock.now()) return null;
  if (userId !== null && row.userId !== userId) return null;
  return row;
}

/** The shape @simplewebauthn expects, checked loosely: the library verifies every field that matters. */
function credentialJson(value: unknown): { id: string; response: Record<string, unknown> } | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' || typeof v.rawId !== 'string' || v.type !== 'public-key') return null;
  if (typeof v.response !== 'object' || v.response === null || Array.isArray(v.response)) return null;
  if (typeof v.clientExtensionResults !== 'object' || v.clientExtensionResults === null) v.clientExtensionResults = {};
  return v as { id: string; response: Record<string, unknown> };
}

/**
 * The WebAuthn user handle of a user: the one their passkeys already carry, else an HMAC of the user
 * id under the deployment secret (no e-mail or other personal data reaches the authenticator, and
 * registration's start and finish agree on it without storing anything).
 */
function userHandleOf(deps: ServiceDeps, userId: number, existing: readonly PasskeyRecord[]): string {
  const held = existing[0]?.userHandle;
  if (held !== undefined) return held;
  const secret = deps.config.secret;
  // The routes exist only with authentication on, which requires the secret.
  if (secret === null) throw new Error('passkeys need PHOENIX_SECRET');
  return createHmac('sha256', secret).update(`gatehouse webauthn user handle\0${userId}`).digest('base64url');
}

function validName(raw: unknown, fallback: string): string {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== 'string') throw new ValidationError('name must be a string');
  const name = raw.trim();
  if (name === '' || name.length > MAX_NAME_LENGTH || CONTROL_CHARACTERS.test(name))
    throw new ValidationError(`name must be 1 to ${MAX_NAME_LENGTH} printable characters`);
  return name;
}

const transportsOf = (passkey: PasskeyRecord) => passkey.transports as AuthenticatorTransportFuture[];

const publicKeyOf = (passkey: PasskeyRecord) => new Uint8Array(Buffer.from(passkey.publicKey, 'base64url'));

// ---------------------------------------------------------------------------------------------
// Registration (signed in)

/** `POST /v1/user/mfa/passkeys/options`: the signed-in user starts registering a passkey. */
export async function beginPasskeyRegistration(
  deps: ServiceDeps,
  actor: Principal | null,
): Promise<WebauthnCeremony<PublicKeyCredentialCreationOptionsJSON>> {
  const user = await requireSelf(deps, actor);
  assertMfaConfigured(deps);
  const rp = relyingParty(deps);
  const existing = await deps.store.listPasskeys(user.id);
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.username,
    userID: new Uint8Array(Buffer.from(userHandleOf(deps, user.id, existing), 'base64url')),
    challenge: new Uint8Array(randomBytes(32)),
    timeout: ttlMs(deps),
    attestationType: 'none',
    // The authenticator refuses to register a second credential for the same account on itself.
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
    // Discoverable where the authenticator can (passwordless sign-in needs it); user verification
    // asked for, and required at passwordless sign-in.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  const { handle, expiresAt } = await storeCeremony(deps, 'register', user.id, options.challenge);
  return { options, handle, expiresAt };
}

/** `POST /v1/user/mfa/passkeys`: the browser's answer; the passkey is stored once it verifies. */
export async function finishPasskeyRegistration(
  deps: ServiceDeps,
  actor: Principal | null,
  handle: unknown,
  input: { response?: unknown; name?: unknown },
): Promise<PasskeyRecord> {
  const user = await requireSelf(deps, actor);
  assertMfaConfigured(deps);
  const existing = await deps.store.listPasskeys(user.id);
  const name = validName(input.name, `Passkey ${existing.length + 1}`);
  const row = await takeCeremony(deps, handle, 'register', user.id);
  const response = credentialJson(input.response);
  if (!row || !response) throw new ValidationError(REJECTED, { code: 'passkey_rejected' });
  const rp = relyingParty(deps);
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge: row.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // As a second factor after a password, presence is enough; passwordless sign-in insists on UV.
      requireUserVerification: false,
    });
  } catch (error) {
    deps.logger.info('passkeys: registration refused', { userId: user.id, reason: reasonOf(error) });
    throw new ValidationError(REJECTED, { code: 'passkey_rejected' });
  }
  if (!verified.verified) throw new ValidationError(REJECTED, { code: 'passkey_rejected' });
  const { credential } = verified.registrationInfo;
  const transports = credential.transports ?? transportsFromResponse(response.response);
  let passkey: PasskeyRecord;
  try {
    passkey = await deps.store.insertPasskey({
      userId: user.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports,
      userHandle: userHandleOf(deps, user.id, existing),
      name,
      createdAt: deps.clock.now(),
    });
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'conflict')
      throw new ConflictError('This passkey is already registered', { code: 'passkey_already_registered' });
    throw error;
  }
  deps.audit.record({
    type: 'passkey.registered',
    actor: auditActorOf(actor),
    subjectUserId: user.id,
    details: { passkeyId: passkey.id, name: passkey.name },
  });
  return passkey;
}

function transportsFromResponse(response: Record<string, unknown>): string[] {
  const raw = response.transports;
  return Array.isArray(raw) ? raw.filter((t): t is string => typeof t === 'string' && t.length <= 32).slice(0, 8) : [];
}

/** Only the library's message, which names the check that failed and never a key or a challenge. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown';
}

export async function renamePasskey(
  deps: ServiceDeps,
  actor: Principal | null,
  id: number,
  rawName: unknown,
): Promise<PasskeyRecord> {
  const user = await requireSelf(deps, actor);
  if (!Number.isSafeInteger(id)) throw new NotFoundError('Passkey not found');
  if (rawName === undefined || rawName === null) throw new ValidationError('name is required');
  const renamed = await deps.store.renamePasskey(user.id, id, validName(rawName, ''));
  if (!renamed) throw new NotFoundError('Passkey not found');
  return renamed;
}

/**
 * Removes one of the user's passkeys. Needs the account password again: a session left open must not
 * be enough to strip a factor (TOTP removal asks for a code for the same reason). The password, not
 * another assertion, so that a user who lost the authenticator can still remove it. A wrong password
 * counts against the account's lockout.
 */
export async function removePasskey(
  deps: ServiceDeps,
  actor: Principal | null,
  id: number,
  password: unknown,
): Promise<void> {
  const user = await requireSelf(deps, actor);
  await assertNotLockedOut(deps, user.email);
  const ok =
    typeof password === 'string' && password !== '' && user.passwordHash !== null
      ? await deps.hasher.verify(user.passwordHash, password)
      : false;
  if (!ok) {
    await recordLoginFailure(deps, user.email);
    throw new AuthenticationError('The password is not right', { code: 'invalid_credentials' });
  }
  if (!Number.isSafeInteger(id) || !(await deps.store.deletePasskey(user.id, id)))
    throw new NotFoundError('Passkey not found');
  deps.audit.record({
    type: 'passkey.removed',
    actor: auditActorOf(actor),
    subjectUserId: user.id,
    details: { passkeyId: id, by: 'self' },
  });
}

// ---------------------------------------------------------------------------------------------
// Assertions: the second factor of a password login, and passwordless sign-in

/** The second step of a password login: options naming the user's passkeys. */
export async function beginPasskeyAssertion(
  deps: ServiceDeps,
  user: UserRecord,
): Promise<WebauthnCeremony<PublicKeyCredentialRequestOptionsJSON>> {
  const passkeys = await deps.store.listPasskeys(user.id);
  if (passkeys.length === 0) throw new NotFoundError('No passkey is registered');
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(deps).id,
    allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
    userVerification: 'preferred',
    challenge: new Uint8Array(randomBytes(32)),
    timeout: ttlMs(deps),
  });
  const { handle, expiresAt } = await storeCeremony(deps, 'second_factor', user.id, options.challenge);
  return { options, handle, expiresAt };
}

/**
 * Verifies an assertion against its ceremony and moves the passkey's counter forward (compare-and-set,
 * so a cloned authenticator's old counter, or two racing requests, cannot both pass). Returns the
 * passkey, or null for any failure: the caller decides how a failure counts.
 */
async function verifyAssertion(
  deps: ServiceDeps,
  ceremony: WebauthnChallengeRecord | null,
  rawResponse: unknown,
  expected: { userId: number | null; requireUserVerification: boolean },
): Promise<PasskeyRecord | null> {
  const response = credentialJson(rawResponse);
  if (!ceremony || !response) return null;
  const passkey = await deps.store.findPasskeyByCredentialId(response.id);
  if (!passkey || (expected.userId !== null && passkey.userId !== expected.userId)) return null;
  // A discoverable credential names its account: it must be the account the credential was made for.
  const userHandle = response.response.userHandle;
  if (expected.userId === null && userHandle !== passkey.userHandle) return null;
  if (userHandle !== undefined && userHandle !== null && userHandle !== passkey.userHandle) return null;
  const rp = relyingParty(deps);
  try {
    const result = await verifyAuthenticationResponse({
      response: response as unknown as AuthenticationResponseJSON,
      expectedChallenge: ceremony.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: passkey.credentialId,
        publicKey: publicKeyOf(passkey),
        counter: passkey.counter,
        transports: transportsOf(passkey),
      },
      requireUserVerification: expected.requireUserVerification,
    });
    if (!result.verified) return null;
    if (!(await deps.store.advancePasskeyCounter(passkey.id, result.authenticationInfo.newCounter, deps.clock.now())))
      return null;
  } catch (error) {
    deps.logger.info('passkeys: assertion refused', { userId: passkey.userId, reason: reasonOf(error) });
    return null;
  }
  return passkey;
}

/** The passkey answer to a login's second step (`POST /auth/mfa/verify` with `passkey`). */
export async function provePasskeySecondFactor(
  deps: ServiceDeps,
  user: UserRecord,
  handle: unknown,
  response: unknown,
): Promise<boolean> {
  const ceremony = await takeCeremony(deps, handle, 'second_factor', user.id);
  return (
    (await verifyAssertion(deps, ceremony, response, { userId: user.id, requireUserVerification: false })) !== null
  );
}

/** `POST /auth/passkey/options`: a passwordless sign-in, for whichever discoverable passkey the browser offers. */
export async function beginPasskeySignIn(
  deps: ServiceDeps,
): Promise<WebauthnCeremony<PublicKeyCredentialRequestOptionsJSON>> {
  assertPasswordlessAllowed(deps);
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(deps).id,
    userVerification: 'required',
    challenge: new Uint8Array(randomBytes(32)),
    timeout: ttlMs(deps),
  });
  const { handle, expiresAt } = await storeCeremony(deps, 'passwordless', null, options.challenge);
  return { options, handle, expiresAt };
}

function assertPasswordlessAllowed(deps: ServiceDeps): void {
  // Passkeys belong to LOCAL accounts: where password logins are switched off, so are they.
  if (!deps.config.basicAuthEnabled) throw new PermissionDeniedError('Forbidden', { code: 'basic_auth_disabled' });
}

/**
 * `POST /auth/passkey/verify`: the passkey alone signs the user in. It is a possession factor with
 * user verification (PIN or biometric) on the authenticator, so it satisfies a role's MFA
 * requirement by itself. A failure counts against the account's lockout like a wrong password.
 */
export async function finishPasskeySignIn(
  deps: ServiceDeps,
  handle: unknown,
  rawResponse: unknown,
  client: PasswordLoginClient = {},
): Promise<IssuedSession> {
  assertPasswordlessAllowed(deps);
  const ceremony = await takeCeremony(deps, handle, 'passwordless', null);
  const response = credentialJson(rawResponse);
  const passkey = response ? await deps.store.findPasskeyByCredentialId(response.id) : null;
  const owner = passkey ? await deps.store.findUserById(passkey.userId) : null;
  const user = owner && owner.authMethod === 'LOCAL' && owner.role !== 'SYSTEM' ? owner : null;
  if (!user) {
    recordSignInFailure(deps, 'passkey', 'invalid_passkey', null, null);
    throw new AuthenticationError(INVALID_PASSKEY, { code: 'invalid_passkey' });
  }
  try {
    await assertNotLockedOut(deps, user.email);
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'too_many_login_attempts')
      recordSignInFailure(deps, 'passkey', 'locked_out', user.id, user.email);
    throw error;
  }
  const verified = await verifyAssertion(deps, ceremony, rawResponse, { userId: null, requireUserVerification: true });
  if (!verified || verified.userId !== user.id) {
    const lockedUntil = await recordLoginFailure(deps, user.email);
    recordSignInFailure(deps, 'passkey', 'invalid_passkey', user.id, user.email, lockedUntil);
    throw new AuthenticationError(INVALID_PASSKEY, { code: 'invalid_passkey' });
  }
  await clearLoginFailures(deps, user.email);
  const session = await issueSession(deps, user, { ...client, signInMethod: 'passkey' });
  recordSignIn(deps, session, 'passkey', null);
  return session;
}

/** What the settings page lists: names and dates, never key material. */
export async function listPasskeys(deps: ServiceDeps, actor: Principal | null): Promise<readonly PasskeyRecord[]> {
  const user = await requireSelf(deps, actor);
  return deps.store.listPasskeys(user.id);
}
