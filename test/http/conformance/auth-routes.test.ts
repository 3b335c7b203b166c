/**
 * POST /auth/login, POST /auth/refresh, GET|POST /auth/logout (docs/phoenix-contract.md#cookies-and-bearer, #login, #logout, #refresh) over a real
 * listening server of every adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_COOKIE,
  ADAPTERS_AND_LOWEST,
  ADMIN_SECRET,
  DEFAULT_ADMIN,
  IDP_ENV,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createUser,
  expectDeletedCookie,
  expectError,
  expectJson,
  expectStatus,
  login,
  loginSession,
  sessionOf,
  setCookie,
  startServer,
  unique,
  type Session,
  type TestServer,
  type TestUser,
} from './support.js';

const LOGOUT_METHODS = ['GET', 'POST'] as const;

async function expectAlive(server: TestServer, session: Session): Promise<void> {
  await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
}

async function expectDead(server: TestServer, session: Session): Promise<void> {
  await expectError(await call(server, 'GET', '/v1/user', { cookie: session }), 401, 'invalid_token', 'Invalid token');
  // Its refresh token died with it.
  const refresh = await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${session.refresh}` });
  await expectError(refresh, 401, 'invalid_token', 'Invalid refresh token');
}

describe.each(ADAPTERS_AND_LOWEST)('%s: auth routes', (adapter) => {
  let server: TestServer;
  let member: TestUser;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    member = await createUser(server, 'MEMBER');
  });
  afterAll(() => server?.close());

  describe('POST /auth/login', () => {
    it('answers 204 with no body and the two session cookies (HttpOnly, SameSite=Strict, Path=/, Max-Age = lifetime)', async () => {
      const response = await login(server, member.email, member.password);
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      const cookies = response.headers.getSetCookie();
      expect(cookies).toHaveLength(2);
      for (const [name, maxAge] of [
        [ACCESS_COOKIE, '600'],
        [REFRESH_COOKIE, '604800'],
      ] as const) {
        const cookie = setCookie(response, name);
        expect(cookie.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
        expect(cookie.attributes.has('httponly')).toBe(true);
        expect(cookie.attributes.get('samesite')).toBe('Strict');
        expect(cookie.attributes.get('path')).toBe('/');
        expect(cookie.attributes.get('max-age')).toBe(maxAge);
        expect(cookie.attributes.has('secure')).toBe(false);
        expect(cookie.attributes.has('domain')).toBe(false);
      }
    });

    it('issues a session that authenticates as the user', async () => {
      const session = await loginSession(server, member.email, member.password);
      const body = await expectJson<{ data: { email: string; role: string } }>(
        await call(server, 'GET', '/v1/user', { cookie: session }),
        200,
      );
      expect(body.data).toMatchObject({
        email: member.email,
        username: member.username,
        role: 'MEMBER',
        auth_method: 'LOCAL',
      });
    });

    it('treats the e-mail case-insensitively and trims it', async () => {
      const response = await login(server, `  ${member.email.toUpperCase()} `, member.password);
      sessionOf(response);
    });

    it('lets the default admin log in with the initial password', async () => {
      const session = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
      const body = await expectJson<{ data: { role: string; password_needs_reset: boolean } }>(
        await call(server, 'GET', '/v1/user', { cookie: session }),
        200,
      );
      expect(body.data).toMatchObject({ role: 'ADMIN', username: 'admin', password_needs_reset: true });
    });

    it('allows concurrent sessions: each login is a new pair', async () => {
      const a = await loginSession(server, member.email, member.password);
      const b = await loginSession(server, member.email, member.password);
      expect(a.access).not.toBe(b.access);
      expect(a.refresh).not.toBe(b.refresh);
      await expectAlive(server, a);
      await expectAlive(server, b);
    });

    it.each([
      ['no fields', {}],
      ['no password', { email: 'someone@example.com' }],
      ['no email', { password: 'pass-word-1' }],
      ['empty strings', { email: '', password: '' }],
      ['empty password', { email: 'someone@example.com', password: '' }],
      ['non-string fields', { email: 1, password: true }],
    ])('%s → 401 "Email and password required", no cookie', async (_label, body) => {
      const response = await call(server, 'POST', '/auth/login', { json: body });
      expect(response.headers.getSetCookie()).toEqual([]);
      await expectError(response, 401, 'invalid_credentials', 'Email and password required');
    });

    it('wrong password and unknown e-mail → 401 "Invalid email and/or password", byte-identical bodies', async () => {
      const wrong = await login(server, member.email, 'not-the-password');
      const unknown = await login(server, 'nobody-here@example.com', member.password);
      expect(wrong.headers.getSetCookie()).toEqual([]);
      expect(unknown.headers.getSetCookie()).toEqual([]);
      const wrongText = await wrong.clone().text();
      expect(await unknown.clone().text()).toBe(wrongText);
      expect(wrong.headers.get('www-authenticate')).toBe(unknown.headers.get('www-authenticate'));
      await expectError(wrong, 401, 'invalid_credentials', 'Invalid email and/or password');
      await expectError(unknown, 401, 'invalid_credentials', 'Invalid email and/or password');
    });

    it('an OAuth2 user (no password) cannot log in with a password', async () => {
      const name = unique('oauth');
      const email = `${name}@example.com`;
      await expectStatus(
        await call(server, 'POST', '/v1/users', {
          bearer: ADMIN_SECRET,
          json: { user: { email, username: name, role: 'MEMBER', auth_method: 'OAUTH2' } },
        }),
        201,
      );
      await expectError(
        await login(server, email, 'anything'),
        401,
        'invalid_credentials',
        'Invalid email and/or password',
      );
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: new cookies, the old access token dies, the new pair works', async () => {
      const first = await loginSession(server, member.email, member.password);
      const response = await call(server, 'POST', '/auth/refresh', { cookie: first });
      const second = sessionOf(response);
      for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
        const cookie = setCookie(response, name);
        expect(cookie.attributes.has('httponly')).toBe(true);
        expect(cookie.attributes.get('samesite')).toBe('Strict');
        expect(cookie.attributes.get('path')).toBe('/');
      }
      expect(setCookie(response, ACCESS_COOKIE).attributes.get('max-age')).toBe('600');
      expect(setCookie(response, REFRESH_COOKIE).attributes.get('max-age')).toBe('604800');
      expect(second.access).not.toBe(first.access);
      expect(second.refresh).not.toBe(first.refresh);
      await expectAlive(server, second);
      await expectError(
        await call(server, 'GET', '/v1/user', { cookie: `${ACCESS_COOKIE}=${first.access}` }),
        401,
        'invalid_token',
        'Invalid token',
      );
    });

    it('works with only the refresh cookie (the access token is not required)', async () => {
      const first = await loginSession(server, member.email, member.password);
      const second = sessionOf(
        await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${first.refresh}` }),
      );
      await expectAlive(server, second);
    });

    it('a replayed refresh token → 401 and the session it was rotated into is revoked too', async () => {
      const first = await loginSession(server, member.email, member.password);
      const other = await loginSession(server, member.email, member.password);
      const second = sessionOf(await call(server, 'POST', '/auth/refresh', { cookie: first }));
      await expectAlive(server, second);

      const replay = await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${first.refresh}` });
      expect(replay.headers.getSetCookie().filter((c) => !c.includes('Max-Age=0'))).toEqual([]);
      await expectError(replay, 401, 'invalid_token', 'Invalid refresh token');
      await expectDead(server, second);
      // Only that login's family: another session of the same user lives on.
      await expectAlive(server, other);
    });

    it('no refresh cookie → 401 "Missing refresh token"', async () => {
      const session = await loginSession(server, member.email, member.password);
      await expectError(await call(server, 'POST', '/auth/refresh'), 401, 'unauthenticated', 'Missing refresh token');
      await expectError(
        await call(server, 'POST', '/auth/refresh', { cookie: `${ACCESS_COOKIE}=${session.access}` }),
        401,
        'unauthenticated',
        'Missing refresh token',
      );
    });

    it.each([
      ['garbage', 'not-a-jwt'],
      ['a tampered token', 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiIxIn0.AAAA'],
    ])('%s as refresh cookie → 401 "Invalid refresh token"', async (_label, value) => {
      await expectError(
        await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${value}` }),
        401,
        'invalid_token',
        'Invalid refresh token',
      );
    });

    it('an access token in the refresh cookie → 401 "Invalid refresh token"', async () => {
      const session = await loginSession(server, member.email, member.password);
      await expectError(
        await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${session.access}` }),
        401,
        'invalid_token',
        'Invalid refresh token',
      );
      await expectAlive(server, session);
    });

    it('a refresh token is not a credential for /v1', async () => {
      const session = await loginSession(server, member.email, member.password);
      await expectError(
        await call(server, 'GET', '/v1/user', { cookie: `${ACCESS_COOKIE}=${session.refresh}` }),
        401,
        'invalid_token',
        'Invalid token',
      );
      await expectError(
        await call(server, 'GET', '/v1/user', { bearer: session.refresh }),
        401,
        'invalid_token',
        'Invalid token',
      );
    });
  });

  describe.each(LOGOUT_METHODS)('%s /auth/logout', (method) => {
    it('302 to /login, deletes the cookies at Path=/, and ends EVERY session of the user', async () => {
      const a = await loginSession(server, member.email, member.password);
      const b = await loginSession(server, member.email, member.password);
      const response = await call(server, method, '/auth/logout', { cookie: a });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/login');
      for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, 'phoenix-oauth2-state', 'phoenix-oauth2-nonce'])
        expectDeletedCookie(response, name, '/');
      await expectDead(server, a);
      await expectDead(server, b);
      // The account itself is fine: a new login works.
      await expectAlive(server, await loginSession(server, member.email, member.password));
    });

    it('does not touch other users', async () => {
      const other = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
      const mine = await loginSession(server, member.email, member.password);
      expect((await call(server, method, '/auth/logout', { cookie: mine })).status).toBe(302);
      await expectAlive(server, other);
    });

    it('works with no cookies at all', async () => {
      const response = await call(server, method, '/auth/logout');
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/login');
      expectDeletedCookie(response, ACCESS_COOKIE);
      expectDeletedCookie(response, REFRESH_COOKIE);
    });

    it('works with only the refresh cookie, and still ends every session of its user', async () => {
      const a = await loginSession(server, member.email, member.password);
      const b = await loginSession(server, member.email, member.password);
      const response = await call(server, method, '/auth/logout', { cookie: `${REFRESH_COOKIE}=${a.refresh}` });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/login');
      expectDeletedCookie(response, ACCESS_COOKIE);
      await expectDead(server, a);
      await expectDead(server, b);
    });

    it('works with a bearer access token', async () => {
      const a = await loginSession(server, member.email, member.password);
      const response = await call(server, method, '/auth/logout', { bearer: a.access });
      expect(response.status).toBe(302);
      await expectDead(server, a);
    });

    it('with garbage cookies still answers 302', async () => {
      const response = await call(server, method, '/auth/logout', {
        cookie: `${ACCESS_COOKIE}=garbage; ${REFRESH_COOKIE}=garbage`,
      });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/login');
    });
  });
});

describe.each(ADAPTERS_AND_LOWEST)('%s: cookie configuration', (adapter) => {
  let server: TestServer;
  let member: TestUser;

  beforeAll(async () => {
    server = await startServer(adapter, {
      ...NO_RATE_LIMIT,
      PHOENIX_COOKIES_PATH: '/gh',
      PHOENIX_USE_SECURE_COOKIES: 'true',
      PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: '5',
      PHOENIX_REFRESH_TOKEN_EXPIRY_MINUTES: '90',
    });
    member = await createUser(server, 'MEMBER');
  });
  afterAll(() => server?.close());

  it('login cookies carry the configured Path, Secure, and Max-Age from the configured lifetimes', async () => {
    const response = await login(server, member.email, member.password);
    expect(response.status).toBe(204);
    const access = setCookie(response, ACCESS_COOKIE);
    const refresh = setCookie(response, REFRESH_COOKIE);
    for (const cookie of [access, refresh]) {
      expect(cookie.attributes.get('path')).toBe('/gh');
      expect(cookie.attributes.has('secure')).toBe(true);
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('samesite')).toBe('Strict');
    }
    expect(access.attributes.get('max-age')).toBe('300');
    expect(refresh.attributes.get('max-age')).toBe('5400');
  });

  it('refresh sets the cookies with the same attributes', async () => {
    const session = await loginSession(server, member.email, member.password);
    const response = await call(server, 'POST', '/auth/refresh', { cookie: session });
    expect(response.status).toBe(204);
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
      const cookie = setCookie(response, name);
      expect(cookie.attributes.get('path')).toBe('/gh');
      expect(cookie.attributes.has('secure')).toBe(true);
    }
  });

  it.each(LOGOUT_METHODS)('%s /auth/logout deletes the cookies at the configured path, with Secure', async (method) => {
    const session = await loginSession(server, member.email, member.password);
    const response = await call(server, method, '/auth/logout', { cookie: session });
    expect(response.status).toBe(302);
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
      expectDeletedCookie(response, name, '/gh');
      expect(setCookie(response, name).attributes.has('secure')).toBe(true);
    }
    await expectError(
      await call(server, 'GET', '/v1/user', { cookie: session }),
      401,
      'invalid_token',
      'Invalid token',
    );
  });
});

describe.each(ADAPTERS_AND_LOWEST)('%s: under PHOENIX_HOST_ROOT_PATH=/app', (adapter) => {
  let server: TestServer;
  let member: TestUser;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_HOST_ROOT_PATH: '/app' });
    member = await createUser(server, 'MEMBER');
  });
  afterAll(() => server?.close());

  it('mounts the routes under the root path', () => {
    expect(new URL(server.url).pathname).toBe('/app');
  });

  it('login and /v1 work under the root path', async () => {
    const session = await loginSession(server, member.email, member.password);
    await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
    await expectStatus(await call(server, 'GET', '/v1/projects', { cookie: session }), 200);
  });

  it.each(LOGOUT_METHODS)('%s /auth/logout redirects to /app/login', async (method) => {
    const session = await loginSession(server, member.email, member.password);
    const response = await call(server, method, '/auth/logout', { cookie: session });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/app/login');
  });
});

describe.each(ADAPTERS_AND_LOWEST)('%s: basic auth disabled (OAuth2 only)', (adapter) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT, ...IDP_ENV });
  });
  afterAll(() => server?.close());

  it('POST /auth/login → 403, even with the right password', async () => {
    const response = await login(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
    expect(response.headers.getSetCookie()).toEqual([]);
    await expectError(response, 403, 'basic_auth_disabled', 'Forbidden');
  });

  it('the password-reset routes → 403', async () => {
    await expectError(
      await call(server, 'POST', '/auth/password-reset-email', { json: { email: DEFAULT_ADMIN.email } }),
      403,
      'basic_auth_disabled',
      'Forbidden',
    );
    await expectError(
      await call(server, 'POST', '/auth/password-reset', { json: { token: 'x', password: 'new-pass-1' } }),
      403,
      'basic_auth_disabled',
      'Forbidden',
    );
    expect(server.mails).toEqual([]);
  });

  it.each(LOGOUT_METHODS)('%s /auth/logout redirects to /logout (no auto-login loop)', async (method) => {
    const response = await call(server, method, '/auth/logout');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/logout');
    expectDeletedCookie(response, ACCESS_COOKIE);
  });
});
