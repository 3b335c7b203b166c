/**
 * /v1/user and /v1/users (docs/phoenix-contract.md#user-management): own profile, admin user management, and what each change
 * does to the sessions of the user it touches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  ADMIN_SECRET,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createUser,
  expectError,
  expectJson,
  expectStatus,
  globalId,
  idOf,
  login,
  loginSession,
  sessionOf,
  startServer,
  unique,
  userCount,
  type Session,
  type TestServer,
  type TestUser,
} from './support.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

interface UserJson {
  id: string;
  email: string;
  username: string;
  role: string;
  auth_method: string;
  created_at: string;
  updated_at: string;
  password_needs_reset?: boolean;
}

interface UserPage {
  data: UserJson[];
  next_cursor: string | null;
}

const ADMIN_ONLY = 'This action requires the ADMIN role.';

async function expectSessionDead(server: TestServer, session: Session): Promise<void> {
  await expectError(await call(server, 'GET', '/v1/user', { cookie: session }), 401, 'invalid_token', 'Invalid token');
  await expectError(
    await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${session.refresh}` }),
    401,
    'invalid_token',
    'Invalid refresh token',
  );
}

async function me(server: TestServer, session: Session): Promise<UserJson> {
  return (await expectJson<{ data: UserJson }>(await call(server, 'GET', '/v1/user', { cookie: session }), 200)).data;
}

function newUserBody(overrides: Record<string, unknown> = {}): { user: Record<string, unknown> } {
  const username = unique('new');
  return {
    user: {
      email: `${username}@example.com`,
      username,
      role: 'MEMBER',
      auth_method: 'LOCAL',
      password: 'pass-word-1',
      ...overrides,
    },
  };
}

describe.each(ADAPTERS)('%s: users', (adapter) => {
  let server: TestServer;
  let admin: Session;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    admin = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
  });
  afterAll(() => server?.close());

  describe('GET /v1/user', () => {
    it('answers the caller’s own profile in Phoenix’s snake_case shape', async () => {
      const user = await createUser(server, 'VIEWER');
      const session = await loginSession(server, user.email, user.password);
      const data = await me(server, session);
      expect(data).toEqual({
        id: user.globalId,
        email: user.email,
        username: user.username,
        role: 'VIEWER',
        auth_method: 'LOCAL',
        password_needs_reset: true,
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        updated_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
    });

    it('works with a bearer access token too', async () => {
      const data = (
        await expectJson<{ data: UserJson }>(await call(server, 'GET', '/v1/user', { bearer: admin.access }), 200)
      ).data;
      expect(data).toMatchObject({ email: 'admin@localhost', username: 'admin', role: 'ADMIN' });
    });

    it('no credential → 401', async () => {
      await expectError(await call(server, 'GET', '/v1/user'), 401, 'unauthenticated', 'Authentication required');
    });
  });

  describe('PATCH /v1/user', () => {
    it('changes the username without a password and keeps the session', async () => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      const username = unique('renamed');
      const body = await expectJson<{ data: UserJson }>(
        await call(server, 'PATCH', '/v1/user', { cookie: session, json: { username } }),
        200,
      );
      expect(body.data).toMatchObject({ id: user.globalId, username, email: user.email });
      expect((await me(server, session)).username).toBe(username);
    });

    it('a username someone else has → 409 "Username already exists"', async () => {
      const user = await createUser(server, 'MEMBER');
      const other = await createUser(server, 'VIEWER');
      const session = await loginSession(server, user.email, user.password);
      await expectError(
        await call(server, 'PATCH', '/v1/user', { cookie: session, json: { username: other.username } }),
        409,
        'duplicate_username',
        'Username already exists',
      );
      // The default admin's name is reserved, whoever holds it now.
      await expectError(
        await call(server, 'PATCH', '/v1/user', { cookie: session, json: { username: 'admin' } }),
        409,
        'reserved_username',
        "The username 'admin' is reserved for the default admin",
      );
      expect((await me(server, session)).username).toBe(user.username);
    });

    it.each([
      ['without current_password', (_u: TestUser) => ({ password: 'next-pass-1' })],
      ['with a wrong current_password', (_u: TestUser) => ({ password: 'next-pass-1', current_password: 'wrong-one' })],
    ])('a new password %s → 400 and nothing changes', async (_label, body) => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      const response = await call(server, 'PATCH', '/v1/user', { cookie: session, json: body(user) });
      expect(response.headers.getSetCookie()).toEqual([]);
      await expectError(response, 400, 'bad_request', 'Valid current password is required to modify password');
      await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
      sessionOf(await login(server, user.email, user.password));
    });

    it('a new password with the current one → 200, this session kept, every other session dead, new password works', async () => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      const other = await loginSession(server, user.email, user.password);
      const response = await call(server, 'PATCH', '/v1/user', {
        cookie: session,
        json: { password: 'next-pass-1', current_password: user.password },
      });
      expect(response.headers.getSetCookie()).toEqual([]);
      const body = await expectJson<{ data: UserJson }>(response, 200);
      expect(body.data.password_needs_reset).toBe(false);
      await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
      await expectSessionDead(server, other);
      await expectError(
        await login(server, user.email, user.password),
        401,
        'invalid_credentials',
        'Invalid email and/or password',
      );
      const fresh = await loginSession(server, user.email, 'next-pass-1');
      expect((await me(server, fresh)).password_needs_reset).toBe(false);
    });

    it('a new password that breaks the policy → 422 and the session lives', async () => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      await expectError(
        await call(server, 'PATCH', '/v1/user', {
          cookie: session,
          json: { password: 'abc', current_password: user.password },
        }),
        422,
        'password_policy',
      );
      await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
    });

    it('an empty patch → 422', async () => {
      await expectError(await call(server, 'PATCH', '/v1/user', { cookie: admin, json: {} }), 422, 'invalid_input');
    });
  });

  describe('GET /v1/users', () => {
    it('lists users newest first, without the system user', async () => {
      const created = await createUser(server, 'VIEWER');
      const page = await expectJson<UserPage>(await call(server, 'GET', '/v1/users', { cookie: admin }), 200);
      expect(page.next_cursor).toBeNull();
      expect(page.data[0]).toMatchObject({ id: created.globalId, email: created.email, role: 'VIEWER' });
      const ids = page.data.map((u) => idOf(u.id));
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(page.data.map((u) => u.role)).not.toContain('SYSTEM');
      expect(page.data.map((u) => u.email)).toContain('admin@localhost');
      expect(page.data.map((u) => u.username)).not.toContain('system');
    });

    it('paginates with limit and next_cursor', async () => {
      for (let i = 0; i < 3; i++) await createUser(server, 'MEMBER');
      const all = await expectJson<UserPage>(await call(server, 'GET', '/v1/users', { bearer: ADMIN_SECRET }), 200);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
        const page: UserPage = await expectJson<UserPage>(
          await call(server, 'GET', `/v1/users${query}`, { cookie: admin }),
          200,
        );
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((u) => u.id));
        cursor = page.next_cursor;
        pages++;
        if (cursor !== null) expect(page.data).toHaveLength(2);
      } while (cursor !== null && pages < 100);
      expect(seen).toEqual(all.data.map((u) => u.id));
      expect(pages).toBe(Math.ceil(all.data.length / 2));
    });

    it.each([
      ['limit=0', '?limit=0'],
      ['limit=abc', '?limit=abc'],
      ['limit=1001', '?limit=1001'],
      ['a malformed cursor', '?cursor=not-a-cursor'],
      ['a cursor of another type', `?cursor=${encodeURIComponent(globalId('UserApiKey', 1))}`],
    ])('%s → 422', async (_label, query) => {
      await expectError(await call(server, 'GET', `/v1/users${query}`, { cookie: admin }), 422, 'invalid_input');
    });
  });

  describe('POST /v1/users', () => {
    it('201 with the user; a LOCAL user must reset the password and can log in', async () => {
      const body = newUserBody({ email: '  Mixed.Case@Example.COM ', username: unique('mixed') });
      const created = await expectJson<{ data: UserJson }>(
        await call(server, 'POST', '/v1/users', { cookie: admin, json: body }),
        201,
      );
      expect(created.data).toMatchObject({
        email: 'mixed.case@example.com',
        role: 'MEMBER',
        auth_method: 'LOCAL',
        password_needs_reset: true,
      });
      expect(created.data.id).toBeTruthy();
      const session = await loginSession(server, 'mixed.case@example.com', 'pass-word-1');
      expect((await me(server, session)).id).toBe(created.data.id);
    });

    it('a LOCAL user without a password gets an unusable random one', async () => {
      const body = newUserBody();
      delete body.user.password;
      await expectStatus(await call(server, 'POST', '/v1/users', { cookie: admin, json: body }), 201);
      await expectError(await login(server, String(body.user.email), 'pass-word-1'), 401, 'invalid_credentials');
    });

    it('duplicate e-mail (any case) → 409 "Email already exists", nothing created', async () => {
      const existing = await createUser(server, 'MEMBER');
      const count = await userCount(server);
      await expectError(
        await call(server, 'POST', '/v1/users', {
          cookie: admin,
          json: newUserBody({ email: existing.email.toUpperCase() }),
        }),
        409,
        'duplicate_email',
        'Email already exists',
      );
      expect(await userCount(server)).toBe(count);
    });

    it('duplicate username → 409 "Username already exists", nothing created', async () => {
      const existing = await createUser(server, 'MEMBER');
      const count = await userCount(server);
      await expectError(
        await call(server, 'POST', '/v1/users', { cookie: admin, json: newUserBody({ username: existing.username }) }),
        409,
        'duplicate_username',
        'Username already exists',
      );
      expect(await userCount(server)).toBe(count);
    });

    it('role SYSTEM → 400 "Cannot create users with SYSTEM role"', async () => {
      const count = await userCount(server);
      await expectError(
        await call(server, 'POST', '/v1/users', { cookie: admin, json: newUserBody({ role: 'SYSTEM' }) }),
        400,
        'bad_request',
        'Cannot create users with SYSTEM role',
      );
      expect(await userCount(server)).toBe(count);
    });

    it.each([
      ['a malformed e-mail', { email: 'not-an-email' }, 'invalid_email'],
      ['an e-mail without a TLD', { email: 'someone@localhost' }, 'invalid_email'],
      ['a too-short password', { password: 'abc' }, 'password_policy'],
      ['a password with a space', { password: 'pass word' }, 'password_policy'],
      ['an unknown role', { role: 'OWNER' }, 'invalid_input'],
      ['no username', { username: '' }, 'invalid_input'],
    ])('%s → 422, nothing created', async (_label, overrides, code) => {
      const count = await userCount(server);
      await expectError(
        await call(server, 'POST', '/v1/users', { cookie: admin, json: newUserBody(overrides) }),
        422,
        code,
      );
      expect(await userCount(server)).toBe(count);
    });

    it('no "user" object → 422', async () => {
      await expectError(await call(server, 'POST', '/v1/users', { cookie: admin, json: {} }), 422, 'invalid_input');
    });

    it('the admin secret may create users', async () => {
      await expectStatus(await call(server, 'POST', '/v1/users', { bearer: ADMIN_SECRET, json: newUserBody() }), 201);
    });

    it.each(['MEMBER', 'VIEWER'] as const)('a %s cannot → 403', async (role) => {
      const user = await createUser(server, role);
      const session = await loginSession(server, user.email, user.password);
      const count = await userCount(server);
      const message =
        role === 'VIEWER'
          ? 'This action requires the MEMBER or ADMIN role: viewers have read-only access.'
          : ADMIN_ONLY;
      await expectError(
        await call(server, 'POST', '/v1/users', { cookie: session, json: newUserBody() }),
        403,
        'forbidden',
        message,
      );
      expect(await userCount(server)).toBe(count);
    });
  });

  describe('PATCH /v1/users/{id}', () => {
    it('a role change logs the target out; the new login carries the new role', async () => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      const body = await expectJson<{ data: UserJson }>(
        await call(server, 'PATCH', `/v1/users/${user.globalId}`, { cookie: admin, json: { role: 'VIEWER' } }),
        200,
      );
      expect(body.data).toMatchObject({ id: user.globalId, role: 'VIEWER' });
      await expectSessionDead(server, session);
      const fresh = await loginSession(server, user.email, user.password);
      expect((await me(server, fresh)).role).toBe('VIEWER');
    });

    it('a password change logs the target out; the new password works and must be reset', async () => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      await expectStatus(
        await call(server, 'PATCH', `/v1/users/${user.globalId}`, {
          bearer: ADMIN_SECRET,
          json: { password: 'admin-set-1' },
        }),
        200,
      );
      await expectSessionDead(server, session);
      await expectError(await login(server, user.email, user.password), 401, 'invalid_credentials');
      const fresh = await loginSession(server, user.email, 'admin-set-1');
      expect((await me(server, fresh)).password_needs_reset).toBe(true);
    });

    it('a username-only change keeps the target’s sessions', async () => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      const username = unique('by-admin');
      await expectStatus(
        await call(server, 'PATCH', `/v1/users/${user.globalId}`, { cookie: admin, json: { username } }),
        200,
      );
      expect((await me(server, session)).username).toBe(username);
    });

    it('an admin cannot change their own role', async () => {
      const other = await createUser(server, 'ADMIN');
      const session = await loginSession(server, other.email, other.password);
      await expectError(
        await call(server, 'PATCH', `/v1/users/${other.globalId}`, { cookie: session, json: { role: 'MEMBER' } }),
        403,
        'forbidden',
        'Cannot modify own role',
      );
      expect((await me(server, session)).role).toBe('ADMIN');
    });

    it('the default admin’s role is locked', async () => {
      const adminId = idOf((await me(server, admin)).id);
      await expectError(
        await call(server, 'PATCH', `/v1/users/${globalId('User', adminId)}`, {
          bearer: ADMIN_SECRET,
          json: { role: 'MEMBER' },
        }),
        403,
        'forbidden',
        'Cannot modify role for the default admin user',
      );
    });

    it('a member cannot → 403, and nothing changes', async () => {
      const target = await createUser(server, 'VIEWER');
      const member = await createUser(server, 'MEMBER');
      const session = await loginSession(server, member.email, member.password);
      await expectError(
        await call(server, 'PATCH', `/v1/users/${target.globalId}`, { cookie: session, json: { role: 'ADMIN' } }),
        403,
        'forbidden',
        ADMIN_ONLY,
      );
      const fresh = await loginSession(server, target.email, target.password);
      expect((await me(server, fresh)).role).toBe('VIEWER');
    });

    it('an unknown role → 422; an unknown user → 404', async () => {
      const target = await createUser(server, 'VIEWER');
      await expectError(
        await call(server, 'PATCH', `/v1/users/${target.globalId}`, { cookie: admin, json: { role: 'OWNER' } }),
        422,
        'invalid_input',
      );
      await expectError(
        await call(server, 'PATCH', `/v1/users/${globalId('User', 987654)}`, {
          cookie: admin,
          json: { role: 'MEMBER' },
        }),
        404,
        'not_found',
        'User not found',
      );
    });
  });

  describe('DELETE /v1/users/{id}', () => {
    it('204; the user’s sessions and login are gone at once', async () => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      const count = await userCount(server);
      const response = await call(server, 'DELETE', `/v1/users/${user.globalId}`, { cookie: admin });
      expect(await expectStatus(response, 204)).toBe('');
      expect(await userCount(server)).toBe(count - 1);
      await expectSessionDead(server, session);
      await expectError(
        await login(server, user.email, user.password),
        401,
        'invalid_credentials',
        'Invalid email and/or password',
      );
      await expectError(
        await call(server, 'DELETE', `/v1/users/${user.globalId}`, { cookie: admin }),
        404,
        'not_found',
        'User not found',
      );
    });

    it('the default admin → 403 "Cannot delete the default admin or system user"', async () => {
      const adminId = (await me(server, admin)).id;
      await expectError(
        await call(server, 'DELETE', `/v1/users/${adminId}`, { bearer: ADMIN_SECRET }),
        403,
        'forbidden',
        'Cannot delete the default admin or system user',
      );
      sessionOf(await login(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password));
    });

    it('the system user → 403 "Cannot delete the default admin or system user"', async () => {
      const systemId = internalsOf(server.gatehouse).systemUserId;
      expect(systemId).not.toBeNull();
      await expectError(
        await call(server, 'DELETE', `/v1/users/${globalId('User', systemId!)}`, { cookie: admin }),
        403,
        'forbidden',
        'Cannot delete the default admin or system user',
      );
    });

    it('an unknown id → 404 "User not found"', async () => {
      await expectError(
        await call(server, 'DELETE', `/v1/users/${globalId('User', 987654)}`, { cookie: admin }),
        404,
        'not_found',
        'User not found',
      );
    });

    it.each([
      ['garbage', 'not-an-id'],
      ['a bare number', '3'],
      ['an id of another type', globalId('UserApiKey', 3)],
    ])('%s → 422, nothing deleted', async (_label, id) => {
      const count = await userCount(server);
      await expectError(
        await call(server, 'DELETE', `/v1/users/${encodeURIComponent(id)}`, { cookie: admin }),
        422,
        'invalid_input',
      );
      expect(await userCount(server)).toBe(count);
    });

    it('a member cannot → 403', async () => {
      const target = await createUser(server, 'VIEWER');
      const member = await createUser(server, 'MEMBER');
      const session = await loginSession(server, member.email, member.password);
      await expectError(
        await call(server, 'DELETE', `/v1/users/${target.globalId}`, { cookie: session }),
        403,
        'forbidden',
        ADMIN_ONLY,
      );
      sessionOf(await login(server, target.email, target.password));
    });
  });
});
