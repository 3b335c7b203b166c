import { describe, expect, it } from 'vitest';
import { parseAuthEnv } from '../../src/config/index.js';
import { createGatehouse } from '../../src/gatehouse.js';
import { createMemoryStore } from '../support/memory-store.js';
import { fastHasher, SECRET } from '../support/harness.js';

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function gatehouse(env: Record<string, string> = {}) {
  const config = parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET, ...env });
  return createGatehouse({ config, store: createMemoryStore(), hasher: fastHasher });
}

async function loginCookie(g: Awaited<ReturnType<typeof gatehouse>>, base = 'http://h') {
  const response = await g.handle(
    new Request(`${base}/auth/login`, json({ email: 'admin@localhost', password: 'admin' })),
  );
  expect(response?.status).toBe(204);
  return response!.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

describe('createGatehouse', () => {
  it('logs at start-up which public URL base is in use and where it comes from', async () => {
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger = {
      info: (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields }),
      warn() {},
      error() {},
    };
    const derived = parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET, PHOENIX_PORT: '8080' });
    await createGatehouse({
      config: derived,
      store: createMemoryStore(),
      hasher: fastHasher,
      logger,
      sweepIntervalMs: 0,
    });
    const configured = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      PHOENIX_ROOT_URL: 'https://p.example.com/',
    });
    await createGatehouse({
      config: configured,
      store: createMemoryStore(),
      hasher: fastHasher,
      logger,
      sweepIntervalMs: 0,
    });
    const bases = lines.filter((line) => line.message === 'gatehouse: started').map((line) => line.fields);
    expect(bases[0]).toMatchObject({
      url: 'http://127.0.0.1:8080',
      from: expect.stringContaining('PHOENIX_ROOT_URL is unset'),
    });
    expect(bases[1]).toMatchObject({ url: 'https://p.example.com', from: 'PHOENIX_ROOT_URL' });
  });

  it('the gate decides on the canonical concrete path: spellings of an admin route are refused alike', async () => {
    const g = await gatehouse({ PHOENIX_ADMIN_SECRET: 'admin-secret-0123456789-abcdefghijklm' });
    // With auth off too: the path is refused before any principal is considered.
    const anonymousOff = await createGatehouse({
      config: parseAuthEnv({}),
      store: createMemoryStore(),
      hasher: fastHasher,
      sweepIntervalMs: 0,
    });
    for (const path of [
      '/v1/projects%2F1',
      '/v1/x/../projects/1',
      '/v1/%2e%2e/users',
      'http://h/v1/projects/1',
      '/v1/projects\\1',
    ]) {
      expect(await g.guard({ method: 'PUT', path }), path).toMatchObject({ ok: false, status: 400 });
      expect(anonymousOff.guardCached({ method: 'PUT', path }), path).toMatchObject({ ok: false, status: 400 });
    }
    // A routed path and a raw target that differ (a rewrite, Hono's getPath): both views must allow.
    const viewer = await g.guard({
      method: 'GET',
      path: '/127.0.0.1:6006/v1/users',
      target: '/v1/users',
      authorization: 'Bearer admin-secret-0123456789-abcdefghijklm',
    });
    expect(viewer.ok).toBe(true);
    expect(
      anonymousOff.guardCached({ method: 'GET', path: '/host/v1/user/api_keys', target: '/v1/user/api_keys' }),
    ).toMatchObject({ ok: false, status: 403 });
    // A clean path with a refused raw target is refused too.
    expect(await g.guard({ method: 'GET', path: '/v1/projects/1', target: '/v1/x/../projects/1' })).toMatchObject({
      ok: false,
      status: 400,
    });
    expect(await g.guard({ method: 'GET', path: '/v1/projects/1', target: '/v1/projects/1?a=/../b' })).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('leaves the host’s routes to the host', async () => {
    const g = await gatehouse();
    expect(await g.handle(new Request('http://h/v1/projects'))).toBeNull();
    expect(await g.handle(new Request('http://h/'))).toBeNull();
    expect(g.owns('/v1/projects')).toBe(false);
    expect(g.owns('/auth/login')).toBe(true);
    expect(g.owns('/auth/anything')).toBe(true);
    expect(g.owns('/v1/users/VXNlcjoy')).toBe(true);
  });

  it('mounts everything under the root path and redirects within it', async () => {
    const g = await gatehouse({ PHOENIX_HOST_ROOT_PATH: '/app' });
    expect(await g.handle(new Request('http://h/auth/login', json({})))).toBeNull();
    const cookie = await loginCookie(g, 'http://h/app');
    const out = await g.handle(new Request('http://h/app/auth/logout', { headers: { cookie } }));
    expect(out?.status).toBe(302);
    expect(out?.headers.get('location')).toBe('/app/login');
  });

  it('answers a repeated guard with the same cached object (nothing allocated per request)', async () => {
    const g = await gatehouse();
    const cookie = await loginCookie(g);
    const first = await g.guard({ method: 'GET', path: '/v1/projects', cookie });
    const second = await g.guard({ method: 'GET', path: '/v1/projects', cookie });
    expect(first.ok).toBe(true);
    expect(second).toBe(first);
    const denied = await g.guard({ method: 'GET', path: '/v1/projects' });
    expect(denied).toBe(await g.guard({ method: 'GET', path: '/v1/projects' }));
    expect(denied).toMatchObject({ ok: false, status: 401 });
  });

  it('with auth disabled: host routes anonymous, /v1/user anonymous, no login route', async () => {
    const config = parseAuthEnv({});
    const g = await createGatehouse({ config, store: createMemoryStore() });
    expect(await g.guard({ method: 'DELETE', path: '/v1/projects/1' })).toMatchObject({
      ok: true,
      principal: { kind: 'anonymous' },
    });
    const me = await g.handle(new Request('http://h/v1/user'));
    expect(await me?.json()).toEqual({ data: { auth_method: 'ANONYMOUS' } });
    expect(await g.handle(new Request('http://h/auth/login', json({})))).toBeNull();
    expect(await g.guard({ method: 'GET', path: '/v1/user/api_keys' })).toMatchObject({ ok: false, status: 403 });
  });

  it('requireRole lets the admin secret count as ADMIN and refuses other roles', async () => {
    const g = await gatehouse({ PHOENIX_ADMIN_SECRET: 'admin-secret-0123456789-abcdefghijklm' });
    const viaSecret = await g.guard({
      method: 'GET',
      path: '/v1/projects',
      authorization: 'Bearer admin-secret-0123456789-abcdefghijklm',
    });
    if (!viaSecret.ok) throw new Error('admin secret refused');
    expect(g.requireRole(viaSecret.principal, ['ADMIN']).ok).toBe(true);
    expect(g.requireRole({ kind: 'session', userId: 3, role: 'VIEWER' }, ['ADMIN', 'MEMBER'])).toMatchObject({
      ok: false,
      status: 403,
    });
  });
});
