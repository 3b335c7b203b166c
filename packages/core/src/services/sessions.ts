import { sanitizeEmail } from '../crypto/index.js';
import { AuthenticationError, NotFoundError, OverloadedError, PermissionDeniedError, isGatehouseError } from '../errors/index.js';
import type { AuthStoreOps, UserRecord } from '../ports.js';
import type { ServiceDeps } from './deps.js';
import { assertNotLockedOut, clearLoginFailures, recordLoginFailure } from './login-lockout.js';

/** A freshly minted login: the two JWTs the HTTP layer puts into cookies, never into a body. */
export interface IssuedSession {
  readonly user: UserRecord;
  readonly sessionId: number;
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Epoch ms. */
  readonly accessTokenExpiresAt: number;
  readonly refreshTokenExpiresAt: number;
}

const INVALID_LOGIN = 'Invalid email and/or password';

const toSeconds = (ms: number) => Math.floor(ms / 1000);

/** Mints the refresh + access pair of one session, rows first, then the signed JWTs. */
async function mintPair(deps: ServiceDeps, user: UserRecord, sessionId: number, tx: AuthStoreOps, now = deps.clock.now()) {
  const refreshExpiresAt = now + deps.config.tokens.refreshTtlSeconds * 1000;
  const accessExpiresAt = now + deps.config.tokens.accessTtlSeconds * 1000;
  const refresh = await tx.insertRefreshToken({ sessionId, userId: user.id, createdAt: now, expiresAt: refreshExpiresAt });
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
    accessTokenExpiresAt: pair.access.expiresAt,
    refreshTokenExpiresAt: pair.refresh.expiresAt,
  };
}

/** Starts a new session (token family) for a user who has already proven who they are. */
export async function issueSession(deps: ServiceDeps, user: UserRecord): Promise<IssuedSession> {
  const now = deps.clock.now();
  const { session, pair } = await deps.store.transaction(async (tx) => {
    const session = await tx.insertSession({
      userId: user.id,
      createdAt: now,
      expiresAt: now + deps.config.tokens.refreshTtlSeconds * 1000,
    });
    // The same instant as the session's expiry: the first refresh token ends exactly with it.
    return { session, pair: await mintPair(deps, user, session.id, tx, now) };
  });
  return signPair(deps, user, session.id, pair);
}

/**
 * The password step of a login (reference §4.2): the user whose e-mail and password match, after
 * the lockout check and a hash upgrade. The same argon2 work runs whether or not the account
 * exists, so the response time does not reveal which e-mails are registered. Issues nothing: see
 * `passwordLogin` for what follows.
 */
export async function checkPassword(deps: ServiceDeps, input: { email?: unknown; password?: unknown }): Promise<UserRecord> {
  if (!deps.config.basicAuthEnabled) throw new PermissionDeniedError('Forbidden', 'basic_auth_disabled');
  const rawEmail = typeof input.email === 'string' ? input.email : '';
  const password = typeof input.password === 'string' ? input.password : '';
  if (!rawEmail || !password) throw new AuthenticationError('invalid_credentials', 'Email and password required');
  const email = sanitizeEmail(rawEmail);

  await assertNotLockedOut(deps, email);
  const user = await deps.store.findUserByEmail(email);
  // SYSTEM is a service identity, never a person who logs in (stricter than the reference).
  const hash = user && user.role !== 'SYSTEM' && user.authMethod === 'LOCAL' ? user.passwordHash : null;
  const ok = hash ? await deps.hasher.verify(hash, password) : await deps.hasher.dummyVerify(password);
  if (!ok || !user) {
    await recordLoginFailure(deps, email);
    throw new AuthenticationError('invalid_credentials', INVALID_LOGIN);
  }
  await clearLoginFailures(deps, email);

  let current = user;
  if (hash && deps.hasher.needsRehash(hash)) {
    // Upgrade weaker hashes on the one occasion the plaintext is at hand. A full hashing queue only
    // postpones it to the next login: a right password must not answer differently (503) from a wrong one.
    const upgraded = await deps.hasher.hash(password).catch((error: unknown) => {
      if (error instanceof OverloadedError) return null;
      throw error;
    });
    if (upgraded !== null) current = (await deps.store.updateUser(user.id, { passwordHash: upgraded, updatedAt: deps.clock.now() })) ?? user;
  }
  return current;
}

/**
 * Exchanges a refresh token for a new pair in the same session (reference §4.4). Single use: the
 * token is consumed by one atomic compare-and-set. A consumed token presented again means it was
 * copied, so the whole session (every token of that login) is revoked — stricter than the reference,
 * which only refuses the replay.
 */
export async function refreshSession(deps: ServiceDeps, refreshToken: string | null | undefined): Promise<IssuedSession> {
  if (!refreshToken) throw new AuthenticationError('unauthenticated', 'Missing refresh token');
  let tokenId: number;
  try {
    const claims = await deps.tokens.verify(refreshToken, 'refresh');
    tokenId = Number(claims.jti);
  } catch (error) {
    if (isGatehouseError(error) && error.code === 'expired_token') {
      throw new AuthenticationError('expired_token', 'Expired refresh token');
    }
    throw new AuthenticationError('invalid_token', 'Invalid refresh token');
  }
  if (!Number.isSafeInteger(tokenId)) throw new AuthenticationError('invalid_token', 'Invalid refresh token');

  const now = deps.clock.now();
  const outcome = await deps.store.transaction(async (tx) => {
    const row = await tx.findRefreshToken(tokenId);
    if (!row) return { kind: 'invalid' as const };
    if (row.expiresAt <= now) return { kind: 'expired' as const };
    if (!(await tx.consumeRefreshToken(row.id, now))) return { kind: 'replayed' as const, sessionId: row.sessionId };
    const user = await tx.findUserById(row.userId);
    if (!user) return { kind: 'no_user' as const };
    const pair = await mintPair(deps, user, row.sessionId, tx);
    // The login lives as long as its newest refresh token (the reference's sliding expiry): the
    // periodic sweep must not end a session that is still being refreshed.
    // Gone means logged out meanwhile: refuse, and the throw rolls the new pair back.
    if (!(await tx.extendSession(row.sessionId, pair.refresh.expiresAt))) throw new AuthenticationError('invalid_token', 'Invalid refresh token');
    return { kind: 'rotated' as const, user, sessionId: row.sessionId, pair };
  });

  switch (outcome.kind) {
    case 'invalid':
      throw new AuthenticationError('invalid_token', 'Invalid refresh token');
    case 'expired':
      throw new AuthenticationError('expired_token', 'Expired refresh token');
    case 'no_user':
      throw new NotFoundError('User not found');
    case 'replayed':
      await revokeSession(deps, outcome.sessionId);
      deps.logger.warn('refresh token replayed: session revoked', { sessionId: outcome.sessionId });
      throw new AuthenticationError('invalid_token', 'Invalid refresh token');
    case 'rotated':
      // The old access token died with its refresh token (grants need a live refresh token); drop
      // cached copies of this session's tokens so no process keeps accepting it.
      await deps.revocations.publish({ type: 'session', sessionId: outcome.sessionId });
      return signPair(deps, outcome.user, outcome.sessionId, outcome.pair);
  }
}

/** Logs the user out everywhere: every session and token, on every instance (reference §2.3). */
export async function logoutUser(deps: ServiceDeps, userId: number): Promise<void> {
  await deps.store.deleteSessionsOfUser(userId);
  await deps.revocations.publish({ type: 'user_sessions', userId });
}

/** Ends one login only: the per-session variant of logout. */
export async function revokeSession(deps: ServiceDeps, sessionId: number): Promise<void> {
  await deps.store.deleteSession(sessionId);
  await deps.revocations.publish({ type: 'session', sessionId });
}

/**
 * Who a logout is for when the request carries no valid access token: the owner of a still-valid
 * refresh token (reference §4.3: logout works with only the refresh cookie).
 */
export async function userIdFromRefreshToken(deps: ServiceDeps, refreshToken: string | null | undefined): Promise<number | null> {
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
