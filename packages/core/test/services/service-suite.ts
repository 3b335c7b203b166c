import { describe, expect, it } from 'vitest';
import { isGatehouseError } from '../../src/errors/index.js';
import type { AuthStore } from '../../src/ports.js';
import {
  createSystemApiKey,
  createUser,
  createUserApiKey,
  deleteSystemApiKey,
  deleteUser,
  deleteUserApiKey,
  listOwnApiKeys,
  listUsers,
  login,
  logoutUser,
  refreshSession,
  requestPasswordReset,
  resetPassword,
  revokeSession,
  listOwnSessions,
  listUserSessions,
  revokeOtherSessions,
  revokeOwnSession,
  revokeUserSessions,
  updateOwnProfile,
  updateUser,
  bootstrap,
  listAuditEvents,
} from '../../src/services/index.js';
import { createAuditTrail, storeAuditSink } from '../../src/audit/index.js';
import { silentLogger } from '../../src/services/deps.js';
import { adminSecretPrincipal } from '../../src/policy/index.js';
import { createTokenCodec } from '../../src/tokens/index.js';
import {
  ADMIN_SECRET,
  SECRET,
  bearer,
  makeHarness,
  principalOf,
  rejectsWith,
  type Harness,
} from '../support/harness.js';

async function reason(h: Harness, token: string): Promise<string> {
  const result = await h.auth.authenticate(bearer(token));
  return result.ok ? 'ok' : result.reason;
}

const ADMIN_EMAIL = 'admin@localhost';
const ADMIN_PASSWORD = 'admin-initial';

/** Logs in the default admin and creates a member and a viewer with known passwords. */
async function world(h: Harness) {
  const admin = await login(h.deps, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const adminP = await principalOf(h, admin.accessToken);
  const member = await createUser(h.deps, adminP, {
    email: 'Member@Example.com',
    username: 'member',
    role: 'MEMBER',
    password: 'member-pw',
  });
  const viewer = await createUser(h.deps, adminP, {
    email: 'viewer@example.com',
    username: 'viewer',
    role: 'VIEWER',
    password: 'viewer-pw',
  });
  return { admin, adminP, member, viewer };
}

/**
 * The identity services over one AuthStore. Run unchanged on the in-memory store (unit tests) and on
 * real SQLite and PostgreSQL stores (test/services), so every rule is proven against a real schema.
 */
export interface StoreUnderTest {
  store: AuthStore;
  cleanup: () => Promise<void>;
}

export function defineServiceSuite(name: string, makeStore: () => Promise<StoreUnderTest>) {
  async function harness(env: Record<string, string> = {}): Promise<Harness & { cleanup: () => Promise<void> }> {
    const { store, cleanup } = await makeStore();
    return { ...(await makeHarness(env, store)), cleanup };
  }
  async function withHarness(fn: (h: Harness) => Promise<void>, env: Record<string, string> = {}) {
    const h = await harness(env);
    try {
      await fn(h);
    } finally {
      h.auth.close();
      await h.cleanup();
    }
  }

  describe(`identity services on ${name}`, () => {
    describe('session list', () => {
      const MINUTE = 60_000;
      const client = { clientAddress: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11) Firefox/140.0' };

      it('lists the own live sessions with how and where each signed in, marking the current one', () =>
        withHarness(async (h) => {
          await world(h);
          const first = await login(h.deps, { email: 'member@example.com', password: 'member-pw' }, client);
          h.clock.advance(MINUTE);
          const second = await login(
            h.deps,
            { email: 'member@example.com', password: 'member-pw' },
            { clientAddress: null, userAgent: `ua\u0000\u0007${'x'.repeat(600)}` },
          );
          const p = await principalOf(h, second.accessToken);
          const views = await listOwnSessions(h.deps, p, second.sessionId);
          expect(views.map((v) => [v.session.id, v.current])).toEqual([
            [second.sessionId, true],
            [first.sessionId, false],
          ]);
          const [newest, oldest] = views;
          expect(oldest?.session).toMatchObject({
            signInMethod: 'password',
            idp: null,
            ...client,
            lastRefreshedAt: null,
          });
          // Control characters dropped, length bounded.
          expect(newest?.session.userAgent).toBe(`ua${'x'.repeat(510)}`);
          expect(newest?.session.clientAddress).toBeNull();
          expect(oldest?.absoluteExpiresAt).toBe(oldest!.session.createdAt + 43_200 * MINUTE);
          expect(oldest?.idleExpiresAt).toBe(first.refreshTokenExpiresAt);
          // Someone else's list holds none of them.
          const admin = await principalOf(
            h,
            (await login(h.deps, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).accessToken,
          );
          expect((await listOwnSessions(h.deps, admin, null)).some((v) => v.session.userId !== admin.userId)).toBe(
            false,
          );
        }));

      it('a refresh records the last refresh and moves the idle end, not the absolute end', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          h.clock.advance(5 * MINUTE);
          const next = await refreshSession(h.deps, s.refreshToken);
          const p = await principalOf(h, next.accessToken);
          const [view] = await listOwnSessions(h.deps, p, next.sessionId);
          expect(view?.session.lastRefreshedAt).toBe(h.clock.now());
          expect(view?.idleExpiresAt).toBe(next.refreshTokenExpiresAt);
          expect(view?.absoluteExpiresAt).toBe(s.issuedAt + 43_200 * MINUTE);
        }));

      it('revoking one own session ends it at once; another user’s session is a 404 and survives', () =>
        withHarness(async (h) => {
          await world(h);
          const mine = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const other = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const theirs = await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' });
          const p = await principalOf(h, mine.accessToken);
          await rejectsWith(revokeOwnSession(h.deps, p, theirs.sessionId), 'not_found', 'Session not found');
          await rejectsWith(revokeOwnSession(h.deps, p, 999_999), 'not_found');
          expect(await reason(h, theirs.accessToken)).toBe('ok');
          await revokeOwnSession(h.deps, p, other.sessionId);
          expect(await reason(h, other.accessToken)).toBe('revoked');
          await rejectsWith(refreshSession(h.deps, other.refreshToken), 'invalid_token');
          expect(await reason(h, mine.accessToken)).toBe('ok');
        }));

      it('revoking the other sessions keeps the current one; with no current session all end', () =>
        withHarness(async (h) => {
          await world(h);
          const here = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const a = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const b = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const p = await principalOf(h, here.accessToken);
          expect(await revokeOtherSessions(h.deps, p, here.sessionId)).toBe(2);
          for (const gone of [a, b]) expect(await reason(h, gone.accessToken)).toBe('revoked');
          expect(await reason(h, here.accessToken)).toBe('ok');
          expect(await revokeOtherSessions(h.deps, p, null)).toBe(1);
          expect(await reason(h, here.accessToken)).toBe('revoked');
        }));

      it('admins list and end another user’s sessions; members may not; an unknown user is a 404', () =>
        withHarness(async (h) => {
          const { adminP, member } = await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const viewerP = await principalOf(
            h,
            (await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' })).accessToken,
          );
          await rejectsWith(listUserSessions(h.deps, viewerP, member.id, null), 'forbidden');
          await rejectsWith(revokeUserSessions(h.deps, viewerP, member.id), 'forbidden');
          await rejectsWith(listUserSessions(h.deps, adminP, 999_999, null), 'not_found');
          expect((await listUserSessions(h.deps, adminP, member.id, null)).map((v) => v.session.id)).toEqual([
            s.sessionId,
          ]);
          const secretP = adminSecretPrincipal(h.systemUserId);
          await revokeUserSessions(h.deps, secretP, member.id);
          expect(await reason(h, s.accessToken)).toBe('revoked');
          expect(await listUserSessions(h.deps, adminP, member.id, null)).toEqual([]);
        }));
    });

    describe('absolute session lifetime', () => {
      const MINUTE = 60_000;
      const lifetime = {
        GATEHOUSE_SESSION_MAX_LIFETIME_MINUTES: '60',
        PHOENIX_REFRESH_TOKEN_EXPIRY_MINUTES: '30',
        PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: '10',
      };

      it('a session refreshed all along still ends at its absolute end, with session_expired', () =>
        withHarness(async (h) => {
          await world(h);
          const start = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const end = start.issuedAt + 60 * MINUTE;
          let current = start;
          // Refreshed every 9 minutes: the idle lifetime alone would keep it forever.
          for (let i = 0; i < 6; i++) {
            h.clock.advance(9 * MINUTE);
            current = await refreshSession(h.deps, current.refreshToken);
            expect(current.accessTokenExpiresAt).toBeLessThanOrEqual(end);
          }
          // At 54 minutes: the new access token is cut to the absolute end (6 minutes, not 10).
          expect(current.accessTokenExpiresAt).toBe(end);
          expect(current.refreshTokenExpiresAt).toBe(h.clock.now() + 30 * MINUTE);
          h.clock.advance(6 * MINUTE - 1);
          expect(await reason(h, current.accessToken)).toBe('ok');
          h.clock.advance(1);
          expect(await reason(h, current.accessToken)).toBe('expired');
          // The refresh token is within its idle lifetime, but the session is over: refused, and ended.
          await rejectsWith(
            refreshSession(h.deps, current.refreshToken),
            'session_expired',
            'Session expired: sign in again',
          );
          expect(await h.store.findSession(current.sessionId)).toBeNull();
          await rejectsWith(refreshSession(h.deps, current.refreshToken), 'invalid_token');
        }, lifetime));

      it('lowering the lifetime applies to sessions already running: the next refresh is session_expired', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          h.clock.advance(20 * MINUTE);
          const shorter = {
            ...h.deps,
            config: { ...h.deps.config, tokens: { ...h.deps.config.tokens, sessionMaxLifetimeSeconds: 15 * 60 } },
          };
          await rejectsWith(
            refreshSession(shorter, s.refreshToken),
            'session_expired',
            'Session expired: sign in again',
          );
          // Ended for good, not just refused once: the row is gone and the token is no longer known.
          expect(await h.store.findSession(s.sessionId)).toBeNull();
          await rejectsWith(refreshSession(h.deps, s.refreshToken), 'invalid_token');
        }, lifetime));
    });

    describe('secret rotation', () => {
      const OLD = 'old-secret-0123456789-abcdefghijklmnopq';

      it('tokens and API keys of a previous secret stay valid, new ones use the current secret, a refresh re-signs', async () => {
        const { store, cleanup } = await makeStore();
        try {
          // Before: OLD is the secret.
          const before = await makeHarness({ PHOENIX_SECRET: OLD }, store);
          const { adminP } = await world(before);
          const key = await createUserApiKey(before.deps, adminP, { name: 'ci' });
          expect(key.record.secretId).toBe(createTokenCodec({ secret: OLD }).keyId);
          const s = await login(before.deps, { email: 'member@example.com', password: 'member-pw' });
          before.auth.close();

          // After: SECRET signs, OLD is only accepted.
          const after = await makeHarness({ GATEHOUSE_PREVIOUS_SECRETS: OLD }, store);
          expect(await reason(after, s.accessToken)).toBe('ok');
          expect(await reason(after, key.key)).toBe('ok');
          const next = await refreshSession(after.deps, s.refreshToken);
          expect(
            createTokenCodec({ secret: SECRET, now: after.clock.now }).verifySync(next.accessToken, 'access').sub,
          ).toBe(String(s.user.id));
          expect(() =>
            createTokenCodec({ secret: OLD, now: after.clock.now }).verifySync(next.refreshToken, 'refresh'),
          ).toThrow('Invalid token');
          const fresh = await createUserApiKey(after.deps, adminP, { name: 'new' });
          expect(fresh.record.secretId).toBe(after.deps.tokens.keyId);
          after.auth.close();

          // Retired: OLD is gone, and so is everything it signed.
          const retired = await makeHarness({}, store);
          expect(await reason(retired, key.key)).toBe('invalid');
          expect(await reason(retired, fresh.key)).toBe('ok');
          expect(await reason(retired, next.accessToken)).toBe('ok');
          retired.auth.close();
        } finally {
          await cleanup();
        }
      });
    });

    describe('bootstrap', () => {
      it('creates the system user and the default admin once, flagged for a password change', () =>
        withHarness(async (h) => {
          const admin = await h.store.findUserByEmail(ADMIN_EMAIL);
          expect(admin).toMatchObject({ username: 'admin', role: 'ADMIN', authMethod: 'LOCAL', resetPassword: true });
          expect(await h.store.findUserById(h.systemUserId)).toMatchObject({
            role: 'SYSTEM',
            email: 'system@localhost',
          });
          const again = await bootstrap(h.deps);
          expect(again).toMatchObject({ systemUserId: h.systemUserId, createdDefaultAdmin: false, createdAdmins: [] });
          expect(await h.store.countUsersByRole('SYSTEM')).toBe(1);
          expect(await h.store.countUsersByRole('ADMIN')).toBe(1);
        }));

      it('never resets the default admin on a later start, even with another initial password', () =>
        withHarness(async (h) => {
          const { adminP } = await world(h);
          await updateOwnProfile(h.deps, adminP, { password: 'chosen-pw', currentPassword: ADMIN_PASSWORD });
          const restarted = { ...h.deps, config: { ...h.deps.config, defaultAdminInitialPassword: 'other' } };
          expect((await bootstrap(restarted)).createdDefaultAdmin).toBe(false);
          await login(h.deps, { email: ADMIN_EMAIL, password: 'chosen-pw' });
          await rejectsWith(login(h.deps, { email: ADMIN_EMAIL, password: 'other' }), 'invalid_credentials');
        }));

      it('creates PHOENIX_ADMINS entries as admins, skipping existing e-mails and usernames untouched', () =>
        withHarness(
          async (h) => {
            expect(await h.store.findUserByEmail('ada@example.com')).toMatchObject({
              username: 'Ada, Countess=L',
              role: 'ADMIN',
              authMethod: 'LOCAL',
              resetPassword: true,
            });
            // the default admin was not created: an admin existed by the time it was checked? no —
            // PHOENIX_ADMINS runs after the default admin check, so both exist on an empty store.
            expect(await h.store.findUserByEmail(ADMIN_EMAIL)).not.toBeNull();
            const { adminP } = await world(h);
            await createUser(h.deps, adminP, {
              email: 'grace@example.com',
              username: 'grace',
              role: 'VIEWER',
              password: 'pw-grace',
            });
            const withGrace = {
              ...h.deps,
              config: {
                ...h.deps.config,
                admins: [
                  { username: 'grace2', email: 'grace@example.com' },
                  { username: 'member', email: 'new@example.com' },
                ],
              },
            };
            expect((await bootstrap(withGrace)).createdAdmins).toEqual([]);
            expect(await h.store.findUserByEmail('grace@example.com')).toMatchObject({
              role: 'VIEWER',
              username: 'grace',
            });
            expect(await h.store.findUserByEmail('new@example.com')).toBeNull();
          },
          { PHOENIX_ADMINS: 'Ada, Countess=L=Ada@Example.com' },
        ));

      it('creates OAuth-only admins when password login is disabled', () =>
        withHarness(
          async (h) => {
            expect(await h.store.findUserByEmail('ops@example.com')).toMatchObject({
              authMethod: 'OAUTH2',
              passwordHash: null,
            });
          },
          {
            PHOENIX_ADMINS: 'ops=ops@example.com',
            PHOENIX_DISABLE_BASIC_AUTH: 'true',
            PHOENIX_OAUTH2_IDP_CLIENT_ID: 'client',
            PHOENIX_OAUTH2_IDP_CLIENT_SECRET: 'client-secret',
            PHOENIX_OAUTH2_IDP_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
          },
        ));
    });

    describe('audit trail', () => {
      const typesOf = (h: Harness) => h.audit.map((e) => e.type);

      it('sign-ins: success with the session, failures with their reason, the lockout once, and only a well-formed e-mail kept', () =>
        withHarness(
          async (h) => {
            const { member } = await world(h);
            h.audit.length = 0;
            const session = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
            await rejectsWith(login(h.deps, { email: 'member@example.com', password: 'bad' }), 'invalid_credentials');
            await rejectsWith(login(h.deps, { email: 'ghost@example.com', password: 'bad' }), 'invalid_credentials');
            await rejectsWith(login(h.deps, { email: 'system@localhost', password: 'bad' }), 'invalid_credentials');
            // Somebody typed a password into the e-mail field: it must not be kept.
            await rejectsWith(login(h.deps, { email: 'hunter2-Secret!', password: 'bad' }), 'invalid_credentials');
            await rejectsWith(login(h.deps, { email: 'member@example.com', password: 'bad' }), 'invalid_credentials');
            await rejectsWith(
              login(h.deps, { email: 'member@example.com', password: 'member-pw' }),
              'too_many_login_attempts',
            );
            expect(h.audit).toEqual([
              {
                type: 'sign_in.succeeded',
                subjectUserId: member.id,
                details: { method: 'password', idp: null, sessionId: session.sessionId },
              },
              {
                type: 'sign_in.failed',
                actor: { kind: 'anonymous', userId: null },
                subjectUserId: member.id,
                details: { method: 'password', reason: 'invalid_password', login: 'member@example.com' },
              },
              {
                type: 'sign_in.failed',
                actor: { kind: 'anonymous', userId: null },
                subjectUserId: null,
                details: { method: 'password', reason: 'unknown_user', login: 'ghost@example.com' },
              },
              {
                type: 'sign_in.failed',
                actor: { kind: 'anonymous', userId: null },
                subjectUserId: null,
                details: { method: 'password', reason: 'unknown_user', login: null },
              },
              {
                type: 'sign_in.failed',
                actor: { kind: 'anonymous', userId: null },
                subjectUserId: null,
                details: { method: 'password', reason: 'unknown_user', login: null },
              },
              {
                type: 'sign_in.failed',
                actor: { kind: 'anonymous', userId: null },
                subjectUserId: member.id,
                details: { method: 'password', reason: 'invalid_password', login: 'member@example.com' },
              },
              {
                type: 'sign_in.locked_out',
                actor: { kind: 'anonymous', userId: null },
                subjectUserId: member.id,
                details: { method: 'password', login: 'member@example.com', lockedUntil: h.clock.now() + 300_000 },
              },
              {
                type: 'sign_in.failed',
                actor: { kind: 'anonymous', userId: null },
                subjectUserId: null,
                details: { method: 'password', reason: 'locked_out', login: 'member@example.com' },
              },
            ]);
          },
          { PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: '2' },
        ));

      it('account changes name the actor and the subject: creation, role, passwords, keys, deletion, sign-out, reset, replay', () =>
        withHarness(async (h) => {
          const { admin, adminP, member } = await world(h);
          const memberSession = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const memberP = await principalOf(h, memberSession.accessToken);
          h.audit.length = 0;
          const key = await createUserApiKey(h.deps, memberP, { name: 'ci' });
          await deleteUserApiKey(h.deps, adminP, key.record.id);
          const systemKey = await createSystemApiKey(h.deps, adminP, { name: 'svc' }, h.systemUserId);
          await deleteSystemApiKey(h.deps, adminP, systemKey.record.id);
          await updateUser(h.deps, adminP, member.id, { role: 'VIEWER' });
          await updateUser(h.deps, adminP, member.id, { password: 'temporary-pw' });
          const again = await login(h.deps, { email: 'member@example.com', password: 'temporary-pw' });
          await updateOwnProfile(h.deps, await principalOf(h, again.accessToken), {
            password: 'member-own-pw',
            currentPassword: 'temporary-pw',
          });
          await requestPasswordReset(h.deps, 'member@example.com', { resetUrl: (t) => `https://x.test/r?token=${t}` });
          await requestPasswordReset(h.deps, 'nobody@example.com', { resetUrl: (t) => `https://x.test/r?token=${t}` });
          await resetPassword(h.deps, { token: h.mailer.lastToken(), password: 'after-reset-pw' });
          const third = await login(h.deps, { email: 'member@example.com', password: 'after-reset-pw' });
          await refreshSession(h.deps, third.refreshToken);
          await rejectsWith(refreshSession(h.deps, third.refreshToken), 'invalid_token');
          await deleteUser(h.deps, adminP, member.id);
          const adminActor = { kind: 'session', userId: admin.user.id };
          expect(h.audit.filter((e) => !e.type.startsWith('sign_in.'))).toEqual([
            {
              type: 'api_key.created',
              actor: { kind: 'session', userId: member.id },
              subjectUserId: member.id,
              details: { keyId: key.record.id, kind: 'user', name: 'ci', expiresAt: null },
            },
            {
              type: 'api_key.deleted',
              actor: adminActor,
              subjectUserId: member.id,
              details: { keyId: key.record.id, kind: 'user' },
            },
            {
              type: 'api_key.created',
              actor: adminActor,
              subjectUserId: h.systemUserId,
              details: { keyId: systemKey.record.id, kind: 'system', name: 'svc', expiresAt: null },
            },
            {
              type: 'api_key.deleted',
              actor: adminActor,
              subjectUserId: h.systemUserId,
              details: { keyId: systemKey.record.id, kind: 'system' },
            },
            {
              type: 'user.role_changed',
              actor: adminActor,
              subjectUserId: member.id,
              details: { from: 'MEMBER', to: 'VIEWER', via: 'admin' },
            },
            {
              type: 'password.changed',
              actor: adminActor,
              subjectUserId: member.id,
              details: { by: 'admin', sessionsEnded: true },
            },
            {
              type: 'password.changed',
              actor: { kind: 'session', userId: member.id },
              subjectUserId: member.id,
              details: { by: 'self', sessionsEnded: true },
            },
            {
              type: 'password.reset_requested',
              actor: { kind: 'anonymous', userId: null },
              subjectUserId: member.id,
              details: { email: 'member@example.com' },
            },
            { type: 'password.reset_completed', subjectUserId: member.id, details: {} },
            {
              type: 'refresh_token.replayed',
              actor: { kind: 'anonymous', userId: null },
              subjectUserId: member.id,
              details: { sessionId: third.sessionId },
            },
            {
              type: 'user.deleted',
              actor: adminActor,
              subjectUserId: member.id,
              details: { email: 'member@example.com', username: 'member' },
            },
          ]);
          expect(typesOf(h).filter((t) => t === 'sign_in.succeeded')).toHaveLength(2);
        }));

      it('sessions ended from the session list name who ended them: the user (one or the others) or an admin', () =>
        withHarness(async (h) => {
          const { admin, adminP, member } = await world(h);
          const mine = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const other = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const p = await principalOf(h, mine.accessToken);
          h.audit.length = 0;
          await revokeOwnSession(h.deps, p, other.sessionId);
          expect(await revokeOtherSessions(h.deps, p, mine.sessionId)).toBe(1);
          // Nothing left to end: no event.
          expect(await revokeOtherSessions(h.deps, p, mine.sessionId)).toBe(0);
          await revokeUserSessions(h.deps, adminP, member.id);
          const memberActor = { kind: 'session', userId: member.id };
          expect(h.audit).toEqual([
            {
              type: 'session.ended',
              actor: memberActor,
              subjectUserId: member.id,
              details: { sessionId: other.sessionId, by: 'user', reason: 'revoked' },
            },
            {
              type: 'session.ended',
              actor: memberActor,
              subjectUserId: member.id,
              details: { sessionId: null, by: 'user', reason: 'revoked' },
            },
            {
              type: 'session.ended',
              actor: { kind: 'session', userId: admin.user.id },
              subjectUserId: member.id,
              details: { sessionId: null, by: 'admin', reason: 'revoked' },
            },
          ]);
        }));

      it('bootstrap records the accounts it creates, by the system, once', () =>
        withHarness(async (h) => {
          const created = h.audit.filter((e) => e.type === 'user.created');
          expect(created).toEqual([
            {
              type: 'user.created',
              actor: { kind: 'system', userId: null },
              subjectUserId: expect.any(Number) as number,
              details: {
                email: 'admin@localhost',
                username: 'admin',
                role: 'ADMIN',
                authMethod: 'LOCAL',
                via: 'bootstrap',
              },
            },
          ]);
          await bootstrap(h.deps);
          expect(h.audit.filter((e) => e.type === 'user.created')).toHaveLength(1);
        }));

      it('listAuditEvents reads the store: admins only, filters by type, user and time, pages with a cursor; bad filters are 422s', () =>
        withHarness(async (h) => {
          const { adminP, member } = await world(h);
          const trail = createAuditTrail({
            sink: storeAuditSink(h.store),
            clock: h.clock,
            logger: silentLogger,
            flushIntervalMs: 60_000,
          });
          const deps = { ...h.deps, audit: trail.system };
          const t0 = h.clock.now();
          await login(deps, { email: 'member@example.com', password: 'member-pw' });
          h.clock.advance(60_000);
          await rejectsWith(login(deps, { email: 'member@example.com', password: 'bad' }), 'invalid_credentials');
          h.clock.advance(60_000);
          await login(deps, { email: 'viewer@example.com', password: 'viewer-pw' });
          await trail.close();

          const all = await listAuditEvents(h.deps, adminP);
          expect(all.events.map((e) => e.type)).toEqual(['sign_in.succeeded', 'sign_in.failed', 'sign_in.succeeded']);
          expect(all.nextCursor).toBeNull();
          const mine = await listAuditEvents(h.deps, adminP, { userId: member.id });
          expect(mine.events.map((e) => e.type)).toEqual(['sign_in.failed', 'sign_in.succeeded']);
          expect((await listAuditEvents(h.deps, adminP, { types: ['sign_in.failed'] })).events).toHaveLength(1);
          expect(
            (await listAuditEvents(h.deps, adminP, { since: t0 + 60_000, until: t0 + 120_000 })).events.map(
              (e) => e.type,
            ),
          ).toEqual(['sign_in.failed']);
          const first = await listAuditEvents(h.deps, adminP, { limit: 2 });
          const rest = await listAuditEvents(h.deps, adminP, { limit: 2, cursor: first.nextCursor });
          expect([...first.events, ...rest.events]).toEqual(all.events);
          expect(rest.nextCursor).toBeNull();

          const memberP = await principalOf(
            h,
            (await login(h.deps, { email: 'member@example.com', password: 'member-pw' })).accessToken,
          );
          await rejectsWith(listAuditEvents(h.deps, memberP), 'forbidden');
          await rejectsWith(listAuditEvents(h.deps, null), 'invalid_token');
          await rejectsWith(listAuditEvents(h.deps, adminP, { types: ['sign_in.nope'] }), 'invalid_input');
          await rejectsWith(listAuditEvents(h.deps, adminP, { limit: 0 }), 'invalid_input');
          await rejectsWith(
            listAuditEvents(h.deps, adminP, { since: 10, until: 10 }),
            'invalid_input',
            'since must be before until',
          );
          await rejectsWith(listAuditEvents(h.deps, adminP, { userId: -1 }), 'invalid_input');
        }));
    });

    describe('login', () => {
      it('accepts the e-mail in any case and refuses wrong passwords and unknown accounts alike', () =>
        withHarness(async (h) => {
          await world(h);
          const session = await login(h.deps, { email: '  MEMBER@example.COM ', password: 'member-pw' });
          expect((await principalOf(h, session.accessToken)).role).toBe('MEMBER');
          await rejectsWith(
            login(h.deps, { email: 'member@example.com', password: 'nope' }),
            'invalid_credentials',
            'Invalid email and/or password',
          );
          await rejectsWith(
            login(h.deps, { email: 'ghost@example.com', password: 'nope' }),
            'invalid_credentials',
            'Invalid email and/or password',
          );
          await rejectsWith(
            login(h.deps, { email: '', password: 'x' }),
            'invalid_credentials',
            'Email and password required',
          );
          await rejectsWith(login(h.deps, { email: 'system@localhost', password: 'x' }), 'invalid_credentials');
        }));

      it('allows concurrent sessions: ten logins, ten working tokens', () =>
        withHarness(async (h) => {
          await world(h);
          const sessions = [];
          for (let i = 0; i < 10; i++)
            sessions.push(await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' }));
          for (const s of sessions) expect(await reason(h, s.accessToken)).toBe('ok');
          expect(new Set(sessions.map((s) => s.sessionId)).size).toBe(10);
        }));

      it('locks an account after the configured failures, even for the right password, then lets it in after 300 s', () =>
        withHarness(
          async (h) => {
            await world(h);
            for (let i = 0; i < 3; i++)
              await rejectsWith(login(h.deps, { email: 'member@example.com', password: 'bad' }), 'invalid_credentials');
            const locked = 'Too many failed login attempts. Please try again later.';
            await rejectsWith(
              login(h.deps, { email: 'member@example.com', password: 'member-pw' }),
              'too_many_login_attempts',
              locked,
            );
            // unknown accounts are locked the same way, so the lockout does not reveal which exist
            for (let i = 0; i < 3; i++)
              await rejectsWith(login(h.deps, { email: 'ghost@example.com', password: 'bad' }), 'invalid_credentials');
            await rejectsWith(
              login(h.deps, { email: 'ghost@example.com', password: 'bad' }),
              'too_many_login_attempts',
            );
            h.clock.advance(301_000);
            await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          },
          { PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: '3' },
        ));

      it('a success clears the failure count', () =>
        withHarness(
          async (h) => {
            await world(h);
            for (let i = 0; i < 2; i++)
              await rejectsWith(login(h.deps, { email: 'member@example.com', password: 'bad' }), 'invalid_credentials');
            await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
            for (let i = 0; i < 2; i++)
              await rejectsWith(login(h.deps, { email: 'member@example.com', password: 'bad' }), 'invalid_credentials');
            await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          },
          { PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: '3' },
        ));

      it('does not lock when brute-force protection is disabled', () =>
        withHarness(
          async (h) => {
            await world(h);
            for (let i = 0; i < 8; i++)
              await rejectsWith(login(h.deps, { email: 'member@example.com', password: 'bad' }), 'invalid_credentials');
            await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          },
          { PHOENIX_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION: 'true' },
        ));
    });

    describe('refresh', () => {
      it('rotates: the new pair works, the old access and refresh tokens do not', () =>
        withHarness(async (h) => {
          await world(h);
          const first = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          expect(await reason(h, first.accessToken)).toBe('ok');
          const second = await refreshSession(h.deps, first.refreshToken);
          expect(second.sessionId).toBe(first.sessionId);
          expect(await reason(h, second.accessToken)).toBe('ok');
          expect(await reason(h, first.accessToken)).toBe('revoked');
        }));

      it('a replayed refresh token revokes the whole session (token family)', () =>
        withHarness(async (h) => {
          await world(h);
          const first = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const other = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const second = await refreshSession(h.deps, first.refreshToken);
          await rejectsWith(refreshSession(h.deps, first.refreshToken), 'invalid_token', 'Invalid refresh token');
          expect(await reason(h, second.accessToken)).toBe('revoked');
          await rejectsWith(refreshSession(h.deps, second.refreshToken), 'invalid_token');
          // another login of the same user is a different family and survives
          expect(await reason(h, other.accessToken)).toBe('ok');
        }));

      it('50 parallel refreshes of one token: exactly one succeeds and the family is revoked', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const results = await Promise.allSettled(
            Array.from({ length: 50 }, () => refreshSession(h.deps, s.refreshToken)),
          );
          const won = results.filter((r) => r.status === 'fulfilled');
          expect(won).toHaveLength(1);
          for (const r of results)
            if (r.status === 'rejected') expect(isGatehouseError(r.reason) && r.reason.code).toBe('invalid_token');
          const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof refreshSession>>>).value;
          expect(await reason(h, winner.accessToken)).toBe('revoked');
          await rejectsWith(refreshSession(h.deps, winner.refreshToken), 'invalid_token');
        }));

      it('a refresh keeps the login alive: the session lives as long as its newest refresh token', () =>
        withHarness(async (h) => {
          await world(h);
          const refreshTtl = h.deps.config.tokens.refreshTtlSeconds * 1000;
          const first = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const idle = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const loginExpiry = (await h.store.findSession(first.sessionId))!.expiresAt;
          h.clock.advance(refreshTtl / 2);
          const second = await refreshSession(h.deps, first.refreshToken);
          expect((await h.store.findSession(first.sessionId))!.expiresAt).toBe(second.refreshTokenExpiresAt);
          expect(second.refreshTokenExpiresAt).toBeGreaterThan(loginExpiry);

          // Past the first login's expiry: the idle login is swept, the refreshed one is not.
          h.clock.advance(refreshTtl / 2 + 10_000);
          expect(await h.store.deleteExpired(h.clock.now())).toBeGreaterThan(0);
          expect(await h.store.findSession(idle.sessionId)).toBeNull();
          await rejectsWith(refreshSession(h.deps, idle.refreshToken), 'expired_token');
          expect(await h.store.findSession(first.sessionId)).not.toBeNull();
          const third = await refreshSession(h.deps, second.refreshToken);
          expect(third.sessionId).toBe(first.sessionId);
          expect(await reason(h, third.accessToken)).toBe('ok');
        }));

      it('refuses missing, forged, wrong-kind and expired refresh tokens with the Phoenix messages', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          await rejectsWith(refreshSession(h.deps, null), 'unauthenticated', 'Missing refresh token');
          await rejectsWith(refreshSession(h.deps, 'garbage'), 'invalid_token', 'Invalid refresh token');
          await rejectsWith(refreshSession(h.deps, s.accessToken), 'invalid_token', 'Invalid refresh token');
          h.clock.advance(h.deps.config.tokens.refreshTtlSeconds * 1000 + 10_000);
          await rejectsWith(refreshSession(h.deps, s.refreshToken), 'expired_token', 'Expired refresh token');
        }));
    });

    describe('revocation triggers (docs/phoenix-contract.md#revocation): the old credential is refused at once', () => {
      it('logout ends every session of the user but keeps API keys', () =>
        withHarness(async (h) => {
          await world(h);
          const a = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const b = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const key = await createUserApiKey(h.deps, await principalOf(h, a.accessToken), { name: 'ci' });
          expect(await reason(h, key.key)).toBe('ok');
          await logoutUser(h.deps, a.user.id);
          expect(await reason(h, a.accessToken)).toBe('revoked');
          expect(await reason(h, b.accessToken)).toBe('revoked');
          await rejectsWith(refreshSession(h.deps, b.refreshToken), 'invalid_token');
          expect(await reason(h, key.key)).toBe('ok');
        }));

      it('per-session logout ends only that login', () =>
        withHarness(async (h) => {
          await world(h);
          const a = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const b = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          await principalOf(h, a.accessToken);
          await revokeSession(h.deps, a.sessionId);
          expect(await reason(h, a.accessToken)).toBe('revoked');
          expect(await reason(h, b.accessToken)).toBe('ok');
        }));

      it('changing one’s own password needs the current one and, from an API key, logs out everywhere', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' });
          const p = await principalOf(h, s.accessToken);
          await rejectsWith(
            updateOwnProfile(h.deps, p, { password: 'new-pw-1' }),
            'bad_request',
            'Valid current password is required to modify password',
          );
          await rejectsWith(
            updateOwnProfile(h.deps, p, { password: 'new-pw-1', currentPassword: 'wrong' }),
            'bad_request',
          );
          await rejectsWith(
            updateOwnProfile(h.deps, p, {
              password: 'new-pw-1',
              currentPassword: 'viewer-pw',
              endOtherSessions: 'yes',
            }),
            'invalid_input',
          );
          expect(await reason(h, s.accessToken)).toBe('ok');
          // No current session given (an API key's request): every session ends.
          const { user, endedSessions } = await updateOwnProfile(h.deps, p, {
            password: 'new-pw-1',
            currentPassword: 'viewer-pw',
          });
          expect(endedSessions).toBe(1);
          expect(user.resetPassword).toBe(false);
          expect(await reason(h, s.accessToken)).toBe('revoked');
          await login(h.deps, { email: 'viewer@example.com', password: 'new-pw-1' });
        }));

      it('a password change ends the other sessions and keeps the current one; end_other_sessions false ends none', () =>
        withHarness(async (h) => {
          await world(h);
          const here = await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' });
          const there = await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' });
          const p = await principalOf(h, here.accessToken);
          const kept = await updateOwnProfile(h.deps, p, {
            password: 'new-pw-1',
            currentPassword: 'viewer-pw',
            endOtherSessions: false,
            currentSessionId: here.sessionId,
          });
          expect(kept.endedSessions).toBe(0);
          expect(await reason(h, there.accessToken)).toBe('ok');
          const ended = await updateOwnProfile(h.deps, p, {
            password: 'new-pw-2',
            currentPassword: 'new-pw-1',
            currentSessionId: here.sessionId,
          });
          expect(ended.endedSessions).toBe(1);
          expect(await reason(h, there.accessToken)).toBe('revoked');
          expect(await reason(h, here.accessToken)).toBe('ok');
          await rejectsWith(refreshSession(h.deps, there.refreshToken), 'invalid_token');
        }));

      it('a username change alone does not log out', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' });
          const { user, endedSessions } = await updateOwnProfile(h.deps, await principalOf(h, s.accessToken), {
            username: '  vee ',
          });
          expect(user.username).toBe('vee');
          expect(endedSessions).toBe(0);
          expect(await reason(h, s.accessToken)).toBe('ok');
        }));

      it('an admin changing a role logs the user out and their API keys act with the new role at once', () =>
        withHarness(async (h) => {
          const { adminP, member } = await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const key = await createUserApiKey(h.deps, await principalOf(h, s.accessToken), { name: 'k' });
          expect((await principalOf(h, key.key)).role).toBe('MEMBER');
          await updateUser(h.deps, adminP, member.id, { role: 'viewer' });
          expect(await reason(h, s.accessToken)).toBe('revoked');
          expect((await principalOf(h, key.key)).role).toBe('VIEWER');
        }));

      it('an admin setting a password logs the user out and flags a reset', () =>
        withHarness(async (h) => {
          const { adminP, member } = await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const updated = await updateUser(h.deps, adminP, member.id, { password: 'temp-pw-1' });
          expect(updated.resetPassword).toBe(true);
          expect(await reason(h, s.accessToken)).toBe('revoked');
          await login(h.deps, { email: 'member@example.com', password: 'temp-pw-1' });
        }));

      it('deleting a user revokes sessions and personal keys at once; system keys the user made survive', () =>
        withHarness(async (h) => {
          const { adminP } = await world(h);
          const admin2 = await createUser(h.deps, adminP, {
            email: 'a2@example.com',
            username: 'a2',
            role: 'ADMIN',
            password: 'a2-pass',
          });
          const s = await login(h.deps, { email: 'a2@example.com', password: 'a2-pass' });
          const p = await principalOf(h, s.accessToken);
          const own = await createUserApiKey(h.deps, p, { name: 'mine' });
          const sys = await createSystemApiKey(h.deps, p, { name: 'ingest' }, h.systemUserId);
          expect(await reason(h, own.key)).toBe('ok');
          await deleteUser(h.deps, adminP, admin2.id);
          expect(await reason(h, s.accessToken)).toBe('revoked');
          expect(await reason(h, own.key)).toBe('revoked');
          await rejectsWith(refreshSession(h.deps, s.refreshToken), 'invalid_token');
          expect(await principalOf(h, sys.key)).toMatchObject({ kind: 'system_api_key', role: 'SYSTEM' });
          await rejectsWith(login(h.deps, { email: 'a2@example.com', password: 'a2-pass' }), 'invalid_credentials');
        }));

      it('deleting an API key refuses it at once', () =>
        withHarness(async (h) => {
          const { adminP } = await world(h);
          const s = await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' });
          const p = await principalOf(h, s.accessToken);
          const own = await createUserApiKey(h.deps, p, { name: 'mine' });
          const sys = await createSystemApiKey(h.deps, adminP, { name: 'sys' }, h.systemUserId);
          expect(await reason(h, own.key)).toBe('ok');
          expect(await reason(h, sys.key)).toBe('ok');
          await deleteUserApiKey(h.deps, p, own.record.id);
          await deleteSystemApiKey(h.deps, adminP, sys.record.id);
          expect(await reason(h, own.key)).toBe('revoked');
          expect(await reason(h, sys.key)).toBe('revoked');
        }));

      it('a password reset ends every session', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          await principalOf(h, s.accessToken);
          await requestPasswordReset(h.deps, 'member@example.com', {
            resetUrl: (t) => `http://app/reset?token=${encodeURIComponent(t)}`,
          });
          await resetPassword(h.deps, { token: h.mailer.lastToken(), password: 'reset-pw-1' });
          expect(await reason(h, s.accessToken)).toBe('revoked');
        }));

      it('expired credentials are refused as expired, also from the cache', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          const key = await createUserApiKey(h.deps, await principalOf(h, s.accessToken), {
            name: 'short',
            expiresAt: h.clock.now() + 60_000,
          });
          expect(await reason(h, key.key)).toBe('ok');
          h.clock.advance(h.deps.config.tokens.accessTtlSeconds * 1000 + 10_000);
          expect(await reason(h, s.accessToken)).toBe('expired');
          expect(await reason(h, key.key)).toBe('expired');
        }));
    });

    describe('API keys', () => {
      it('API keys cannot mint API keys; expiry must be in the future; keys act with the owner’s role', () =>
        withHarness(async (h) => {
          const { adminP } = await world(h);
          const s = await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' });
          const viewerP = await principalOf(h, s.accessToken);
          const key = await createUserApiKey(h.deps, viewerP, { name: '  laptop ', description: 'cli' });
          expect(key.record).toMatchObject({ name: 'laptop', description: 'cli', kind: 'user', expiresAt: null });
          const keyP = await principalOf(h, key.key);
          expect(keyP).toMatchObject({ kind: 'user_api_key', role: 'VIEWER' });
          await rejectsWith(
            createUserApiKey(h.deps, keyP, { name: 'x' }),
            'forbidden',
            'API keys cannot create API keys',
          );
          await rejectsWith(
            createUserApiKey(h.deps, viewerP, { name: 'x', expiresAt: h.clock.now() }),
            'invalid_input',
          );
          await rejectsWith(createUserApiKey(h.deps, viewerP, { name: '   ' }), 'invalid_input');
          await rejectsWith(createSystemApiKey(h.deps, viewerP, { name: 'x' }, h.systemUserId), 'forbidden');
          const adminKey = await createUserApiKey(h.deps, adminP, { name: 'admin-key' });
          await rejectsWith(
            createSystemApiKey(h.deps, await principalOf(h, adminKey.key), { name: 'x' }, h.systemUserId),
            'forbidden',
          );
        }));

      it('the admin secret creates system keys but not personal keys', () =>
        withHarness(async (h) => {
          const secretP = await principalOf(h, ADMIN_SECRET);
          expect(secretP.kind).toBe('admin_secret');
          const sys = await createSystemApiKey(h.deps, secretP, { name: 'from-secret' }, h.systemUserId);
          expect(await principalOf(h, sys.key)).toMatchObject({ kind: 'system_api_key', userId: h.systemUserId });
          await rejectsWith(createUserApiKey(h.deps, secretP, { name: 'x' }), 'forbidden');
          expect((await listOwnApiKeys(h.deps, secretP)).keys).toEqual([]);
        }));

      it('someone else’s key is "not found" for a non-admin and deletable by an admin', () =>
        withHarness(async (h) => {
          const { adminP } = await world(h);
          const m = await principalOf(
            h,
            (await login(h.deps, { email: 'member@example.com', password: 'member-pw' })).accessToken,
          );
          const v = await principalOf(
            h,
            (await login(h.deps, { email: 'viewer@example.com', password: 'viewer-pw' })).accessToken,
          );
          const key = await createUserApiKey(h.deps, m, { name: 'm' });
          await rejectsWith(deleteUserApiKey(h.deps, v, key.record.id), 'not_found', 'API key not found');
          await rejectsWith(deleteUserApiKey(h.deps, v, 999_999), 'not_found', 'API key not found');
          expect((await listOwnApiKeys(h.deps, m)).keys.map((k) => k.id)).toEqual([key.record.id]);
          expect((await listOwnApiKeys(h.deps, v)).keys).toEqual([]);
          await deleteUserApiKey(h.deps, adminP, key.record.id);
          expect(await reason(h, key.key)).toBe('revoked');
          const secretP = await principalOf(h, ADMIN_SECRET);
          const another = await createUserApiKey(h.deps, v, { name: 'v' });
          await deleteUserApiKey(h.deps, secretP, another.record.id);
          expect(await reason(h, another.key)).toBe('revoked');
          const sys = await createSystemApiKey(h.deps, adminP, { name: 's' }, h.systemUserId);
          await rejectsWith(deleteUserApiKey(h.deps, await principalOf(h, sys.key), key.record.id), 'forbidden');
          await rejectsWith(deleteUserApiKey(h.deps, adminP, sys.record.id), 'not_found', 'API key not found');
        }));
    });

    describe('users', () => {
      it('only admins manage users; the default admin and the system user cannot be deleted', () =>
        withHarness(async (h) => {
          const { adminP, member } = await world(h);
          const m = await principalOf(
            h,
            (await login(h.deps, { email: 'member@example.com', password: 'member-pw' })).accessToken,
          );
          await rejectsWith(
            createUser(h.deps, m, { email: 'x@example.com', username: 'x', role: 'VIEWER' }),
            'forbidden',
          );
          await rejectsWith(updateUser(h.deps, m, member.id, { role: 'ADMIN' }), 'forbidden');
          await rejectsWith(deleteUser(h.deps, m, member.id), 'forbidden');
          await rejectsWith(
            deleteUser(h.deps, adminP, adminP.userId!),
            'forbidden',
            'Cannot delete the default admin or system user',
          );
          await rejectsWith(
            deleteUser(h.deps, adminP, h.systemUserId),
            'forbidden',
            'Cannot delete the default admin or system user',
          );
          await rejectsWith(
            updateUser(h.deps, adminP, adminP.userId!, { role: 'MEMBER' }),
            'forbidden',
            'Cannot modify own role',
          );
          await rejectsWith(
            createUser(h.deps, adminP, { email: 'x@example.com', username: 'x', role: 'SYSTEM' }),
            'bad_request',
            'Cannot create users with SYSTEM role',
          );
          await rejectsWith(updateUser(h.deps, adminP, member.id, { role: 'SYSTEM' }), 'bad_request');
          await rejectsWith(
            createUser(h.deps, adminP, { email: 'not-an-email', username: 'x', role: 'VIEWER' }),
            'invalid_email',
          );
          await rejectsWith(
            createUser(h.deps, adminP, { email: 'y@example.com', username: 'y', role: 'VIEWER', password: 'a b' }),
            'password_policy',
          );
          await rejectsWith(
            createUser(h.deps, adminP, { email: 'MEMBER@example.com', username: 'z', role: 'VIEWER' }),
            'duplicate_email',
            'Email already exists',
          );
          await rejectsWith(
            createUser(h.deps, adminP, { email: 'z@example.com', username: 'member', role: 'VIEWER' }),
            'duplicate_username',
            'Username already exists',
          );
        }));

      it('lists users newest first with a cursor, without the system user', () =>
        withHarness(async (h) => {
          const { adminP } = await world(h);
          for (let i = 0; i < 5; i++)
            await createUser(h.deps, adminP, { email: `u${i}@example.com`, username: `u${i}`, role: 'VIEWER' });
          const seen: string[] = [];
          let cursor: number | null = null;
          do {
            const page = await listUsers(h.deps, adminP, { cursor, limit: 3 });
            seen.push(...page.users.map((u) => u.username));
            cursor = page.nextCursor;
          } while (cursor !== null);
          expect(seen).toEqual(['u4', 'u3', 'u2', 'u1', 'u0', 'viewer', 'member', 'admin']);
        }));

      it('200 parallel creations with 100 distinct e-mails: exactly 100 users, only duplicate errors', () =>
        withHarness(async (h) => {
          const { adminP } = await world(h);
          const before = await h.store.countUsersByRole('VIEWER');
          const results = await Promise.allSettled(
            Array.from({ length: 200 }, (_, i) =>
              createUser(h.deps, adminP, {
                email: `p${i % 100}@example.com`,
                username: `p${i}`,
                role: 'VIEWER',
                password: 'pw-1234',
              }),
            ),
          );
          expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
          for (const r of results)
            if (r.status === 'rejected') expect(isGatehouseError(r.reason) && r.reason.code).toBe('duplicate_email');
          expect((await h.store.countUsersByRole('VIEWER')) - before).toBe(100);
        }));
    });

    describe('password reset', () => {
      const url = (t: string) => `http://app.test/reset-password-with-token?token=${encodeURIComponent(t)}`;

      it('sends nothing for unknown or OAuth-only accounts and answers the same', () =>
        withHarness(async (h) => {
          const { adminP } = await world(h);
          await createUser(h.deps, adminP, {
            email: 'sso@example.com',
            username: 'sso',
            role: 'VIEWER',
            authMethod: 'OAUTH2',
          });
          await requestPasswordReset(h.deps, 'ghost@example.com', { resetUrl: url });
          await requestPasswordReset(h.deps, 'sso@example.com', { resetUrl: url });
          await requestPasswordReset(h.deps, 'system@localhost', { resetUrl: url });
          expect(h.mailer.sent).toHaveLength(0);
        }));

      it('sends a link with an HTML and a text part; the token works once; only the newest token works', () =>
        withHarness(async (h) => {
          await world(h);
          await requestPasswordReset(h.deps, 'Member@Example.com', { resetUrl: url });
          const older = h.mailer.lastToken();
          await requestPasswordReset(h.deps, 'member@example.com', { resetUrl: url });
          const newer = h.mailer.lastToken();
          const mail = h.mailer.sent.at(-1)!;
          expect(mail.to).toBe('member@example.com');
          expect(mail.html).toContain('id="reset-url"');
          expect(mail.text).toContain(url(newer));
          await rejectsWith(
            resetPassword(h.deps, { token: older, password: 'fresh-pw' }),
            'invalid_token',
            'Invalid token',
          );
          // requesting a reset does not change the password
          await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          await resetPassword(h.deps, { token: newer, password: 'fresh-pw' });
          await rejectsWith(resetPassword(h.deps, { token: newer, password: 'again-pw' }), 'invalid_token');
          await login(h.deps, { email: 'member@example.com', password: 'fresh-pw' });
        }));

      it('a policy-violating password is a 422 and leaves the token usable', () =>
        withHarness(async (h) => {
          await world(h);
          await requestPasswordReset(h.deps, 'member@example.com', { resetUrl: url });
          const token = h.mailer.lastToken();
          await rejectsWith(resetPassword(h.deps, { token, password: 'a b' }), 'password_policy');
          await resetPassword(h.deps, { token, password: 'good-pw' });
        }));

      it('expires after the configured lifetime and refuses other token kinds', () =>
        withHarness(async (h) => {
          await world(h);
          const s = await login(h.deps, { email: 'member@example.com', password: 'member-pw' });
          await rejectsWith(resetPassword(h.deps, { token: s.accessToken, password: 'good-pw' }), 'invalid_token');
          await requestPasswordReset(h.deps, 'member@example.com', { resetUrl: url });
          h.clock.advance(16 * 60_000);
          await rejectsWith(
            resetPassword(h.deps, { token: h.mailer.lastToken(), password: 'good-pw' }),
            'invalid_token',
          );
        }));

      it('a successful reset clears the login lockout', () =>
        withHarness(
          async (h) => {
            await world(h);
            for (let i = 0; i < 2; i++)
              await rejectsWith(login(h.deps, { email: 'member@example.com', password: 'x' }), 'invalid_credentials');
            await rejectsWith(
              login(h.deps, { email: 'member@example.com', password: 'member-pw' }),
              'too_many_login_attempts',
            );
            await requestPasswordReset(h.deps, 'member@example.com', { resetUrl: url });
            await resetPassword(h.deps, { token: h.mailer.lastToken(), password: 'after-reset' });
            await login(h.deps, { email: 'member@example.com', password: 'after-reset' });
          },
          { PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: '2' },
        ));

      it('when the mail cannot be sent, the request fails and the token is not left behind', () =>
        withHarness(async (h) => {
          const { member } = await world(h);
          h.mailer.failNext = true;
          await rejectsWith(requestPasswordReset(h.deps, 'member@example.com', { resetUrl: url }), 'unavailable');
          expect(await h.store.deletePasswordResetTokensOfUser(member.id)).toBe(0);
        }));
    });
  });
}
