/**
 * The per-address limiter on the /auth routes (docs/phoenix-contract.md#rate-limits: 12 requests, then one per 5 s) and the
 * per-account login lockout (docs/phoenix-contract.md#lockout). Every limiter test gets its own server, so its buckets start full.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createUser,
  expectError,
  expectStatus,
  login,
  loginSession,
  sessionOf,
  startServer,
  type TestServer,
} from './support.js';

const LOCKOUT = 'Too many failed login attempts. Please try again later.';

/**
 * Twelve auth requests of different routes, each answered normally. Cheap ones, so the bucket
 * cannot refill a token (one per 5 s) while they run; one real login proves success counts too.
 */
async function spendTwelve(server: TestServer, headers: Record<string, string> = {}): Promise<void> {
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) {
    let response: Response;
    switch (i % 4) {
      case 0:
        response = await call(server, 'POST', '/auth/login', { json: {}, headers });
        break;
      case 1:
        response = await call(server, 'POST', '/auth/refresh', { headers });
        break;
      case 2:
        response = await call(server, 'GET', '/auth/logout', { headers });
        break;
      default:
        response = await call(server, 'POST', '/auth/password-reset', { json: { token: 'x' }, headers });
    }
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  expect(statuses).toEqual([401, 401, 302, 422, 401, 401, 302, 422, 401, 401, 302, 422]);
}

async function expectRateLimited(response: Response): Promise<void> {
  const retryAfter = response.headers.get('retry-after');
  expect(retryAfter, 'Retry-After header').not.toBeNull();
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(5);
  expect(response.headers.getSetCookie().filter((c) => !/Max-Age=0/i.test(c))).toEqual([]);
  await expectError(response, 429, 'rate_limited', 'Too Many Requests');
}

describe.each(ADAPTERS)('%s: auth-route rate limit', (adapter) => {
  const servers: TestServer[] = [];
  const start = async (env: Record<string, string> = {}, options?: { trustedProxies?: string[] }) => {
    const server = await startServer(adapter, env, options);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('12 requests from one address are answered normally, the 13th is 429 with Retry-After and a JSON body', async () => {
    const server = await start();
    const user = await createUser(server, 'MEMBER');
    // A successful login spends a token like any other request.
    sessionOf(await login(server, user.email, user.password));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await call(server, 'POST', '/auth/refresh');
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual(Array<number>(11).fill(401));
    // Even the right password is refused now, and the login is not performed.
    await expectRateLimited(await login(server, user.email, user.password));
    await expectRateLimited(await call(server, 'GET', '/auth/logout'));
  });

  it('the bucket is shared by every auth route', async () => {
    const server = await start();
    await spendTwelve(server);
    await expectRateLimited(
      await call(server, 'POST', '/auth/password-reset-email', { json: { email: 'x@example.com' } }),
    );
    expect(server.mails).toEqual([]);
  });

  it('does not limit /v1 or the host routes', async () => {
    const server = await start();
    const user = await createUser(server, 'MEMBER');
    const session = await loginSession(server, user.email, user.password);
    for (let i = 0; i < 11; i++) await (await call(server, 'POST', '/auth/refresh')).arrayBuffer();
    await expectRateLimited(
      await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${session.refresh}` }),
    );
    for (let i = 0; i < 15; i++) {
      await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
      await expectStatus(await call(server, 'GET', '/v1/projects', { cookie: session }), 200);
    }
  });

  it('PHOENIX_DISABLE_RATE_LIMIT=true removes it', async () => {
    const server = await start({ ...NO_RATE_LIMIT });
    const user = await createUser(server, 'MEMBER');
    await spendTwelve(server);
    await spendTwelve(server);
    sessionOf(await login(server, user.email, user.password));
  });

  it('without trusted proxies X-Forwarded-For is ignored: every value shares the socket address bucket', async () => {
    const server = await start();
    const statuses: number[] = [];
    for (let i = 1; i <= 12; i++) {
      const response = await call(server, 'POST', '/auth/refresh', { headers: { 'x-forwarded-for': `10.0.0.${i}` } });
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual(Array<number>(12).fill(401));
    await expectRateLimited(
      await call(server, 'POST', '/auth/refresh', { headers: { 'x-forwarded-for': '10.0.0.99' } }),
    );
    await expectRateLimited(await call(server, 'POST', '/auth/refresh'));
  });

  it('behind a trusted proxy each X-Forwarded-For client gets its own bucket', async () => {
    const server = await start({}, { trustedProxies: ['127.0.0.1'] });
    const first = { 'x-forwarded-for': '10.0.0.1' };
    await spendTwelve(server, first);
    await expectRateLimited(await call(server, 'POST', '/auth/refresh', { headers: first }));
    // Another client behind the same proxy: a full bucket.
    await spendTwelve(server, { 'x-forwarded-for': '10.0.0.2' });
    await expectRateLimited(
      await call(server, 'POST', '/auth/refresh', { headers: { 'x-forwarded-for': '10.0.0.2' } }),
    );
    // The proxy's own requests (no header) are keyed by the socket address, yet another bucket.
    await expectError(await call(server, 'POST', '/auth/refresh'), 401, 'unauthenticated', 'Missing refresh token');
    // The right-most untrusted hop is the client: a spoofed left-most entry does not escape the limit.
    await expectRateLimited(
      await call(server, 'POST', '/auth/refresh', { headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' } }),
    );
  });
});

describe.each(ADAPTERS)('%s: login lockout', (adapter) => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  // The IP limiter would answer 429 itself after 12 requests: only the lockout is under test here.
  const start = async () => {
    const server = await startServer(adapter, { ...NO_RATE_LIMIT });
    servers.push(server);
    return server;
  };

  it('5 wrong passwords → 401 each, then even the right password → 429 with Retry-After', async () => {
    const server = await start();
    const user = await createUser(server, 'MEMBER');
    for (let i = 0; i < 5; i++)
      await expectError(
        await login(server, user.email, `wrong-${i}`),
        401,
        'invalid_credentials',
        'Invalid email and/or password',
      );
    const locked = await login(server, user.email, user.password);
    expect(locked.headers.getSetCookie()).toEqual([]);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    await expectError(locked, 429, 'too_many_login_attempts', LOCKOUT);
    // Keyed by the normalised e-mail: another spelling is the same account.
    await expectError(
      await login(server, user.email.toUpperCase(), user.password),
      429,
      'too_many_login_attempts',
      LOCKOUT,
    );
  });

  it('locks unknown e-mails the same way (no account enumeration)', async () => {
    const server = await start();
    for (let i = 0; i < 5; i++)
      await expectError(await login(server, 'ghost@example.com', 'x'), 401, 'invalid_credentials');
    await expectError(await login(server, 'ghost@example.com', 'x'), 429, 'too_many_login_attempts', LOCKOUT);
  });

  it('only the attacked account is locked', async () => {
    const server = await start();
    const victim = await createUser(server, 'MEMBER');
    const bystander = await createUser(server, 'MEMBER');
    for (let i = 0; i < 5; i++)
      await expectError(await login(server, victim.email, 'wrong'), 401, 'invalid_credentials');
    await expectError(await login(server, victim.email, victim.password), 429, 'too_many_login_attempts', LOCKOUT);
    sessionOf(await login(server, bystander.email, bystander.password));
  });

  it('a success before the limit resets the count', async () => {
    const server = await start();
    const user = await createUser(server, 'MEMBER');
    for (let i = 0; i < 4; i++) await expectError(await login(server, user.email, 'wrong'), 401, 'invalid_credentials');
    sessionOf(await login(server, user.email, user.password));
    for (let i = 0; i < 4; i++) await expectError(await login(server, user.email, 'wrong'), 401, 'invalid_credentials');
    sessionOf(await login(server, user.email, user.password));
  });

  it('missing fields do not count as failures', async () => {
    const server = await start();
    const user = await createUser(server, 'MEMBER');
    for (let i = 0; i < 6; i++)
      await expectError(
        await call(server, 'POST', '/auth/login', { json: { email: user.email } }),
        401,
        'invalid_credentials',
        'Email and password required',
      );
    sessionOf(await login(server, user.email, user.password));
  });
});
