/**
 * The AuthStore contract (docs/architecture.md#rule-7): every backend runs this suite against a real database.
 * It only talks to the `AuthStore` interface, so a new backend passes it or is not done.
 */
import { isGatehouseError, type UnavailableError } from '@gatehouse-auth/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// Type-only: the ports are interfaces; the suite never needs core's code for them.
import type { AuthStore, AuthStoreOps, NewAuditEvent, NewUser, UserRecord } from '@gatehouse-auth/core';

export interface StoreUnderTest {
  store: AuthStore;
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA';

let sequence = 0;

function localUser(overrides: Partial<NewUser> = {}): NewUser {
  const n = ++sequence;
  return {
    username: `user${n}`,
    email: `user${n}@example.com`,
    role: 'MEMBER',
    authMethod: 'LOCAL',
    passwordHash: HASH,
    resetPassword: false,
    createdAt: T0,
    ...overrides,
  };
}

function oauthUser(overrides: Partial<NewUser> = {}): NewUser {
  const n = ++sequence;
  return localUser({
    authMethod: 'OAUTH2',
    passwordHash: null,
    oauth2ClientId: 'client-a',
    oauth2UserId: `subject-${n}`,
    ...overrides,
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, it resolved');
}

async function expectConflict(
  promise: Promise<unknown>,
  code: 'duplicate_email' | 'duplicate_username' | 'conflict',
  message?: string,
): Promise<void> {
  const error = await rejectionOf(promise);
  expect(isGatehouseError(error) && error.name).toBe('ConflictError');
  expect(isGatehouseError(error) && error.code).toBe(code);
  if (message !== undefined) expect((error as Error).message).toBe(message);
}

/** A session with one refresh token and its access token, as a login creates them. */
async function login(store: AuthStoreOps, user: UserRecord, expiresAt = T0 + HOUR) {
  const session = await store.insertSession({ signInMethod: 'password', userId: user.id, createdAt: T0, expiresAt });
  const refresh = await store.insertRefreshToken({ sessionId: session.id, userId: user.id, createdAt: T0, expiresAt });
  const access = await store.insertAccessToken({
    sessionId: session.id,
    userId: user.id,
    refreshTokenId: refresh.id,
    createdAt: T0,
    expiresAt,
  });
  return { session, refresh, access };
}

function auditEvent(overrides: Partial<NewAuditEvent> = {}): NewAuditEvent {
  return {
    type: 'sign_in.failed',
    details: { method: 'password', reason: 'invalid_password', login: 'a@example.com' },
    occurredAt: T0,
    actor: { kind: 'anonymous', userId: null },
    subjectUserId: 7,
    clientAddress: '203.0.113.9',
    userAgent: 'Mozilla/5.0 (contract)',
    requestId: 'req-1',
    ...overrides,
  } as NewAuditEvent;
}

function apiKey(userId: number, overrides: Partial<Parameters<AuthStoreOps['insertApiKey']>[0]> = {}) {
  return { userId, kind: 'user' as const, name: 'ci', description: null, createdAt: T0, expiresAt: null, ...overrides };
}

export function defineStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`AuthStore contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: AuthStore;

    beforeEach(async () => {
      subject = await makeStore();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    describe('users', () => {
      it('insertUser returns the stored record and findUserById reads the same back', async () => {
        const user = await store.insertUser(
          localUser({
            username: 'alice',
            email: 'alice@example.com',
            resetPassword: true,
            profilePictureUrl: 'https://img.test/a.png',
          }),
        );
        expect(user).toEqual({
          id: user.id,
          username: 'alice',
          email: 'alice@example.com',
          role: 'MEMBER',
          authMethod: 'LOCAL',
          passwordHash: HASH,
          resetPassword: true,
          oauth2ClientId: null,
          oauth2UserId: null,
          profilePictureUrl: 'https://img.test/a.png',
          ldapUniqueId: null,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(Number.isSafeInteger(user.id) && user.id > 0).toBe(true);
        expect(await store.findUserById(user.id)).toEqual(user);
      });

      it('ids grow and are never reused after a delete', async () => {
        const first = await store.insertUser(localUser());
        const second = await store.insertUser(localUser());
        expect(second.id).toBeGreaterThan(first.id);
        expect(await store.deleteUser(second.id)).toBe(true);
        const third = await store.insertUser(localUser());
        expect(third.id).toBeGreaterThan(second.id);
      });

      it('stores the email trimmed and lower-cased, and finds it whatever the case', async () => {
        const user = await store.insertUser(localUser({ email: '  Alice.Smith@Example.COM \n' }));
        expect(user.email).toBe('alice.smith@example.com');
        expect((await store.findUserById(user.id))?.email).toBe('alice.smith@example.com');
        expect((await store.findUserByEmail('ALICE.SMITH@example.com'))?.id).toBe(user.id);
        expect((await store.findUserByEmail(' alice.smith@EXAMPLE.com '))?.id).toBe(user.id);
      });

      it.each([
        ['the same spelling', 'bob@example.com'],
        ['another case', 'BOB@Example.com'],
        ['surrounding spaces', ' bob@example.com '],
      ])('rejects a duplicate email (%s) with duplicate_email', async (_label, email) => {
        await store.insertUser(localUser({ email: 'bob@example.com' }));
        await expectConflict(store.insertUser(localUser({ email })), 'duplicate_email', 'Email already exists');
        expect(await store.countUsersByRole('MEMBER')).toBe(1);
      });

      it('rejects a duplicate username with duplicate_username', async () => {
        await store.insertUser(localUser({ username: 'carol' }));
        await expectConflict(
          store.insertUser(localUser({ username: 'carol' })),
          'duplicate_username',
          'Username already exists',
        );
        expect(await store.countUsersByRole('MEMBER')).toBe(1);
      });

      it('treats usernames as case-sensitive', async () => {
        const upper = await store.insertUser(localUser({ username: 'Dave' }));
        const lower = await store.insertUser(localUser({ username: 'dave' }));
        expect((await store.findUserByUsername('Dave'))?.id).toBe(upper.id);
        expect((await store.findUserByUsername('dave'))?.id).toBe(lower.id);
        expect(await store.findUserByUsername('DAVE')).toBeNull();
      });

      it('returns null for users that do not exist', async () => {
        expect(await store.findUserById(987_654)).toBeNull();
        expect(await store.findUserByEmail('nobody@example.com')).toBeNull();
        expect(await store.findUserByUsername('nobody')).toBeNull();
        expect(await store.findUserByOAuth2Identity('client-a', 'nobody')).toBeNull();
        expect(await store.findFirstUserByRole('ADMIN')).toBeNull();
        expect(await store.countUsersByRole('ADMIN')).toBe(0);
      });

      it('finds OAuth2 users by (client id, subject), which is unique', async () => {
        const user = await store.insertUser(oauthUser({ oauth2ClientId: 'client-a', oauth2UserId: 'sub-1' }));
        expect(user).toMatchObject({
          authMethod: 'OAUTH2',
          passwordHash: null,
          oauth2ClientId: 'client-a',
          oauth2UserId: 'sub-1',
        });
        expect((await store.findUserByOAuth2Identity('client-a', 'sub-1'))?.id).toBe(user.id);
        expect(await store.findUserByOAuth2Identity('client-a', 'sub-2')).toBeNull();
        expect(await store.findUserByOAuth2Identity('client-b', 'sub-1')).toBeNull();
        // The same subject at another IdP is another person.
        await store.insertUser(oauthUser({ oauth2ClientId: 'client-b', oauth2UserId: 'sub-1' }));
        await expectConflict(
          store.insertUser(oauthUser({ oauth2ClientId: 'client-a', oauth2UserId: 'sub-1' })),
          'conflict',
        );
      });

      it('allows several OAuth2 users without ids (pre-created, not linked yet)', async () => {
        await store.insertUser(oauthUser({ oauth2ClientId: null, oauth2UserId: null }));
        await store.insertUser(oauthUser({ oauth2ClientId: null, oauth2UserId: null }));
        await store.insertUser(oauthUser({ oauth2ClientId: 'client-a', oauth2UserId: null }));
        await store.insertUser(oauthUser({ oauth2ClientId: 'client-a', oauth2UserId: null }));
        expect(await store.countUsersByRole('MEMBER')).toBe(4);
      });

      it.each<[string, Partial<NewUser>]>([
        ['LOCAL without a password hash', { authMethod: 'LOCAL', passwordHash: null }],
        ['LOCAL with an OAuth2 client id', { authMethod: 'LOCAL', oauth2ClientId: 'client-a' }],
        ['LOCAL with an OAuth2 subject', { authMethod: 'LOCAL', oauth2UserId: 'sub-1' }],
        ['OAUTH2 with a password hash', { authMethod: 'OAUTH2', passwordHash: HASH }],
        ['LDAP with a password hash', { authMethod: 'LDAP', passwordHash: HASH }],
        [
          'LDAP with an OAuth2 identity',
          { authMethod: 'LDAP', passwordHash: null, oauth2ClientId: 'c', oauth2UserId: 's' },
        ],
        ['LOCAL with an LDAP unique id', { authMethod: 'LOCAL', ldapUniqueId: 'abc' }],
      ])('the database rejects %s', async (_label, overrides) => {
        const user = localUser(overrides);
        await expectConflict(store.insertUser(user), 'conflict');
        expect(await store.findUserByEmail(user.email)).toBeNull();
      });

      it('LDAP users: no password, found by their unique id (LDAP users only), which is unique among them', async () => {
        const user = await store.insertUser(
          localUser({ authMethod: 'LDAP', passwordHash: null, ldapUniqueId: 'uuid-1' }),
        );
        expect(user).toMatchObject({
          authMethod: 'LDAP',
          passwordHash: null,
          ldapUniqueId: 'uuid-1',
          oauth2ClientId: null,
        });
        expect((await store.findUserByLdapUniqueId('uuid-1'))?.id).toBe(user.id);
        expect(await store.findUserByLdapUniqueId('uuid-2')).toBeNull();
        await expectConflict(
          store.insertUser(localUser({ authMethod: 'LDAP', passwordHash: null, ldapUniqueId: 'uuid-1' })),
          'conflict',
        );
        // A pre-provisioned LDAP user has no id yet and adopts one at first login.
        const pending = await store.insertUser(localUser({ authMethod: 'LDAP', passwordHash: null }));
        expect(pending.ldapUniqueId).toBeNull();
        const adopted = await store.updateUser(pending.id, {
          ldapUniqueId: 'uuid-3',
          email: 'moved@example.com',
          updatedAt: T0 + 1,
        });
        expect(adopted).toMatchObject({ ldapUniqueId: 'uuid-3', email: 'moved@example.com' });
        expect((await store.findUserByLdapUniqueId('uuid-3'))?.id).toBe(pending.id);
      });

      it('the database rejects a patch that would leave a LOCAL user without a password hash', async () => {
        const user = await store.insertUser(localUser());
        await expectConflict(store.updateUser(user.id, { passwordHash: null, updatedAt: T0 + 1 }), 'conflict');
        expect(await store.findUserById(user.id)).toEqual(user);
      });

      it('the database rejects a role outside user_roles', async () => {
        await expectConflict(store.insertUser(localUser({ role: 'ROOT' as NewUser['role'] })), 'conflict');
      });

      it('findFirstUserByRole returns the lowest id; countUsersByRole counts per role', async () => {
        await store.insertUser(localUser({ role: 'MEMBER' }));
        const firstAdmin = await store.insertUser(localUser({ role: 'ADMIN' }));
        await store.insertUser(localUser({ role: 'ADMIN' }));
        await store.insertUser(localUser({ role: 'VIEWER' }));
        expect((await store.findFirstUserByRole('ADMIN'))?.id).toBe(firstAdmin.id);
        expect(await store.findFirstUserByRole('SYSTEM')).toBeNull();
        expect(await store.countUsersByRole('ADMIN')).toBe(2);
        expect(await store.countUsersByRole('VIEWER')).toBe(1);
        expect(await store.countUsersByRole('SYSTEM')).toBe(0);
      });

      it('updateUser changes only the given fields and returns the new record', async () => {
        const user = await store.insertUser(
          localUser({ resetPassword: true, profilePictureUrl: 'https://img.test/1.png' }),
        );
        const updated = await store.updateUser(user.id, {
          username: 'renamed',
          email: ' Renamed@Example.com ',
          role: 'VIEWER',
          passwordHash: `${HASH}x`,
          resetPassword: false,
          updatedAt: T0 + 5,
        });
        expect(updated).toEqual({
          ...user,
          username: 'renamed',
          email: 'renamed@example.com',
          role: 'VIEWER',
          passwordHash: `${HASH}x`,
          resetPassword: false,
          updatedAt: T0 + 5,
        });
        expect(await store.findUserById(user.id)).toEqual(updated);
        const touched = await store.updateUser(user.id, { updatedAt: T0 + 6 });
        expect(touched).toEqual({ ...updated, updatedAt: T0 + 6 });
      });

      it('updateUser links and unlinks an OAuth2 identity and clears the picture', async () => {
        const user = await store.insertUser(
          oauthUser({ oauth2ClientId: null, oauth2UserId: null, profilePictureUrl: 'https://img.test/p' }),
        );
        const linked = await store.updateUser(user.id, {
          oauth2ClientId: 'client-z',
          oauth2UserId: 'sub-z',
          profilePictureUrl: null,
          updatedAt: T0 + 1,
        });
        expect(linked).toMatchObject({ oauth2ClientId: 'client-z', oauth2UserId: 'sub-z', profilePictureUrl: null });
        expect((await store.findUserByOAuth2Identity('client-z', 'sub-z'))?.id).toBe(user.id);
      });

      it('updateUser returns null for an unknown id', async () => {
        expect(await store.updateUser(424_242, { username: 'ghost', updatedAt: T0 })).toBeNull();
      });

      it('updateUser to a taken email or username is a duplicate conflict', async () => {
        const taken = await store.insertUser(localUser());
        const user = await store.insertUser(localUser());
        await expectConflict(
          store.updateUser(user.id, { email: taken.email.toUpperCase(), updatedAt: T0 + 1 }),
          'duplicate_email',
          'Email already exists',
        );
        await expectConflict(
          store.updateUser(user.id, { username: taken.username, updatedAt: T0 + 1 }),
          'duplicate_username',
          'Username already exists',
        );
        expect(await store.findUserById(user.id)).toEqual(user);
      });

      it('deleteUser reports whether it deleted', async () => {
        const user = await store.insertUser(localUser());
        expect(await store.deleteUser(user.id)).toBe(true);
        expect(await store.deleteUser(user.id)).toBe(false);
        expect(await store.findUserById(user.id)).toBeNull();
      });

      it('listUsers pages by keyset, newest first, and can exclude roles', async () => {
        const system = await store.insertUser(
          localUser({ role: 'SYSTEM', username: 'system', email: 'system@localhost' }),
        );
        const ids = [system.id];
        for (let i = 0; i < 5; i++) ids.push((await store.insertUser(localUser())).id);
        const newestFirst = [...ids].reverse();

        const all = await store.listUsers({ limit: 100 });
        expect(all.map((u) => u.id)).toEqual(newestFirst);

        const page1 = await store.listUsers({ limit: 2, excludeRoles: ['SYSTEM'] });
        expect(page1.map((u) => u.id)).toEqual(newestFirst.slice(0, 2));
        const page2 = await store.listUsers({ limit: 2, beforeId: page1[1]!.id, excludeRoles: ['SYSTEM'] });
        expect(page2.map((u) => u.id)).toEqual(newestFirst.slice(2, 4));
        const page3 = await store.listUsers({ limit: 2, beforeId: page2[1]!.id, excludeRoles: ['SYSTEM'] });
        expect(page3.map((u) => u.id)).toEqual([newestFirst[4]]);
        expect(await store.listUsers({ limit: 2, beforeId: page3[0]!.id, excludeRoles: ['SYSTEM'] })).toEqual([]);

        expect((await store.listUsers({ limit: 100, beforeId: null, excludeRoles: [] })).length).toBe(6);
        expect((await store.listUsers({ limit: 100, excludeRoles: ['SYSTEM', 'MEMBER'] })).length).toBe(0);
        expect(await store.listUsers({ limit: 0 })).toEqual([]);
        expect(page1[0]).toEqual(await store.findUserById(newestFirst[0]!));
      });
    });

    describe('sessions and tokens', () => {
      it('insertSession and findSession round-trip', async () => {
        const user = await store.insertUser(localUser());
        const session = await store.insertSession({
          signInMethod: 'password',
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        expect(session).toEqual({
          id: session.id,
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
          signInMethod: 'password',
          idp: null,
          clientAddress: null,
          userAgent: null,
          lastRefreshedAt: null,
        });
        expect(await store.findSession(session.id)).toEqual(session);
        expect(await store.findSession(session.id + 1000)).toBeNull();
      });

      it('extendSession moves the expiry later only, and says whether the session exists', async () => {
        const user = await store.insertUser(localUser());
        const session = await store.insertSession({
          signInMethod: 'password',
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        const other = await store.insertSession({
          signInMethod: 'password',
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        expect(await store.extendSession(session.id, T0 + 3 * HOUR, T0 + HOUR)).toBe(true);
        expect(await store.findSession(session.id)).toEqual({
          ...session,
          expiresAt: T0 + 3 * HOUR,
          lastRefreshedAt: T0 + HOUR,
        });
        // Never shortened: an older refresh finishing late must not cut a session short.
        expect(await store.extendSession(session.id, T0 + 2 * HOUR, T0 + HOUR)).toBe(true);
        expect(await store.extendSession(session.id, T0 + 3 * HOUR, T0 + HOUR)).toBe(true);
        expect((await store.findSession(session.id))?.expiresAt).toBe(T0 + 3 * HOUR);
        expect(await store.findSession(other.id)).toEqual(other);
        expect(await store.extendSession(session.id + 1000, T0 + 9 * HOUR, T0 + HOUR)).toBe(false);
        expect(await store.findSession(session.id + 1000)).toBeNull();
        // Inside a transaction that rolls back, nothing moves.
        await expect(
          store.transaction(async (tx) => {
            expect(await tx.extendSession(other.id, T0 + 5 * HOUR, T0 + HOUR)).toBe(true);
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(await store.findSession(other.id)).toEqual(other);
      });

      it('a session for a user that does not exist is a conflict', async () => {
        await expectConflict(
          store.insertSession({ signInMethod: 'password', userId: 999_999, createdAt: T0, expiresAt: T0 + HOUR }),
          'conflict',
        );
      });

      it('refresh and access tokens round-trip', async () => {
        const user = await store.insertUser(localUser({ role: 'VIEWER' }));
        const { session, refresh, access } = await login(store, user);
        expect(refresh).toEqual({
          id: refresh.id,
          sessionId: session.id,
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
          consumedAt: null,
        });
        expect(await store.findRefreshToken(refresh.id)).toEqual(refresh);
        expect(access).toEqual({
          id: access.id,
          sessionId: session.id,
          userId: user.id,
          refreshTokenId: refresh.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        expect(await store.findAccessTokenGrant(access.id)).toEqual({
          id: access.id,
          sessionId: session.id,
          userId: user.id,
          expiresAt: T0 + HOUR,
          role: 'VIEWER',
          username: user.username,
          email: user.email,
          authMethod: 'LOCAL',
        });
        expect(await store.findRefreshToken(refresh.id + 1000)).toBeNull();
        expect(await store.findAccessTokenGrant(access.id + 1000)).toBeNull();
      });

      it('consumeRefreshToken succeeds once and records when', async () => {
        const user = await store.insertUser(localUser());
        const { refresh } = await login(store, user);
        expect(await store.consumeRefreshToken(refresh.id, T0 + 10)).toBe(true);
        expect(await store.consumeRefreshToken(refresh.id, T0 + 20)).toBe(false);
        expect((await store.findRefreshToken(refresh.id))?.consumedAt).toBe(T0 + 10);
        expect(await store.consumeRefreshToken(refresh.id + 1000, T0)).toBe(false);
      });

      it('an access token has no grant once its refresh token is consumed', async () => {
        const user = await store.insertUser(localUser());
        const { access, refresh } = await login(store, user);
        expect(await store.findAccessTokenGrant(access.id)).not.toBeNull();
        await store.consumeRefreshToken(refresh.id, T0 + 1);
        expect(await store.findAccessTokenGrant(access.id)).toBeNull();
      });

      it("an access-token grant carries the owner's current role", async () => {
        const user = await store.insertUser(localUser({ role: 'MEMBER' }));
        const { access } = await login(store, user);
        await store.updateUser(user.id, { role: 'ADMIN', updatedAt: T0 + 1 });
        expect((await store.findAccessTokenGrant(access.id))?.role).toBe('ADMIN');
      });

      it('deleteSession removes that session and its tokens only', async () => {
        const user = await store.insertUser(localUser());
        const one = await login(store, user);
        const two = await login(store, user);
        expect(await store.deleteSession(one.session.id)).toBe(true);
        expect(await store.deleteSession(one.session.id)).toBe(false);
        expect(await store.findSession(one.session.id)).toBeNull();
        expect(await store.findRefreshToken(one.refresh.id)).toBeNull();
        expect(await store.findAccessTokenGrant(one.access.id)).toBeNull();
        expect(await store.findSession(two.session.id)).toEqual(two.session);
        expect(await store.findRefreshToken(two.refresh.id)).toEqual(two.refresh);
        expect(await store.findAccessTokenGrant(two.access.id)).not.toBeNull();
      });

      it('a session keeps how and where it was signed in to', async () => {
        const user = await store.insertUser(oauthUser());
        const agent = `Mozilla/5.0 ${'x'.repeat(400)} \u00e9`;
        const oauth = await store.insertSession({
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
          signInMethod: 'oauth2',
          idp: 'keycloak',
          clientAddress: '2001:db8::1',
          userAgent: agent,
        });
        expect(oauth).toMatchObject({
          signInMethod: 'oauth2',
          idp: 'keycloak',
          clientAddress: '2001:db8::1',
          userAgent: agent,
          lastRefreshedAt: null,
        });
        expect(await store.findSession(oauth.id)).toEqual(oauth);
        const ldap = await store.insertSession({
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
          signInMethod: 'ldap',
          clientAddress: '10.0.0.7',
        });
        expect(await store.findSession(ldap.id)).toMatchObject({
          signInMethod: 'ldap',
          idp: null,
          clientAddress: '10.0.0.7',
          userAgent: null,
        });
      });

      it('a sign-in method outside password, oauth2 and ldap is refused by the schema', async () => {
        const user = await store.insertUser(localUser());
        const bogus = {
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
          signInMethod: 'magic',
        } as unknown as Parameters<AuthStoreOps['insertSession']>[0];
        await expectConflict(store.insertSession(bogus), 'conflict');
      });

      it('extendSession records the last refresh, never moving it back', async () => {
        const user = await store.insertUser(localUser());
        const session = await store.insertSession({
          signInMethod: 'password',
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        expect(await store.extendSession(session.id, T0 + 2 * HOUR, T0 + 10)).toBe(true);
        expect((await store.findSession(session.id))?.lastRefreshedAt).toBe(T0 + 10);
        expect(await store.extendSession(session.id, T0 + 3 * HOUR, T0 + 20)).toBe(true);
        expect(await store.extendSession(session.id, T0 + 3 * HOUR, T0 + 15)).toBe(true);
        expect(await store.findSession(session.id)).toMatchObject({
          lastRefreshedAt: T0 + 20,
          expiresAt: T0 + 3 * HOUR,
        });
      });

      it('listSessionsOfUser lists the live sessions of that user only, newest first', async () => {
        const user = await store.insertUser(localUser());
        const other = await store.insertUser(localUser());
        const older = await store.insertSession({
          signInMethod: 'password',
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        const idle = await store.insertSession({
          signInMethod: 'password',
          userId: user.id,
          createdAt: T0,
          expiresAt: T0 + 10,
        });
        const newer = await store.insertSession({
          signInMethod: 'ldap',
          userId: user.id,
          createdAt: T0 + 1,
          expiresAt: T0 + 2 * HOUR,
        });
        await store.insertSession({ signInMethod: 'password', userId: other.id, createdAt: T0, expiresAt: T0 + HOUR });
        expect(await store.listSessionsOfUser(user.id, T0 + 10)).toEqual([newer, older]);
        expect((await store.listSessionsOfUser(user.id, T0)).map((s) => s.id)).toEqual([newer.id, idle.id, older.id]);
        expect(await store.listSessionsOfUser(user.id, T0 + 3 * HOUR)).toEqual([]);
        expect(await store.listSessionsOfUser(999_999, T0)).toEqual([]);
      });

      it('deleteSessionsOfUser with an exception keeps that one session and its tokens', async () => {
        const user = await store.insertUser(localUser());
        const a = await login(store, user);
        const keep = await login(store, user);
        const c = await login(store, user);
        expect(await store.deleteSessionsOfUser(user.id, keep.session.id)).toEqual([a.session.id, c.session.id]);
        expect(await store.findSession(keep.session.id)).toEqual(keep.session);
        expect(await store.findAccessTokenGrant(keep.access.id)).not.toBeNull();
        expect(await store.findRefreshToken(a.refresh.id)).toBeNull();
        expect(await store.deleteSessionsOfUser(user.id, keep.session.id)).toEqual([]);
      });

      it('deleteSessionsOfUser removes every session of the user and returns their ids, nothing else', async () => {
        const user = await store.insertUser(localUser());
        const other = await store.insertUser(localUser());
        const a = await login(store, user);
        const b = await login(store, user);
        const theirs = await login(store, other);
        const key = await store.insertApiKey(apiKey(user.id));
        const reset = await store.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });

        expect(await store.deleteSessionsOfUser(user.id)).toEqual([a.session.id, b.session.id]);
        expect(await store.deleteSessionsOfUser(user.id)).toEqual([]);
        for (const gone of [a, b]) {
          expect(await store.findSession(gone.session.id)).toBeNull();
          expect(await store.findRefreshToken(gone.refresh.id)).toBeNull();
          expect(await store.findAccessTokenGrant(gone.access.id)).toBeNull();
        }
        expect(await store.findSession(theirs.session.id)).toEqual(theirs.session);
        expect(await store.findAccessTokenGrant(theirs.access.id)).not.toBeNull();
        expect(await store.findApiKey(key.id)).toEqual(key);
        expect(await store.takePasswordResetToken(reset.id)).toEqual(reset);
      });
    });

    describe('API keys', () => {
      it('insertApiKey and findApiKey round-trip, with and without optional fields', async () => {
        const user = await store.insertUser(localUser());
        const bare = await store.insertApiKey(apiKey(user.id, { name: 'bare' }));
        expect(bare).toEqual({
          id: bare.id,
          userId: user.id,
          kind: 'user',
          name: 'bare',
          description: null,
          createdAt: T0,
          expiresAt: null,
          secretId: null,
        });
        const full = await store.insertApiKey(
          apiKey(user.id, { name: 'full', description: 'for CI', expiresAt: T0 + HOUR, secretId: 'abcDEF123_-x' }),
        );
        expect(full).toEqual({
          id: full.id,
          userId: user.id,
          kind: 'user',
          name: 'full',
          description: 'for CI',
          createdAt: T0,
          expiresAt: T0 + HOUR,
          secretId: 'abcDEF123_-x',
        });
        expect((await store.listApiKeys({ kind: 'user', userId: user.id, limit: 10 })).map((k) => k.secretId)).toEqual([
          'abcDEF123_-x',
          null,
        ]);
        expect(await store.findApiKey(bare.id)).toEqual(bare);
        expect(await store.findApiKey(full.id)).toEqual(full);
        expect(await store.findApiKey(full.id + 1000)).toBeNull();
      });

      it("findApiKeyGrant returns the key with its owner's current role, name and address", async () => {
        const user = await store.insertUser(localUser({ role: 'VIEWER' }));
        const key = await store.insertApiKey(apiKey(user.id, { expiresAt: T0 + HOUR }));
        expect(await store.findApiKeyGrant(key.id)).toEqual({
          id: key.id,
          userId: user.id,
          kind: 'user',
          expiresAt: T0 + HOUR,
          role: 'VIEWER',
          username: user.username,
          email: user.email,
          authMethod: 'LOCAL',
        });
        await store.updateUser(user.id, { role: 'MEMBER', username: 'renamed-owner', updatedAt: T0 + 1 });
        expect(await store.findApiKeyGrant(key.id)).toMatchObject({ role: 'MEMBER', username: 'renamed-owner' });
        expect(await store.findApiKeyGrant(key.id + 1000)).toBeNull();
      });

      it('listApiKeys filters by kind and owner, pages newest first, and includes the owner', async () => {
        const system = await store.insertUser(
          localUser({ role: 'SYSTEM', username: 'system', email: 'system@localhost' }),
        );
        const alice = await store.insertUser(localUser({ username: 'alice', email: 'alice@example.com' }));
        const bob = await store.insertUser(localUser({ username: 'bob', email: 'bob@example.com' }));
        const a1 = await store.insertApiKey(apiKey(alice.id, { name: 'a1' }));
        const s1 = await store.insertApiKey(apiKey(system.id, { kind: 'system', name: 's1' }));
        const b1 = await store.insertApiKey(apiKey(bob.id, { name: 'b1' }));
        const a2 = await store.insertApiKey(apiKey(alice.id, { name: 'a2' }));

        const userKeys = await store.listApiKeys({ kind: 'user', limit: 10 });
        expect(userKeys.map((k) => k.id)).toEqual([a2.id, b1.id, a1.id]);
        expect(userKeys[0]).toEqual({ ...a2, owner: { id: alice.id, username: 'alice', email: 'alice@example.com' } });
        expect(userKeys[1]?.owner).toEqual({ id: bob.id, username: 'bob', email: 'bob@example.com' });

        expect((await store.listApiKeys({ kind: 'user', userId: alice.id, limit: 10 })).map((k) => k.id)).toEqual([
          a2.id,
          a1.id,
        ]);
        expect((await store.listApiKeys({ kind: 'user', userId: alice.id, limit: 1 })).map((k) => k.id)).toEqual([
          a2.id,
        ]);
        expect(
          (await store.listApiKeys({ kind: 'user', userId: alice.id, limit: 1, beforeId: a2.id })).map((k) => k.id),
        ).toEqual([a1.id]);
        expect(await store.listApiKeys({ kind: 'user', userId: alice.id, limit: 1, beforeId: a1.id })).toEqual([]);
        expect((await store.listApiKeys({ kind: 'user', limit: 2, beforeId: a2.id })).map((k) => k.id)).toEqual([
          b1.id,
          a1.id,
        ]);

        const systemKeys = await store.listApiKeys({ kind: 'system', limit: 10, beforeId: null });
        expect(systemKeys).toEqual([
          { ...s1, owner: { id: system.id, username: 'system', email: 'system@localhost' } },
        ]);
        expect(await store.listApiKeys({ kind: 'system', userId: alice.id, limit: 10 })).toEqual([]);
      });

      it('deleteApiKey reports whether it deleted', async () => {
        const user = await store.insertUser(localUser());
        const key = await store.insertApiKey(apiKey(user.id));
        expect(await store.deleteApiKey(key.id)).toBe(true);
        expect(await store.deleteApiKey(key.id)).toBe(false);
        expect(await store.findApiKey(key.id)).toBeNull();
      });

      it.each([
        ['an empty name', { name: '' }],
        ['a blank name', { name: '   ' }],
        ['an unknown kind', { kind: 'robot' as 'user' }],
        ['an owner that does not exist', { userId: 999_999 }],
      ])('the database rejects a key with %s', async (_label, overrides) => {
        const user = await store.insertUser(localUser());
        await expectConflict(store.insertApiKey(apiKey(user.id, overrides)), 'conflict');
        expect(await store.listApiKeys({ kind: 'user', limit: 10 })).toEqual([]);
      });

      it('system keys owned by the system user survive the deletion of the admin who created them', async () => {
        const system = await store.insertUser(
          localUser({ role: 'SYSTEM', username: 'system', email: 'system@localhost' }),
        );
        const admin = await store.insertUser(localUser({ role: 'ADMIN' }));
        const systemKey = await store.insertApiKey(apiKey(system.id, { kind: 'system', name: 'ingest' }));
        const adminKey = await store.insertApiKey(apiKey(admin.id, { name: 'mine' }));
        expect(await store.deleteUser(admin.id)).toBe(true);
        expect(await store.findApiKey(adminKey.id)).toBeNull();
        expect(await store.findApiKey(systemKey.id)).toEqual(systemKey);
        expect(await store.findApiKeyGrant(systemKey.id)).toMatchObject({ role: 'SYSTEM', kind: 'system' });
      });
    });

    describe('password reset tokens', () => {
      it('a token can be taken once', async () => {
        const user = await store.insertUser(localUser());
        const token = await store.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });
        expect(token).toEqual({ id: token.id, userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });
        expect(await store.takePasswordResetToken(token.id)).toEqual(token);
        expect(await store.takePasswordResetToken(token.id)).toBeNull();
      });

      it('a new token replaces the live one: one reset token per user', async () => {
        const user = await store.insertUser(localUser());
        const other = await store.insertUser(localUser());
        const first = await store.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });
        const theirs = await store.insertPasswordResetToken({ userId: other.id, createdAt: T0, expiresAt: T0 + HOUR });
        const second = await store.insertPasswordResetToken({
          userId: user.id,
          createdAt: T0 + 1,
          expiresAt: T0 + 2 * HOUR,
        });
        expect(second.id).not.toBe(first.id);
        expect(await store.takePasswordResetToken(first.id)).toBeNull();
        expect(await store.takePasswordResetToken(second.id)).toEqual(second);
        expect(await store.takePasswordResetToken(theirs.id)).toEqual(theirs);
      });

      it('deletePasswordResetTokensOfUser returns how many it deleted', async () => {
        const user = await store.insertUser(localUser());
        const token = await store.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });
        expect(await store.deletePasswordResetTokensOfUser(user.id)).toBe(1);
        expect(await store.deletePasswordResetTokensOfUser(user.id)).toBe(0);
        expect(await store.takePasswordResetToken(token.id)).toBeNull();
      });

      it('a token for a user that does not exist is a conflict', async () => {
        await expectConflict(
          store.insertPasswordResetToken({ userId: 999_999, createdAt: T0, expiresAt: T0 + HOUR }),
          'conflict',
        );
      });

      it('concurrent requests for one user leave exactly one live token', async () => {
        const user = await store.insertUser(localUser());
        const tokens = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.insertPasswordResetToken({ userId: user.id, createdAt: T0 + i, expiresAt: T0 + HOUR }),
          ),
        );
        const taken = await Promise.all(tokens.map((token) => store.takePasswordResetToken(token.id)));
        expect(taken.filter((token) => token !== null)).toHaveLength(1);
      });

      it('of concurrent takers of one token exactly one gets it', async () => {
        const user = await store.insertUser(localUser());
        const token = await store.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });
        const results = await Promise.all(Array.from({ length: 20 }, () => store.takePasswordResetToken(token.id)));
        expect(results.filter((row) => row !== null)).toEqual([token]);
      });
    });

    describe('second factors', () => {
      const sealed = 'v1.key.iv.body.tag';

      it('a pending TOTP factor is replaced by a new enrolment, a confirmed one is not', async () => {
        const user = await store.insertUser(localUser());
        expect(await store.findTotpFactor(user.id)).toBeNull();
        expect(await store.putPendingTotpFactor({ userId: user.id, secretCiphertext: 'first', createdAt: T0 })).toBe(
          true,
        );
        expect(await store.putPendingTotpFactor({ userId: user.id, secretCiphertext: sealed, createdAt: T0 + 1 })).toBe(
          true,
        );
        expect(await store.findTotpFactor(user.id)).toEqual({
          userId: user.id,
          secretCiphertext: sealed,
          createdAt: T0 + 1,
          confirmedAt: null,
          lastUsedStep: null,
        });
        expect(await store.advanceTotpStep(user.id, 5)).toBe(false);
        expect(await store.confirmTotpFactor(user.id, 100, T0 + 2)).toBe(true);
        expect(await store.confirmTotpFactor(user.id, 101, T0 + 3)).toBe(false);
        expect(
          await store.putPendingTotpFactor({ userId: user.id, secretCiphertext: 'other', createdAt: T0 + 4 }),
        ).toBe(false);
        expect(await store.findTotpFactor(user.id)).toEqual({
          userId: user.id,
          secretCiphertext: sealed,
          createdAt: T0 + 1,
          confirmedAt: T0 + 2,
          lastUsedStep: 100,
        });
        expect(await store.updateTotpCiphertext(user.id, 'resealed')).toBe(true);
        expect((await store.findTotpFactor(user.id))?.secretCiphertext).toBe('resealed');
        expect(await store.deleteTotpFactor(user.id)).toBe(true);
        expect(await store.deleteTotpFactor(user.id)).toBe(false);
        expect(await store.updateTotpCiphertext(user.id, 'x')).toBe(false);
      });

      it('advanceTotpStep only moves forward, and of concurrent callers with one step exactly one wins', async () => {
        const user = await store.insertUser(localUser());
        await store.putPendingTotpFactor({ userId: user.id, secretCiphertext: sealed, createdAt: T0 });
        await store.confirmTotpFactor(user.id, 100, T0);
        expect(await store.advanceTotpStep(user.id, 100)).toBe(false);
        expect(await store.advanceTotpStep(user.id, 99)).toBe(false);
        const results = await Promise.all(Array.from({ length: 10 }, () => store.advanceTotpStep(user.id, 101)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.findTotpFactor(user.id))?.lastUsedStep).toBe(101);
      });

      it('a factor for a user that does not exist is a conflict', async () => {
        await expectConflict(
          store.putPendingTotpFactor({ userId: 999_999, secretCiphertext: sealed, createdAt: T0 }),
          'conflict',
        );
      });

      it('recovery codes: replaced as a set, each used once, by any of several candidate hashes', async () => {
        const user = await store.insertUser(localUser());
        const other = await store.insertUser(localUser());
        await store.replaceRecoveryCodes(user.id, ['a', 'b', 'c'], T0);
        await store.replaceRecoveryCodes(other.id, ['a'], T0);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(3);
        expect(await store.useRecoveryCode(user.id, ['zz', 'b'], T0 + 1)).toBe(true);
        expect(await store.useRecoveryCode(user.id, ['b'], T0 + 2)).toBe(false);
        expect(await store.useRecoveryCode(user.id, [], T0 + 2)).toBe(false);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(2);
        // Another user's code of the same hash is theirs alone.
        expect(await store.countUnusedRecoveryCodes(other.id)).toBe(1);
        await store.replaceRecoveryCodes(user.id, ['d'], T0 + 3);
        expect(await store.useRecoveryCode(user.id, ['a'], T0 + 4)).toBe(false);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(1);
        const racing = await Promise.all(
          Array.from({ length: 10 }, () => store.useRecoveryCode(user.id, ['d'], T0 + 5)),
        );
        expect(racing.filter(Boolean)).toHaveLength(1);
        expect(await store.deleteRecoveryCodes(user.id)).toBe(1);
        expect(await store.countUnusedRecoveryCodes(other.id)).toBe(1);
      });

      it('MFA challenges: taken once, swept at expiry, deleted per user', async () => {
        const user = await store.insertUser(localUser());
        const challenge = await store.insertMfaChallenge({
          userId: user.id,
          purpose: 'verify',
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        expect(challenge).toEqual({
          id: challenge.id,
          userId: user.id,
          purpose: 'verify',
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        expect(await store.findMfaChallenge(challenge.id)).toEqual(challenge);
        const taken = await Promise.all(Array.from({ length: 10 }, () => store.takeMfaChallenge(challenge.id)));
        expect(taken.filter((row) => row !== null)).toEqual([challenge]);
        expect(await store.findMfaChallenge(challenge.id)).toBeNull();

        const expiring = await store.insertMfaChallenge({
          userId: user.id,
          purpose: 'enroll',
          createdAt: T0,
          expiresAt: T0 + 10,
        });
        const live = await store.insertMfaChallenge({
          userId: user.id,
          purpose: 'verify',
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        expect(await store.deleteExpired(T0 + 10)).toBe(1);
        expect(await store.findMfaChallenge(expiring.id)).toBeNull();
        expect(await store.findMfaChallenge(live.id)).toEqual(live);
        expect(await store.deleteMfaChallengesOfUser(user.id)).toBe(1);
        await expectConflict(
          store.insertMfaChallenge({ userId: 999_999, purpose: 'verify', createdAt: T0, expiresAt: T0 + HOUR }),
          'conflict',
        );
      });

      it('deleting a user deletes its factor, codes and challenges', async () => {
        const user = await store.insertUser(localUser());
        await store.putPendingTotpFactor({ userId: user.id, secretCiphertext: sealed, createdAt: T0 });
        await store.replaceRecoveryCodes(user.id, ['a', 'b'], T0);
        const challenge = await store.insertMfaChallenge({
          userId: user.id,
          purpose: 'verify',
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });
        expect(await store.deleteUser(user.id)).toBe(true);
        expect(await store.findTotpFactor(user.id)).toBeNull();
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(0);
        expect(await store.findMfaChallenge(challenge.id)).toBeNull();
      });

      it('a failed transaction leaves the factor and the codes as they were', async () => {
        const user = await store.insertUser(localUser());
        await store.putPendingTotpFactor({ userId: user.id, secretCiphertext: sealed, createdAt: T0 });
        await store.confirmTotpFactor(user.id, 1, T0);
        await store.replaceRecoveryCodes(user.id, ['a'], T0);
        await expect(
          store.transaction(async (tx) => {
            await tx.deleteTotpFactor(user.id);
            await tx.deleteRecoveryCodes(user.id);
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect((await store.findTotpFactor(user.id))?.confirmedAt).toBe(T0);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(1);
      });
    });

    describe('cascades', () => {
      it('deleting a user deletes its sessions, tokens, API keys and reset token, and nobody else’s', async () => {
        const user = await store.insertUser(localUser());
        const other = await store.insertUser(localUser());
        const mine = await login(store, user);
        const theirs = await login(store, other);
        const myKey = await store.insertApiKey(apiKey(user.id));
        const theirKey = await store.insertApiKey(apiKey(other.id));
        const myReset = await store.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });
        const theirReset = await store.insertPasswordResetToken({
          userId: other.id,
          createdAt: T0,
          expiresAt: T0 + HOUR,
        });

        expect(await store.deleteUser(user.id)).toBe(true);

        expect(await store.findSession(mine.session.id)).toBeNull();
        expect(await store.findRefreshToken(mine.refresh.id)).toBeNull();
        expect(await store.findAccessTokenGrant(mine.access.id)).toBeNull();
        expect(await store.findApiKey(myKey.id)).toBeNull();
        expect(await store.takePasswordResetToken(myReset.id)).toBeNull();

        expect(await store.findSession(theirs.session.id)).toEqual(theirs.session);
        expect(await store.findRefreshToken(theirs.refresh.id)).toEqual(theirs.refresh);
        expect(await store.findAccessTokenGrant(theirs.access.id)).not.toBeNull();
        expect(await store.findApiKey(theirKey.id)).toEqual(theirKey);
        expect(await store.takePasswordResetToken(theirReset.id)).toEqual(theirReset);
      });
    });

    describe('deleteExpired', () => {
      it('sweeps everything expired at `now` (inclusive), counts every removed row, keeps the rest', async () => {
        const now = T0 + 10 * HOUR;
        const user = await store.insertUser(localUser());
        const other = await store.insertUser(localUser());

        // An expired session goes with all its tokens, the expired ones and a still-live access token:
        // session + 2 refresh + 2 access = 5 rows.
        const expiredSession = await login(store, user, now);
        const sessionTokens = {
          refresh: await store.insertRefreshToken({
            sessionId: expiredSession.session.id,
            userId: user.id,
            createdAt: T0,
            expiresAt: now - HOUR,
          }),
        };
        const lateAccess = await store.insertAccessToken({
          sessionId: expiredSession.session.id,
          userId: user.id,
          refreshTokenId: sessionTokens.refresh.id,
          createdAt: T0,
          expiresAt: now + HOUR,
        });

        // A session whose row says expired but which still holds an unexpired refresh token (rows
        // from before refreshes moved the session's expiry): kept, with its tokens.
        const heldOpen = await store.insertSession({
          signInMethod: 'password',
          userId: user.id,
          createdAt: T0,
          expiresAt: now,
        });
        const heldOpenRefresh = await store.insertRefreshToken({
          sessionId: heldOpen.id,
          userId: user.id,
          createdAt: T0,
          expiresAt: now + 1,
        });
        const heldOpenAccess = await store.insertAccessToken({
          sessionId: heldOpen.id,
          userId: user.id,
          refreshTokenId: heldOpenRefresh.id,
          createdAt: T0,
          expiresAt: now + 1,
        });

        // A live session with an expired refresh token (and its live access token: 2 rows) and a
        // live refresh token whose access token expired (1 row).
        const live = await store.insertSession({
          signInMethod: 'password',
          userId: user.id,
          createdAt: T0,
          expiresAt: now + HOUR,
        });
        const deadRefresh = await store.insertRefreshToken({
          sessionId: live.id,
          userId: user.id,
          createdAt: T0,
          expiresAt: now - 1,
        });
        const accessOfDeadRefresh = await store.insertAccessToken({
          sessionId: live.id,
          userId: user.id,
          refreshTokenId: deadRefresh.id,
          createdAt: T0,
          expiresAt: now + HOUR,
        });
        const liveRefresh = await store.insertRefreshToken({
          sessionId: live.id,
          userId: user.id,
          createdAt: T0,
          expiresAt: now + 1,
        });
        const deadAccess = await store.insertAccessToken({
          sessionId: live.id,
          userId: user.id,
          refreshTokenId: liveRefresh.id,
          createdAt: T0,
          expiresAt: now,
        });
        const liveAccess = await store.insertAccessToken({
          sessionId: live.id,
          userId: user.id,
          refreshTokenId: liveRefresh.id,
          createdAt: T0,
          expiresAt: now + 1,
        });

        // Keys: expired (1 row), never expiring, expiring later.
        const deadKey = await store.insertApiKey(apiKey(user.id, { expiresAt: now }));
        const foreverKey = await store.insertApiKey(apiKey(user.id, { expiresAt: null }));
        const laterKey = await store.insertApiKey(apiKey(user.id, { expiresAt: now + 1 }));

        // Reset tokens: one expired (1 row), one live.
        const deadReset = await store.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: now });
        const liveReset = await store.insertPasswordResetToken({ userId: other.id, createdAt: T0, expiresAt: now + 1 });

        expect(await store.deleteExpired(now)).toBe(5 + 2 + 1 + 1 + 1);

        expect(await store.findSession(expiredSession.session.id)).toBeNull();
        expect(await store.findRefreshToken(expiredSession.refresh.id)).toBeNull();
        expect(await store.findRefreshToken(sessionTokens.refresh.id)).toBeNull();
        expect(await store.findAccessTokenGrant(expiredSession.access.id)).toBeNull();
        expect(await store.findAccessTokenGrant(lateAccess.id)).toBeNull();
        expect(await store.findRefreshToken(deadRefresh.id)).toBeNull();
        expect(await store.findAccessTokenGrant(accessOfDeadRefresh.id)).toBeNull();
        expect(await store.findAccessTokenGrant(deadAccess.id)).toBeNull();
        expect(await store.findApiKey(deadKey.id)).toBeNull();
        expect(await store.takePasswordResetToken(deadReset.id)).toBeNull();

        expect(await store.findSession(live.id)).toEqual(live);
        expect(await store.findSession(heldOpen.id)).toEqual(heldOpen);
        expect(await store.findRefreshToken(heldOpenRefresh.id)).toEqual(heldOpenRefresh);
        expect(await store.findAccessTokenGrant(heldOpenAccess.id)).not.toBeNull();
        expect(await store.findRefreshToken(liveRefresh.id)).toEqual(liveRefresh);
        expect(await store.findAccessTokenGrant(liveAccess.id)).not.toBeNull();
        expect(await store.findApiKey(foreverKey.id)).toEqual(foreverKey);
        expect(await store.findApiKey(laterKey.id)).toEqual(laterKey);
        expect(await store.findUserById(user.id)).not.toBeNull();

        expect(await store.deleteExpired(now)).toBe(0);
        expect(await store.takePasswordResetToken(liveReset.id)).toEqual(liveReset);
      });

      it('returns 0 on an empty store', async () => {
        expect(await store.deleteExpired(T0)).toBe(0);
      });
    });

    describe('transactions', () => {
      it("commits when fn resolves and returns fn's value", async () => {
        const result = await store.transaction(async (tx) => {
          const user = await tx.insertUser(localUser());
          const session = await tx.insertSession({
            signInMethod: 'password',
            userId: user.id,
            createdAt: T0,
            expiresAt: T0 + HOUR,
          });
          return { user, session };
        });
        expect(await store.findUserById(result.user.id)).toEqual(result.user);
        expect(await store.findSession(result.session.id)).toEqual(result.session);
      });

      it('a failing second write leaves nothing of the first', async () => {
        const first = localUser();
        const error = await rejectionOf(
          store.transaction(async (tx) => {
            await tx.insertUser(first);
            await tx.insertUser(localUser({ email: first.email.toUpperCase() }));
          }),
        );
        expect(isGatehouseError(error) && error.name).toBe('ConflictError');
        expect(isGatehouseError(error) && error.code).toBe('duplicate_email');
        expect(await store.findUserByEmail(first.email)).toBeNull();
        expect(await store.countUsersByRole('MEMBER')).toBe(0);
      });

      it("rolls back when fn throws, and rethrows fn's error untouched", async () => {
        const mine = new Error('changed my mind');
        const user = await store.insertUser(localUser());
        const error = await rejectionOf(
          store.transaction(async (tx) => {
            await tx.updateUser(user.id, { username: 'renamed', updatedAt: T0 + 1 });
            await tx.deleteSessionsOfUser(user.id);
            throw mine;
          }),
        );
        expect(error).toBe(mine);
        expect(await store.findUserById(user.id)).toEqual(user);
      });

      it('sees its own writes before committing', async () => {
        await store.transaction(async (tx) => {
          const user = await tx.insertUser(localUser({ email: 'inside@example.com' }));
          expect((await tx.findUserByEmail('INSIDE@example.com'))?.id).toBe(user.id);
          const { refresh } = await login(tx, user);
          expect(await tx.consumeRefreshToken(refresh.id, T0 + 1)).toBe(true);
          expect((await tx.findRefreshToken(refresh.id))?.consumedAt).toBe(T0 + 1);
        });
      });

      it('multi-statement operations run inside the caller’s transaction and roll back with it', async () => {
        const user = await store.insertUser(localUser());
        const kept = await store.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });
        const expiredKey = await store.insertApiKey(apiKey(user.id, { expiresAt: T0 }));
        const error = await rejectionOf(
          store.transaction(async (tx) => {
            await tx.insertPasswordResetToken({ userId: user.id, createdAt: T0 + 1, expiresAt: T0 + HOUR });
            expect(await tx.deleteExpired(T0)).toBe(1);
            throw new Error('abort');
          }),
        );
        expect((error as Error).message).toBe('abort');
        expect(await store.findApiKey(expiredKey.id)).toEqual(expiredKey);
        expect(await store.takePasswordResetToken(kept.id)).toEqual(kept);
      });

      it('commits multi-statement operations with the transaction', async () => {
        const user = await store.insertUser(localUser());
        const token = await store.transaction(async (tx) => {
          await tx.insertPasswordResetToken({ userId: user.id, createdAt: T0, expiresAt: T0 + HOUR });
          return tx.insertPasswordResetToken({ userId: user.id, createdAt: T0 + 1, expiresAt: T0 + HOUR });
        });
        expect(await store.deletePasswordResetTokensOfUser(user.id)).toBe(1);
        expect(await store.takePasswordResetToken(token.id)).toBeNull();
      });
    });

    describe('OpenID Connect logout: IdP session links and logout-token ids', () => {
      const link = (
        sessionId: number,
        overrides: Partial<Parameters<AuthStoreOps['insertIdpSessionLink']>[0]> = {},
      ) => ({
        sessionId,
        idp: 'acme',
        subject: 'sub-1',
        sid: 'sid-1',
        sealedIdToken: 'sealed.token',
        ...overrides,
      });

      it('insertIdpSessionLink and findIdpSessionLink round-trip; one link per session; the session must exist', async () => {
        const user = await store.insertUser(oauthUser());
        const { session } = await login(store, user);
        await store.insertIdpSessionLink(link(session.id, { sid: null, sealedIdToken: null }));
        expect(await store.findIdpSessionLink(session.id)).toEqual(
          link(session.id, { sid: null, sealedIdToken: null }),
        );
        expect(await store.findIdpSessionLink(session.id + 1000)).toBeNull();
        await expectConflict(store.insertIdpSessionLink(link(session.id)), 'conflict');
        await expectConflict(store.insertIdpSessionLink(link(session.id + 1000)), 'conflict');
      });

      it('a long sealed ID token is stored whole', async () => {
        const user = await store.insertUser(oauthUser());
        const { session } = await login(store, user);
        const sealed = 'x'.repeat(20_000);
        await store.insertIdpSessionLink(link(session.id, { sealedIdToken: sealed }));
        expect((await store.findIdpSessionLink(session.id))?.sealedIdToken).toBe(sealed);
      });

      it('deleteSessionsByIdpLogout ends the sessions named by sid, by subject, or by both, of that IdP only, with their tokens', async () => {
        const alice = await store.insertUser(oauthUser());
        const bob = await store.insertUser(oauthUser());
        const a1 = await login(store, alice);
        const a2 = await login(store, alice);
        const a3 = await login(store, alice);
        const b1 = await login(store, bob);
        const password = await login(store, alice);
        await store.insertIdpSessionLink(link(a1.session.id, { subject: 'alice', sid: 'op-session-1' }));
        await store.insertIdpSessionLink(link(a2.session.id, { subject: 'alice', sid: 'op-session-2' }));
        await store.insertIdpSessionLink(link(a3.session.id, { idp: 'other', subject: 'alice', sid: 'op-session-1' }));
        await store.insertIdpSessionLink(link(b1.session.id, { subject: 'bob', sid: 'op-session-1' }));

        expect(await store.deleteSessionsByIdpLogout({ idp: 'acme', subject: null, sid: null })).toEqual([]);
        // sid and sub both given: both must match (bob's session shares the sid, not the subject).
        expect(await store.deleteSessionsByIdpLogout({ idp: 'acme', subject: 'alice', sid: 'op-session-1' })).toEqual([
          { sessionId: a1.session.id, userId: alice.id },
        ]);
        expect(await store.findSession(a1.session.id)).toBeNull();
        expect(await store.findRefreshToken(a1.refresh.id)).toBeNull();
        expect(await store.findAccessTokenGrant(a1.access.id)).toBeNull();
        expect(await store.findIdpSessionLink(a1.session.id)).toBeNull();
        expect(await store.findSession(b1.session.id)).not.toBeNull();
        // Subject only: every session of that subject at that IdP, not the other IdP's, not the password login.
        expect(await store.deleteSessionsByIdpLogout({ idp: 'acme', subject: 'alice', sid: null })).toEqual([
          { sessionId: a2.session.id, userId: alice.id },
        ]);
        expect(await store.findSession(a3.session.id)).not.toBeNull();
        expect(await store.findSession(password.session.id)).not.toBeNull();
        // Sid only.
        expect(await store.deleteSessionsByIdpLogout({ idp: 'acme', subject: null, sid: 'op-session-1' })).toEqual([
          { sessionId: b1.session.id, userId: bob.id },
        ]);
        expect(await store.deleteSessionsByIdpLogout({ idp: 'acme', subject: null, sid: 'op-session-1' })).toEqual([]);
        expect(await store.findSession(a3.session.id)).not.toBeNull();
      });

      it('a link goes with its session (logout, user deletion)', async () => {
        const user = await store.insertUser(oauthUser());
        const first = await login(store, user);
        const second = await login(store, user);
        await store.insertIdpSessionLink(link(first.session.id));
        await store.insertIdpSessionLink(link(second.session.id, { sid: 'sid-2' }));
        await store.deleteSession(first.session.id);
        expect(await store.findIdpSessionLink(first.session.id)).toBeNull();
        await store.deleteUser(user.id);
        expect(await store.findIdpSessionLink(second.session.id)).toBeNull();
      });

      it('recordLogoutTokenJti: true once per (issuer, jti), false for a replay; swept after its expiry', async () => {
        expect(
          await store.recordLogoutTokenJti({ issuer: 'https://op.example', jti: 'j1', expiresAt: T0 + HOUR }),
        ).toBe(true);
        expect(
          await store.recordLogoutTokenJti({ issuer: 'https://op.example', jti: 'j1', expiresAt: T0 + 2 * HOUR }),
        ).toBe(false);
        expect(
          await store.recordLogoutTokenJti({ issuer: 'https://other.example', jti: 'j1', expiresAt: T0 + HOUR }),
        ).toBe(true);
        // Inside a transaction (the receiver records the jti and ends the sessions in one): a replay
        // there does not abort the transaction, and a rollback forgets the jti.
        await expect(
          store.transaction(async (tx) => {
            expect(
              await tx.recordLogoutTokenJti({ issuer: 'https://op.example', jti: 'j1', expiresAt: T0 + HOUR }),
            ).toBe(false);
            expect(
              await tx.recordLogoutTokenJti({ issuer: 'https://op.example', jti: 'j2', expiresAt: T0 + HOUR }),
            ).toBe(true);
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(
          await store.recordLogoutTokenJti({ issuer: 'https://op.example', jti: 'j2', expiresAt: T0 + HOUR }),
        ).toBe(true);
        expect(await store.deleteExpired(T0 + HOUR - 1)).toBe(0);
        expect(await store.deleteExpired(T0 + HOUR)).toBe(3);
        expect(
          await store.recordLogoutTokenJti({ issuer: 'https://op.example', jti: 'j1', expiresAt: T0 + 3 * HOUR }),
        ).toBe(true);
      });

      it('50 parallel recordLogoutTokenJti of one jti: exactly one is true', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            store.recordLogoutTokenJti({ issuer: 'https://op.example', jti: 'race', expiresAt: T0 + HOUR }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('deleteExpired counts the link of an expired session', async () => {
        const user = await store.insertUser(oauthUser());
        const { session } = await login(store, user, T0 + HOUR);
        await store.insertIdpSessionLink(link(session.id));
        // session + refresh + access + link
        expect(await store.deleteExpired(T0 + HOUR)).toBe(4);
        expect(await store.findIdpSessionLink(session.id)).toBeNull();
      });
    });

    describe('concurrency', () => {
      it('50 parallel consumeRefreshToken of one token: exactly one succeeds', async () => {
        const user = await store.insertUser(localUser());
        const { refresh } = await login(store, user);
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.consumeRefreshToken(refresh.id, T0 + i)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await store.findRefreshToken(refresh.id))?.consumedAt).toBe(T0 + winner);
      });

      it('50 parallel refresh transactions (read, then consume) of one token: exactly one consumes', async () => {
        const user = await store.insertUser(localUser());
        const { refresh } = await login(store, user);
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            store.transaction(async (tx) => {
              const row = await tx.findRefreshToken(refresh.id);
              if (!row || row.consumedAt !== null) return false;
              return tx.consumeRefreshToken(row.id, T0 + 1);
            }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('200 parallel insertUser with 100 distinct emails: 100 rows, every rejection is duplicate_email', async () => {
        const attempts = Array.from({ length: 200 }, (_, i) =>
          localUser({
            username: `racer-${i}`,
            email: i % 2 === 0 ? `racer${i % 100}@example.com` : `RACER${i % 100}@example.com`,
          }),
        );
        const settled = await Promise.allSettled(attempts.map((user) => store.insertUser(user)));
        const inserted = settled.filter((result) => result.status === 'fulfilled');
        const rejected = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
        expect(inserted).toHaveLength(100);
        expect(rejected).toHaveLength(100);
        for (const error of rejected) {
          expect(isGatehouseError(error) && error.name).toBe('ConflictError');
          expect(isGatehouseError(error) && error.code).toBe('duplicate_email');
        }
        expect(await store.countUsersByRole('MEMBER')).toBe(100);
        const emails = new Set(inserted.map((result) => result.value.email));
        expect(emails.size).toBe(100);
        for (let i = 0; i < 100; i++) expect(emails.has(`racer${i}@example.com`)).toBe(true);
      });
    });

    describe('audit events', () => {
      it('appendAuditEvents stores a batch in order and listAuditEvents reads it back newest first, every field intact', async () => {
        const first = auditEvent();
        const second = auditEvent({
          type: 'user.created',
          details: {
            email: 'é@example.com',
            username: 'ünï "quoted"',
            role: 'MEMBER',
            authMethod: 'LOCAL',
            via: 'admin',
          },
          occurredAt: T0 + 1,
          actor: { kind: 'session', userId: 3 },
          subjectUserId: 9,
          clientAddress: null,
          userAgent: null,
          requestId: null,
        });
        await store.appendAuditEvents([first, second]);
        await store.appendAuditEvents([]);
        const rows = await store.listAuditEvents({ limit: 10 });
        expect(rows).toHaveLength(2);
        expect(rows[0]!.id).toBeGreaterThan(rows[1]!.id);
        expect(rows[0]).toEqual({ ...second, id: rows[0]!.id });
        expect(rows[1]).toEqual({ ...first, id: rows[1]!.id });
      });

      it('pages by id (beforeId, limit) and filters by type, by user (actor or subject) and by time range', async () => {
        await store.appendAuditEvents([
          auditEvent({ occurredAt: T0, subjectUserId: 1 }),
          auditEvent({ occurredAt: T0 + HOUR, type: 'sign_out', details: { sessionsEnded: 1 }, subjectUserId: 2 }),
          auditEvent({ occurredAt: T0 + 2 * HOUR, subjectUserId: 3, actor: { kind: 'session', userId: 1 } }),
          auditEvent({ occurredAt: T0 + 3 * HOUR, subjectUserId: null }),
        ]);
        const all = await store.listAuditEvents({ limit: 100 });
        expect(all.map((e) => e.occurredAt)).toEqual([T0 + 3 * HOUR, T0 + 2 * HOUR, T0 + HOUR, T0]);
        const page1 = await store.listAuditEvents({ limit: 2 });
        const page2 = await store.listAuditEvents({ limit: 2, beforeId: page1[1]!.id });
        expect([...page1, ...page2]).toEqual(all);
        expect((await store.listAuditEvents({ limit: 100, types: ['sign_out'] })).map((e) => e.subjectUserId)).toEqual([
          2,
        ]);
        expect(await store.listAuditEvents({ limit: 100, types: ['sign_out', 'sign_in.failed'] })).toHaveLength(4);
        // User 1 is the subject of the first and the actor of the third.
        expect((await store.listAuditEvents({ limit: 100, userId: 1 })).map((e) => e.occurredAt)).toEqual([
          T0 + 2 * HOUR,
          T0,
        ]);
        // since is inclusive, until exclusive.
        expect(
          (await store.listAuditEvents({ limit: 100, since: T0 + HOUR, until: T0 + 3 * HOUR })).map(
            (e) => e.occurredAt,
          ),
        ).toEqual([T0 + 2 * HOUR, T0 + HOUR]);
        expect(await store.listAuditEvents({ limit: 100, userId: 1, types: ['sign_out'] })).toEqual([]);
      });

      it('deleteAuditEventsBefore removes only events older than the cutoff and counts them', async () => {
        await store.appendAuditEvents([
          auditEvent({ occurredAt: T0 }),
          auditEvent({ occurredAt: T0 + HOUR }),
          auditEvent({ occurredAt: T0 + 2 * HOUR }),
        ]);
        expect(await store.deleteAuditEventsBefore(T0 + HOUR)).toBe(1);
        expect((await store.listAuditEvents({ limit: 10 })).map((e) => e.occurredAt)).toEqual([
          T0 + 2 * HOUR,
          T0 + HOUR,
        ]);
        expect(await store.deleteAuditEventsBefore(T0)).toBe(0);
      });

      it('events outlive the users they name, and deleteExpired leaves them alone', async () => {
        const user = await store.insertUser(localUser());
        await store.appendAuditEvents([
          auditEvent({ subjectUserId: user.id, actor: { kind: 'session', userId: user.id } }),
        ]);
        expect(await store.deleteUser(user.id)).toBe(true);
        await store.deleteExpired(T0 + 1000 * HOUR);
        expect((await store.listAuditEvents({ limit: 10, userId: user.id })).map((e) => e.subjectUserId)).toEqual([
          user.id,
        ]);
      });

      it('a batch larger than one INSERT holds is stored whole', async () => {
        await store.appendAuditEvents(Array.from({ length: 1203 }, (_, i) => auditEvent({ occurredAt: T0 + i })));
        const rows = await store.listAuditEvents({ limit: 2000 });
        expect(rows).toHaveLength(1203);
        expect(rows[0]!.occurredAt).toBe(T0 + 1202);
      });

      it('after close the audit calls reject with UnavailableError', async () => {
        await store.close();
        for (const call of [
          () => store.appendAuditEvents([auditEvent()]),
          () => store.listAuditEvents({ limit: 1 }),
          () => store.deleteAuditEventsBefore(T0),
        ]) {
          const error = await rejectionOf(call());
          expect(isGatehouseError(error) && error.name).toBe('UnavailableError');
        }
      });
    });

    describe('close', () => {
      it('after close every call rejects with UnavailableError; closing twice is fine', async () => {
        await store.close();
        await store.close();
        for (const call of [
          () => store.findUserById(1),
          () => store.countUsersByRole('ADMIN'),
          () => store.transaction(async () => 1),
        ]) {
          const error = await rejectionOf(call());
          expect(isGatehouseError(error) && error.name).toBe('UnavailableError');
          expect((error as UnavailableError).code).toBe('unavailable');
          expect((error as UnavailableError).message).toBe('Authentication store unavailable');
        }
      });
    });
  });
}
