import { NotFoundError } from '../errors/index.js';
import type { Principal } from '../policy/index.js';
import type { SessionRecord } from '../ports.js';
import { authorize, requireActor } from './authorize.js';
import type { ServiceDeps } from './deps.js';
import { absoluteSessionEnd, logoutUser, revokeSession } from './sessions.js';
import { auditActorOf, type SessionEndedBy } from '../audit/index.js';

/** One live session as its owner (or an admin) sees it. */
export interface SessionView {
  readonly session: SessionRecord;
  /** The session the request itself was made with. */
  readonly current: boolean;
  /** Epoch ms: the idle end (its newest refresh token's expiry); a refresh moves it. */
  readonly idleExpiresAt: number;
  /** Epoch ms: the absolute end, which no refresh moves. */
  readonly absoluteExpiresAt: number;
}

async function liveSessions(
  deps: ServiceDeps,
  userId: number,
  currentSessionId: number | null,
): Promise<SessionView[]> {
  const now = deps.clock.now();
  const rows = await deps.store.listSessionsOfUser(userId, now);
  const views: SessionView[] = [];
  for (const session of rows) {
    const absoluteExpiresAt = absoluteSessionEnd(deps, session.createdAt);
    // Past its absolute end a session can no longer be refreshed and its tokens have expired: over.
    if (absoluteExpiresAt <= now) continue;
    views.push({
      session,
      current: session.id === currentSessionId,
      idleExpiresAt: Math.min(session.expiresAt, absoluteExpiresAt),
      absoluteExpiresAt,
    });
  }
  return views;
}

function userIdOf(actor: Principal): number {
  if (actor.userId === null) throw new NotFoundError('User not found');
  return actor.userId;
}

/** The caller's own live sessions, newest first; `currentSessionId` is the session of the request, if any. */
export async function listOwnSessions(
  deps: ServiceDeps,
  actor: Principal | null,
  currentSessionId: number | null,
): Promise<SessionView[]> {
  authorize(actor, 'list_own_sessions');
  return liveSessions(deps, userIdOf(actor), currentSessionId);
}

/**
 * Ends one of the caller's own sessions, on every instance. Someone else's session answers 404, as
 * a session that does not exist does: ids of other users' sessions are not confirmed.
 */
export async function revokeOwnSession(deps: ServiceDeps, actor: Principal | null, sessionId: number): Promise<void> {
  authorize(actor, 'revoke_own_session');
  const session = Number.isSafeInteger(sessionId) ? await deps.store.findSession(sessionId) : null;
  if (!session || session.userId !== actor.userId) throw new NotFoundError('Session not found');
  await revokeSession(deps, session.id);
  recordEnded(deps, actor, session.userId, session.id, 'user');
}

/** The audit event of sessions ended from the session list (one per request; `sessionId` null: several). */
function recordEnded(
  deps: ServiceDeps,
  actor: Principal,
  userId: number,
  sessionId: number | null,
  by: SessionEndedBy,
): void {
  deps.audit.record({
    type: 'session.ended',
    actor: auditActorOf(actor),
    subjectUserId: userId,
    details: { sessionId, by, reason: 'revoked' },
  });
}

/**
 * Ends every session of the caller except `keepSessionId` (the request's own; null ends them all),
 * on every instance. The number ended.
 */
export async function revokeOtherSessions(
  deps: ServiceDeps,
  actor: Principal | null,
  keepSessionId: number | null,
): Promise<number> {
  authorize(actor, 'revoke_own_session');
  const userId = userIdOf(actor);
  if (keepSessionId === null) {
    const ended = await deps.store.deleteSessionsOfUser(userId);
    await deps.revocations.publish({ type: 'user_sessions', userId });
    recordEnded(deps, actor, userId, null, 'user');
    return ended.length;
  }
  const ended = await endSessionsExcept(deps, userId, keepSessionId);
  if (ended > 0) recordEnded(deps, actor, userId, null, 'user');
  return ended;
}

/** Deletes the user's sessions but one, and drops each from every cache. */
export async function endSessionsExcept(deps: ServiceDeps, userId: number, keepSessionId: number): Promise<number> {
  const ended = await deps.store.deleteSessionsOfUser(userId, keepSessionId);
  for (const sessionId of ended) await deps.revocations.publish({ type: 'session', sessionId });
  return ended.length;
}

async function requireUserId(deps: ServiceDeps, id: number): Promise<number> {
  const user = Number.isSafeInteger(id) ? await deps.store.findUserById(id) : null;
  if (!user) throw new NotFoundError('User not found');
  return user.id;
}

/** Admin: every live session of a user. */
export async function listUserSessions(
  deps: ServiceDeps,
  actor: Principal | null,
  userId: number,
  currentSessionId: number | null,
): Promise<SessionView[]> {
  requireActor(actor);
  authorize(actor, 'list_user_sessions', { userId });
  return liveSessions(deps, await requireUserId(deps, userId), currentSessionId);
}

/** Admin: ends every session of a user on every instance (their API keys stay). */
export async function revokeUserSessions(deps: ServiceDeps, actor: Principal | null, userId: number): Promise<void> {
  requireActor(actor);
  authorize(actor, 'revoke_user_sessions', { userId });
  const target = await requireUserId(deps, userId);
  await logoutUser(deps, target);
  recordEnded(deps, actor, target, null, 'admin');
}
