/**
 * The Origin/Referer check (docs/phoenix-contract.md#csrf) with PHOENIX_CSRF_TRUSTED_ORIGINS=http://localhost: the
 * reference's 7-case matrix on a state-changing auth route, on a guarded host route and on a
 * Gatehouse /v1 route, plus Gatehouse's addition that the deployment's own host is always trusted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS_AND_LOWEST,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  call,
  createUser,
  expectError,
  expectStatus,
  login,
  sessionOf,
  startServer,
  type TestServer,
  type TestUser,
} from './support.js';

const TRUSTED_ORIGIN = 'http://localhost';
const TRUSTED_REFERER = 'http://localhost/xyz';
const UNTRUSTED_ORIGIN = 'http://evil.example.com';
const UNTRUSTED_REFERER = 'http://evil.example.com/xyz';

/** [label, headers, null when allowed or the 401 message]. */
const MATRIX: readonly [string, Record<string, string>, string | null][] = [
  ['no Origin or Referer', {}, null],
  ['a trusted Origin', { origin: TRUSTED_ORIGIN }, null],
  ['a trusted Referer', { referer: TRUSTED_REFERER }, null],
  ['an untrusted Origin', { origin: UNTRUSTED_ORIGIN }, 'untrusted origin'],
  ['an untrusted Referer', { referer: UNTRUSTED_REFERER }, 'untrusted referer'],
  [
    'an untrusted Origin with a trusted Referer',
    { origin: UNTRUSTED_ORIGIN, referer: TRUSTED_REFERER },
    'untrusted origin',
  ],
  [
    'a trusted Origin with an untrusted Referer',
    { origin: TRUSTED_ORIGIN, referer: UNTRUSTED_REFERER },
    'untrusted referer',
  ],
];

describe.each(ADAPTERS_AND_LOWEST)('%s: CSRF trusted origins', (adapter) => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_CSRF_TRUSTED_ORIGINS: TRUSTED_ORIGIN });
    user = await createUser(server, 'MEMBER');
  });
  afterAll(() => server?.close());

  it.each(MATRIX)('POST /auth/login with %s', async (_label, headers, refusal) => {
    const response = await login(server, user.email, user.password, headers);
    if (refusal === null) {
      sessionOf(response);
    } else {
      expect(response.headers.getSetCookie()).toEqual([]);
      await expectError(response, 401, 'untrusted_origin', refusal);
    }
  });

  it.each(MATRIX)('POST /v1/projects (host route) with %s', async (_label, headers, refusal) => {
    const response = await call(server, 'POST', '/v1/projects', { bearer: ADMIN_SECRET, headers });
    if (refusal === null) await expectStatus(response, 201);
    else await expectError(response, 401, 'untrusted_origin', refusal);
  });

  it.each(MATRIX)('GET /v1/projects (host route, a GET too) with %s', async (_label, headers, refusal) => {
    const response = await call(server, 'GET', '/v1/projects', { bearer: ADMIN_SECRET, headers });
    if (refusal === null) await expectStatus(response, 200);
    else await expectError(response, 401, 'untrusted_origin', refusal);
  });

  it.each(MATRIX)('POST /v1/users (Gatehouse route) with %s', async (_label, headers, refusal) => {
    const before = (await server.store.listUsers({ limit: 10_000 })).length;
    const name = `csrf${Math.random().toString(36).slice(2, 9)}`;
    const response = await call(server, 'POST', '/v1/users', {
      bearer: ADMIN_SECRET,
      headers,
      json: { user: { email: `${name}@example.com`, username: name, role: 'MEMBER', password: 'pass-word-1' } },
    });
    const after = () => server.store.listUsers({ limit: 10_000 }).then((users) => users.length);
    if (refusal === null) {
      await expectStatus(response, 201);
      expect(await after()).toBe(before + 1);
    } else {
      await expectError(response, 401, 'untrusted_origin', refusal);
      expect(await after()).toBe(before);
    }
  });

  it('runs before authentication: an untrusted Origin is refused even without a credential', async () => {
    await expectError(
      await call(server, 'GET', '/v1/projects', { headers: { origin: UNTRUSTED_ORIGIN } }),
      401,
      'untrusted_origin',
      'untrusted origin',
    );
  });

  it('compares hostnames only: scheme and port do not matter', async () => {
    await expectStatus(
      await call(server, 'GET', '/v1/projects', {
        bearer: ADMIN_SECRET,
        headers: { origin: 'https://localhost:8443' },
      }),
      200,
    );
    await expectStatus(
      await call(server, 'GET', '/v1/projects', {
        bearer: ADMIN_SECRET,
        headers: { referer: 'https://LOCALHOST:9/a/b?c' },
      }),
      200,
    );
  });

  it('a look-alike host is not trusted', async () => {
    await expectError(
      await call(server, 'GET', '/v1/projects', {
        bearer: ADMIN_SECRET,
        headers: { origin: 'http://localhost.evil.example.com' },
      }),
      401,
      'untrusted_origin',
      'untrusted origin',
    );
  });

  it('Origin: null → 401 "untrusted origin"', async () => {
    await expectError(
      await call(server, 'GET', '/v1/projects', { bearer: ADMIN_SECRET, headers: { origin: 'null' } }),
      401,
      'untrusted_origin',
      'untrusted origin',
    );
  });

  it('the deployment’s own host (the request’s Host) is always trusted', async () => {
    const own = new URL(server.url).origin;
    sessionOf(await login(server, user.email, user.password, { origin: own, referer: `${own}/login` }));
    await expectStatus(
      await call(server, 'POST', '/v1/projects', { bearer: ADMIN_SECRET, headers: { origin: own } }),
      201,
    );
    await expectStatus(
      await call(server, 'GET', '/v1/user', { bearer: ADMIN_SECRET, headers: { referer: `${own}/projects` } }),
      200,
    );
  });

  it('GET /healthz is not guarded', async () => {
    expect(await expectStatus(await call(server, 'GET', '/healthz'), 200)).toBe('ok');
  });
});

describe.each(ADAPTERS_AND_LOWEST)('%s: CSRF check off', (adapter) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
  });
  afterAll(() => server?.close());

  it('without PHOENIX_CSRF_TRUSTED_ORIGINS any Origin and Referer pass', async () => {
    await expectStatus(
      await call(server, 'POST', '/v1/projects', {
        bearer: ADMIN_SECRET,
        headers: { origin: UNTRUSTED_ORIGIN, referer: UNTRUSTED_REFERER },
      }),
      201,
    );
  });
});
