import type { AuditSignInMethod, SignInFailureReason } from '../audit/events.js';
import { isValidEmail, sanitizeEmail } from '../crypto/index.js';
import {
  AuthenticationError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  isGatehouseError,
} from '../errors/index.js';
import type { AuthStoreOps, IdpSessionLink, SessionOrigin, UserRecord } from '../ports.js';
import type { ServiceDeps } from './deps.js';
import { assertNotLockedOut, clearLoginFailures, recordLoginFailure } from './login-lockout.js';

/** A freshly minted login: the two JWTs the HTTP layer puts into cookies, never into a body. */
export interface IssuedSession {
  readonly user: UserRecord;
  readonly sessionId: number;
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch ms: when the pair was minted. */
  readonly issuedAt: number;
  /** Epoch ms. */
  readonly accessTokenExpiresAt: number;
  readonly refreshTokenExpiresAt: number;
}

/** Longest `User-Agent` kept on a session row: enough for every real browser, bounded for the store. */
export const MAX_USER_AGENT_LENGTH = 512;

/**
 * A `User-Agent` header as a session row keeps it: control characters dropped, trimmed, cut to
 * `MAX_USER_AGENT_LENGTH`; null when nothing is left. It is shown to the user, never trusted.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/g;

export function boundedUserAgent(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const clean = raw
    .slice(0, MAX_USER_AGENT_LENGTH * 2)
    .replace(CONTROL_CHARACTERS, '')
    .trim()
    .slice(0, MAX_USER_AGENT_LENGTH);
  return clean === '' ? null : clean;
}

/** When a session created at `createdAt` ends whatever its activity (`GATEHOUSE_SESSION_MAX_LIFETIME_MINUTES`). */
export function absoluteSessionEnd(deps: Pick<ServiceDeps, 'config'>, createdAt: number): number {
  return createdAt + deps.config.tokens.sessionMaxLifetimeSeconds * 1000;
}

const INVALID_LOGIN = 'Invalid email and/or password';

const toSeconds = (ms: number) => Math.floor(ms / 1000);

/**
 * Mints the refresh + access pair of one session, rows first, then the signed JWTs. The access
 * token never outlives the session's absolute end. The refresh token keeps its idle lifetime, so
 * that a refresh after the absolute end reaches the store and is refused as `session_expired` (a
 * client can tell "sign in again" from a token it should simply have refreshed earlier).
 */
async function mintPair(
  deps: ServiceDeps,
  user: UserRecord,
  sessionId: number,
  tx: AuthStoreOps,
  now: number,
  absoluteEnd: number,
) {
  const refreshExpiresAt = now + deps.config.tokens.refreshTtlSeconds * 1000;
  const accessExpiresAt = Math.min(now + deps.config.tokens.accessTtlSeconds * 1000, absoluteEnd);
  const refresh = await tx.insertRefreshToken({
    sessionId,
    userId: user.id,
    createdAt: now,
    expiresAt: refreshExpiresAt,
  });
  const access = await tx.insertAccessToken({
    sessionId,
    userId: user.id,
    refreshTokenId: refresh.id,
    createdAt: now,
    expiresAt: accessExpiresAt,
  });
  return { refresh, access };
}

async function signPair(
  deps: ServiceDeps,
  user: UserRecord,
  sessionId: number,
  pair: Awaited<ReturnType<typeof mintPair>>,
  issuedAt: number,
): Promise<IssuedSession> {
  const sub = String(user.id);
  const [accessToken, refreshToken] = await Promise.all([
    deps.tokens.sign('access', { jti: String(pair.access.id), sub, expiresAt: toSeconds(pair.access.expiresAt) }),
    deps.tokens.sign('refresh', { jti: String(pair.refresh.id), sub, expiresAt: toSeconds(pair.refresh.expiresAt) }),
  ]);
  return {
    user,
    sessionId,
    accessToken,
    refreshToken,
    issuedAt,
    accessTokenExpiresAt: pair.access.expiresAt,
    refreshTokenExpiresAt: pair.refresh.expiresAt,
  };
}

export interface IssueSessionOptions extends SessionOrigin {
  /** An OpenID Connect login: recorded with the session, in the same transaction, for the IdP's logout. */
  readonly idpLink?: Omit<IdpSessionLink, 'sessionId'>;
}

/**
 * Starts a new session (token family) for a user who has already proven who they are, recording
 * how and from where they signed in for the session list.
 */
export async function issueSession(
  deps: ServiceDeps,
  user: UserRecord,
  origin: IssueSessionOptions,
): Promise<IssuedSession> {
  const now = deps.clock.now();
  const absoluteEnd = absoluteSessionEnd(deps, now);
  const { session, pair } = await deps.store.transaction(async (tx) => {
    const session = await tx.insertSession({
      userId: user.id,
      createdAt: now,
      expiresAt: now + deps.config.tokens.refreshTtlSeconds * 1000,
      signInMethod: origin.signInMethod,
      idp: origin.signInMethod === 'oauth2' ? (origin.idp ?? null) : null,
      clientAddress: origin.clientAddress ?? null,
      userAgent: boundedUserAgent(origin.userAgent),
    });
    if (origin.idpLink) await tx.insertIdpSessionLink({ ...origin.idpLink, sessionId: session.id });
    // The same instant as the session's expiry: the first refresh token ends exactly with it.
    return { session, pair: await mintPair(deps, user, session.id, tx, now, absoluteEnd) };
  });
  return signPair(deps, user, session.id, pair, now);
}

/**
 * The password step of a login (docs/phoenix-contract.md#login): the user whose e-mail and password match, after
 * the lockout check and a hash upgrade. The same argon2 work runs whether or not the account
 * exists, so the response time does not reveal which e-mails are registered. Issues nothing: see
 * `passwordLogin` for what follows.
 */
export async function checkPassword(
  deps: ServiceDeps,
  input: { email?: unknown; password?: unknown },
): Promise<UserRecord> {
  if (!deps.config.basicAuthEnabled) throw new PermissionDeniedError('Forbidden', { code: 'basic_auth_disabled' });
  const rawEmail = typeof input.email === 'string' ? input.email : '';
  const password = typeof input.password === 'string' ? input.password : '';
  if (!rawEmail || !password)
    throw new AuthenticationError('Email and password required', { code: 'invalid_credentials' });
  const email = sanitizeEmail(rawEmail);

  // Only a well-formed address goes into the audit trail: free text there might be a password typed in the wrong field.
  const login = isValidEmail(email) ? email : null;
  try {
    await assertNotLockedOut(deps, email);
  } catch (error) {
    recordSignInFailure(deps, 'password', 'locked_out', null, login);
    throw error;
  }
  const user = await deps.store.findUserByEmail(email);
  // SYSTEM is a service identity, never a person who logs in (stricter than Phoenix).
  const person = user && user.role !== 'SYSTEM' ? user : null;
  const hash = person && person.authMethod === 'LOCAL' ? person.passwordHash : null;
  const ok = hash ? await deps.hasher.verify(hash, password) : await deps.hasher.dummyVerify(password);
  if (!ok || !person) {
    const lockedUntil = await recordLoginFailure(deps, email);
    const reason: SignInFailureReason = !person ? 'unknown_user' : !hash ? 'wrong_method' : 'invalid_password';
    recordSignInFailure(deps, 'password', reason, person?.id ?? null, login, lockedUntil);
    throw new AuthenticationError(INVALID_LOGIN, { code: 'invalid_credentials' });
  }
  await clearLoginFailures(deps, email);

  let current = person;
  if (hash && deps.hasher.needsRehash(hash)) {
    // Upgrade weaker hashes on the one occasion the plaintext is at hand. A full hashing queue only
    // postpones it to the next login: a right password must not answer differently (503) from a wrong one.
    const upgraded = await deps.hasher.hash(password).catch((error: unknown) => {
      if (error instanceof OverloadedError) return null;
      throw error;
    });
    if (upgraded !== null)
      current =
        (await deps.store.updateUser(person.id, { passwordHash: upgraded, updatedAt: deps.clock.now() })) ?? person;
  }
  return current;
}

/** Where a password login comes from: recorded on its session (the method is always `password`). */
export type PasswordLoginClient = Omit<SessionOrigin, 'signInMethod' | 'idp'>;

/** The session of a finished password login (with or without a second factor), and its audit event. */
export async function issuePasswordSession(
  deps: ServiceDeps,
  user: UserRecord,
  client: PasswordLoginClient,
): Promise<IssuedSession> {
  const session = await issueSession(deps, user, { ...client, signInMethod: 'password' });
  recordSignIn(deps, session, 'password', null);
  return session;
}

/** The audit event of a session just started. */
export function recordSignIn(
  deps: ServiceDeps,
  session: IssuedSession,
  method: AuditSignInMethod,
  idp: string | null,
): void {
  deps.audit.record({
    type: 'sign_in.succeeded',
    subjectUserId: session.user.id,
    details: { method, idp, sessionId: session.sessionId },
  });
}

/**
 * The audit events of a refused sign-in: the failure, and the lockout when this failure started one.
 * `login` is what was typed, only when it is safe to keep (a well-formed e-mail, a name the directory knows).
 */
export function recordSignInFailure(
  deps: ServiceDeps,
  method: AuditSignInMethod,
  reason: SignInFailureReason,
  subjectUserId: number | null,
  login: string | null,
  lockedUntil: number | null = null,
): void {
  const actor = { kind: 'anonymous', userId: null } as const;
  deps.audit.record({ type: 'sign_in.failed', actor, subjectUserId, details: { method, reason, login } });
  if (lockedUntil !== null)
    deps.audit.record({ type: 'sign_in.locked_out', actor, subjectUserId, details: { method, login, lockedUntil } });
}

/**
 * Exchanges a refresh token for a new pair in the same session (docs/phoenix-contract.md#refresh). Single use: the
 * token is consumed by one atomic compare-and-set. A consumed token presented again means it was
 * copied, so the whole session (every token of that login) is revoked — stricter than Phoenix,
 * which only refuses the replay.
 */
export async function refreshSession(
  deps: ServiceDeps,
  refreshToken: string | null | undefined,
): Promise<IssuedSession> {
  if (!refreshToken) throw new AuthenticationError('Missing refresh token', { code: 'unauthenticated' });
  let tokenId: number;
  try {
    const claims = await deps.tokens.verify(refreshToken, 'refresh');
    tokenId = Number(claims.jti);
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'expired_token') {
      throw new AuthenticationError('Expired refresh token', { code: 'expired_token' });
    }
    throw new AuthenticationError('Invalid refresh token', { code: 'invalid_token' });
  }
  if (!Number.isSafeInteger(tokenId)) throw new AuthenticationError('Invalid refresh token', { code: 'invalid_token' });

  const now = deps.clock.now();
  const outcome = await deps.store.transaction(async (tx) => {
    const row = await tx.findRefreshToken(tokenId);
    if (!row) return { kind: 'invalid' as const };
    const session = await tx.findSession(row.sessionId);
    if (!session) return { kind: 'invalid' as const };
    // The absolute lifetime: however active, a login ends this long after it began.
    const absoluteEnd = absoluteSessionEnd(deps, session.createdAt);
    if (absoluteEnd <= now) return { kind: 'session_expired' as const, sessionId: row.sessionId };
    if (row.expiresAt <= now) return { kind: 'expired' as const };
    if (!(await tx.consumeRefreshToken(row.id, now)))
      return { kind: 'replayed' as const, sessionId: row.sessionId, userId: row.userId };
    const user = await tx.findUserById(row.userId);
    if (!user) return { kind: 'no_user' as const };
    const pair = await mintPair(deps, user, row.sessionId, tx, now, absoluteEnd);
    // The login lives as long as its newest refresh token (Phoenix's sliding expiry): the
    // periodic sweep must not end a session that is still being refreshed.
    // Gone means logged out meanwhile: refuse, and the throw rolls the new pair back.
    if (!(await tx.extendSession(row.sessionId, pair.refresh.expiresAt, now)))
      throw new AuthenticationError('Invalid refresh token', { code: 'invalid_token' });
    return { kind: 'rotated' as const, user, sessionId: row.sessionId, pair };
  });

  switch (outcome.kind) {
    case 'invalid':
      throw new AuthenticationError('Invalid refresh token', { code: 'invalid_token' });
    case 'expired':
      throw new AuthenticationError('Expired refresh token', { code: 'expired_token' });
    case 'session_expired':
      // Over for good: remove it now rather than at the next sweep, on every instance.
      await revokeSession(deps, outcome.sessionId);
      throw new AuthenticationError('Session expired: sign in again', { code: 'session_expired' });
    case 'no_user':
      throw new NotFoundError('User not found');
    case 'replayed':
      await revokeSession(deps, outcome.sessionId);
      deps.logger.warn('refresh token replayed: session revoked', { sessionId: outcome.sessionId });
      deps.audit.record({
        type: 'refresh_token.replayed',
        actor: { kind: 'anonymous', userId: null },
        subjectUserId: outcome.userId,
        details: { sessionId: outcome.sessionId },
      });
      throw new AuthenticationError('Invalid refresh token', { code: 'invalid_token' });
    case 'rotated':
      // The old access token died with its refresh token (grants need a live refresh token); drop
      // cached copies of this session's tokens so no process keeps accepting it.
      await deps.revocations.publish({ type: 'session', sessionId: outcome.sessionId });
      // Signed with the current secret: a session begun under a previous one moves to the new one here.
      return signPair(deps, outcome.user, outcome.sessionId, outcome.pair, now);
  }
}

/** Logs the user out everywhere: every session and token, on every instance (docs/phoenix-contract.md#revocation). Returns how many sessions ended. */
export async function logoutUser(deps: ServiceDeps, userId: number): Promise<number> {
  const ended = await deps.store.deleteSessionsOfUser(userId);
  await deps.revocations.publish({ type: 'user_sessions', userId });
  return ended.length;
}

/** The user signs out (the logout route): `logoutUser`, recorded in the audit trail. */
export async function signOut(deps: ServiceDeps, userId: number): Promise<void> {
  const sessionsEnded = await logoutUser(deps, userId);
  deps.audit.record({ type: 'sign_out', subjectUserId: userId, details: { sessionsEnded } });
}

/** Ends one login only: the per-session variant of logout. */
export async function revokeSession(deps: ServiceDeps, sessionId: number): Promise<void> {
  await deps.store.deleteSession(sessionId);
  await deps.revocations.publish({ type: 'session', sessionId });
}

/**
 * The login a still-valid refresh token belongs to: who a logout is for, and which session, when
 * the request carries no valid access token.
 */
export async function refreshTokenOwner(
  deps: ServiceDeps,
  refreshToken: string | null | undefined,
): Promise<{ userId: number; sessionId: number } | null> {
  if (!refreshToken) return null;
  try {
    const claims = await deps.tokens.verify(refreshToken, 'refresh');
    const row = await deps.store.findRefreshToken(Number(claims.jti));
    return row && row.consumedAt === null ? { userId: row.userId, sessionId: row.sessionId } : null;
  } catch (error) {
    if (isGatehouseError(error) && error.code !== 'unavailable') return null;
    throw error;
  }
}

/**
 * Who a logout is for when the request carries no valid access token: the owner of a still-valid
 * refresh token (docs/phoenix-contract.md#logout: logout works with only the refresh cookie).
 */
export async function userIdFromRefreshToken(
  deps: ServiceDeps,
  refreshToken: string | null | undefined,
): Promise<number | null> {
  if (!refreshToken) return null;
  try {
    const claims = await deps.tokens.verify(refreshToken, 'refresh');
    const row = await deps.store.findRefreshToken(Number(claims.jti));
    return row && row.consumedAt === null ? row.userId : null;
  } catch (error) {
    if (isGatehouseError(error) && error.code !== 'unavailable') return null;
    throw error;
  }
}
