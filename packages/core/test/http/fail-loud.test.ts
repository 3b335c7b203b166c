/**
 * Safe and visible defaults: auth off is a warning on every start, the default logger writes to
 * stderr, start-up says what it created and what it runs on, the Phoenix route table is a named
 * preset, denials say what happened, and the principal carries the user's identity.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseAuthEnv } from '../../src/config/index.js';
import { createStderrLogger } from '../../src/in-process/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { createGatehouse, type Gatehouse, type GatehouseOptions } from '../../src/gatehouse.js';
import { silentLogger, type Logger } from '../../src/services/index.js';
import type { AuthStore } from '../../src/ports.js';
import { createMemoryStore } from '../support/memory-store.js';
import { ADMIN_SECRET, fastHasher, SECRET } from '../support/harness.js';

interface Line {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

function recorder(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, message, fields });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

const opened: Gatehouse[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((g) => g.close()));
});

async function open(env: Record<string, string>, options: Partial<GatehouseOptions> = {}): Promise<Gatehouse> {
  const g = await createGatehouse({
    config: parseAuthEnv(env),
    store: createMemoryStore(),
    hasher: fastHasher,
    sweepIntervalMs: 0,
    ...options,
  });
  opened.push(g);
  return g;
}

const ON = { PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET, PHOENIX_ADMIN_SECRET: ADMIN_SECRET };
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function login(g: Gatehouse, email = 'admin@localhost', password = 'admin'): Promise<string> {
  const response = await g.handle(new Request('http://h/auth/login', json({ email, password })));
  expect(response?.status).toBe(204);
  return response!.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

describe('auth off is loud', () => {
  it('warns on every start, naming PHOENIX_ENABLE_AUTH and what it means', async () => {
    for (let start = 0; start < 2; start++) {
      const { logger, lines } = recorder();
      await open({}, { logger });
      const warning = lines.find((line) => line.level === 'warn');
      expect(warning?.message).toContain('PHOENIX_ENABLE_AUTH');
      expect(warning?.message).toContain('every request is allowed');
      expect(warning?.fields).toEqual({ variable: 'PHOENIX_ENABLE_AUTH' });
    }
  });

  it('names the configured prefix, and says nothing of the kind with auth on', async () => {
    const custom = recorder();
    await createGatehouse({
      config: parseAuthEnv({}, { prefix: 'MYAPP_' }),
      store: createMemoryStore(),
      logger: custom.logger,
      sweepIntervalMs: 0,
    }).then((g) => opened.push(g));
    expect(custom.lines.find((line) => line.level === 'warn')?.message).toContain('MYAPP_ENABLE_AUTH');
    const on = recorder();
    await open(ON, { logger: on.logger });
    expect(on.lines.some((line) => line.message.includes('authentication is disabled'))).toBe(false);
  });
});

describe('the default logger', () => {
  it('createGatehouse without a logger writes one JSON line per event to stderr', async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    await open({});
    vi.restoreAllMocks();
    const records = written.map((chunk) => {
      expect(chunk.endsWith('\n')).toBe(true);
      expect(chunk.slice(0, -1)).not.toContain('\n');
      return JSON.parse(chunk) as Record<string, unknown>;
    });
    expect(records.find((r) => r.level === 'warn')).toMatchObject({
      msg: expect.stringContaining('PHOENIX_ENABLE_AUTH'),
      time: expect.any(String),
    });
    expect(records.find((r) => r.msg === 'gatehouse: started')).toMatchObject({ level: 'info', auth: 'off' });
  });

  it('silentLogger is the explicit way to log nothing', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await open({}, { logger: silentLogger });
    expect(write).not.toHaveBeenCalled();
  });

  it('redacts credential-named fields, describes errors, keeps a forged newline on one line, filters by level', () => {
    const lines: string[] = [];
    const logger = createStderrLogger({ write: (line) => lines.push(line), now: () => 0, level: 'warn' });
    logger.info('dropped below the level');
    logger.warn('two\nlines', {
      password: 'hunter2',
      apiKey: 'k',
      refreshToken: 't',
      authorization: 'Bearer x',
      userId: 7,
      error: new RangeError('boom'),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.split('\n')).toHaveLength(2); // the record, then the final newline
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'two\nlines',
      password: '[redacted]',
      apiKey: '[redacted]',
      refreshToken: '[redacted]',
      authorization: '[redacted]',
      userId: 7,
      error: { name: 'RangeError', message: 'boom' },
    });
    expect(lines[0]).not.toContain('hunter2');
    expect(() => createStderrLogger({ level: 'debug' as 'info' })).toThrow(TypeError);
  });
});

describe('the start-up log', () => {
  it('says what bootstrap created: the default admin (a warning with the well-known password) and PHOENIX_ADMINS users', async () => {
    const { logger, lines } = recorder();
    await open({ ...ON, PHOENIX_ADMINS: 'ops=ops@example.com;sre=sre@example.com' }, { logger });
    const admin = lines.find((line) => line.message.includes('created the default admin'));
    expect(admin).toMatchObject({ level: 'warn', fields: { email: 'admin@localhost' } });
    expect(admin?.message).toContain("'admin'");
    expect(lines.find((line) => line.message.includes('PHOENIX_ADMINS'))).toMatchObject({
      level: 'info',
      fields: { usernames: ['ops', 'sre'] },
    });
  });

  it('never echoes an initial password chosen in the environment', async () => {
    const { logger, lines } = recorder();
    await open({ ...ON, PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'chosen-secret-pw' }, { logger });
    const admin = lines.find((line) => line.message.includes('created the default admin'));
    expect(admin?.level).toBe('info');
    expect(admin?.message).toContain('PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD');
    expect(JSON.stringify(lines)).not.toContain('chosen-secret-pw');
  });

  it('names the URL base, the store and the active route preset', async () => {
    const store: AuthStore = Object.assign(createMemoryStore(), { description: 'memory (test)' });
    const { logger, lines } = recorder();
    await open({ ...ON, PHOENIX_ROOT_URL: 'https://p.example.com/' }, { logger, store });
    expect(lines.find((line) => line.message === 'gatehouse: started')?.fields).toMatchObject({
      auth: 'on',
      url: 'https://p.example.com',
      from: 'PHOENIX_ROOT_URL',
      store: 'memory (test)',
      routePreset: 'phoenix',
    });
    const none = recorder();
    await open(ON, { logger: none.logger, restPolicy: { preset: 'none' } });
    expect(none.lines.find((line) => line.message === 'gatehouse: started')?.fields).toMatchObject({
      routePreset: 'none',
      store: expect.stringContaining('custom store'),
    });
  });
});

describe('the Phoenix route table is a named preset', () => {
  async function memberCookie(g: Gatehouse): Promise<string> {
    const adminCookie = await login(g, 'admin@localhost', 'admin');
    const created = await g.handle(
      new Request(
        'http://h/v1/users',
        json(
          {
            user: { email: 'm@example.com', username: 'm', password: 'member-pw', role: 'MEMBER' },
            send_welcome_email: false,
          },
          { cookie: adminCookie },
        ),
      ),
    );
    expect(created?.status).toBe(201);
    return login(g, 'm@example.com', 'member-pw');
  }

  it('is on by default, can be switched off, and Gatehouse’s own routes stay admin-only either way', async () => {
    const phoenix = await open(ON, { logger: silentLogger });
    const cookie = await memberCookie(phoenix);
    expect(await phoenix.guard({ method: 'PUT', path: '/v1/projects/1', cookie })).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(await phoenix.guard({ method: 'PUT', path: '/v1/secrets', cookie })).toMatchObject({
      ok: false,
      status: 403,
    });

    const none = await open(ON, { logger: silentLogger, restPolicy: { preset: 'none' } });
    const memberOfNone = await memberCookie(none);
    expect(await none.guard({ method: 'PUT', path: '/v1/projects/1', cookie: memberOfNone })).toMatchObject({
      ok: true,
    });
    expect(await none.guard({ method: 'GET', path: '/v1/users', cookie: memberOfNone })).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(
      await none.guard({ method: 'DELETE', path: '/v1/system/api_keys/U3lzdGVtQXBpS2V5OjE=', cookie: memberOfNone }),
    ).toMatchObject({ ok: false, status: 403 });
  });

  it('is extended by the route lists in the same option, and an unknown name refuses to start', async () => {
    const extended = await open(ON, { logger: silentLogger, restPolicy: { adminRoutes: ['DELETE /v1/things/{id}'] } });
    const cookie = await memberCookie(extended);
    expect(await extended.guard({ method: 'DELETE', path: '/v1/things/9', cookie })).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(await extended.guard({ method: 'DELETE', path: '/v1/projects/9', cookie })).toMatchObject({
      ok: false,
      status: 403,
    });
    await expect(open(ON, { logger: silentLogger, restPolicy: { preset: 'phenix' as 'phoenix' } })).rejects.toThrow(
      ConfigError,
    );
  });
});

describe('messages that say what happened', () => {
  it('no credential: 401 "Authentication required"; a bad one stays "Invalid token"; codes unchanged', async () => {
    const g = await open(ON, { logger: silentLogger });
    const missing = await g.guard({ method: 'GET', path: '/v1/projects' });
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    expect(JSON.parse(missing.body)).toEqual({
      error: { code: 'unauthenticated', message: 'Authentication required' },
    });
    const bad = await g.guard({ method: 'GET', path: '/v1/projects', authorization: 'Bearer not.a.jwt' });
    if (bad.ok) throw new Error('accepted');
    expect(JSON.parse(bad.body)).toEqual({ error: { code: 'invalid_token', message: 'Invalid token' } });
    const me = await g.handle(new Request('http://h/v1/user'));
    expect(await me?.json()).toEqual({ error: { code: 'unauthenticated', message: 'Authentication required' } });
  });

  it('a valid credential without the role hears which role is needed (a system key on an admin route too)', async () => {
    const g = await open(ON, { logger: silentLogger });
    const cookie = await login(g);
    const created = await g.handle(
      new Request('http://h/v1/system/api_keys', json({ data: { name: 'ci' } }, { cookie })),
    );
    const { data } = (await created!.json()) as { data: { key: string } };
    const refused = await g.guard({ method: 'DELETE', path: '/v1/projects/1', authorization: `Bearer ${data.key}` });
    if (refused.ok) throw new Error('a system key passed an admin-only route');
    expect(JSON.parse(refused.body)).toEqual({
      error: { code: 'forbidden', message: 'This action requires the ADMIN role.' },
    });
    const system = await g.guard({ method: 'GET', path: '/v1/projects', authorization: `Bearer ${data.key}` });
    if (!system.ok) throw new Error('refused');
    const role = g.requireRole(system.principal, ['MEMBER', 'ADMIN']);
    if (role.ok) throw new Error('SYSTEM passed');
    expect(JSON.parse(role.body)).toEqual({
      error: { code: 'forbidden', message: 'This action requires the MEMBER or ADMIN role.' },
    });
    // The same roles array: the same frozen denial, nothing allocated per refusal.
    const roles = ['ADMIN'] as const;
    expect(g.requireRole(system.principal, roles)).toBe(g.requireRole(system.principal, roles));
  });
});

describe('a principal an app can use', () => {
  it('carries id, GlobalID, username, email, auth method and credential kind, synchronously from the cache', async () => {
    const store = createMemoryStore();
    const g = await open(ON, { logger: silentLogger, store });
    const cookie = await login(g);
    const first = await g.guard({ method: 'GET', path: '/v1/projects', cookie });
    if (!first.ok) throw new Error('refused');
    expect(first.principal).toMatchObject({
      kind: 'session',
      role: 'ADMIN',
      userGlobalId: Buffer.from(`User:${first.principal.userId}`).toString('base64'),
      username: 'admin',
      email: 'admin@localhost',
      authMethod: 'LOCAL',
    });
    const reads = vi.spyOn(store, 'findAccessTokenGrant');
    const cached = g.guardCached({ method: 'GET', path: '/v1/projects', cookie });
    expect(cached).toBe(first);
    expect(reads).not.toHaveBeenCalled();

    const secret = g.guardCached({ method: 'GET', path: '/v1/projects', authorization: `Bearer ${ADMIN_SECRET}` });
    expect(secret).toMatchObject({
      ok: true,
      principal: { kind: 'admin_secret', username: 'system', email: 'system@localhost', authMethod: 'LOCAL' },
    });
  });

  it('a username change evicts the cached principal: the next request carries the new name', async () => {
    const g = await open(ON, { logger: silentLogger });
    const cookie = await login(g);
    const key = await g.handle(new Request('http://h/v1/user/api_keys', json({ data: { name: 'mine' } }, { cookie })));
    const { data } = (await key!.json()) as { data: { key: string } };
    const bearer = `Bearer ${data.key}`;
    expect(await g.guard({ method: 'GET', path: '/v1/projects', authorization: bearer })).toMatchObject({
      principal: { kind: 'user_api_key', username: 'admin' },
    });
    expect(await g.guard({ method: 'GET', path: '/v1/projects', cookie })).toMatchObject({
      principal: { username: 'admin' },
    });

    const renamed = await g.handle(
      new Request('http://h/v1/user', { ...json({ username: 'root-admin' }, { cookie }), method: 'PATCH' }),
    );
    expect(renamed?.status).toBe(200);
    // Evicted, not revoked: the memory answer is gone, the store's has the new name.
    expect(g.guardCached({ method: 'GET', path: '/v1/projects', cookie })).toBeUndefined();
    expect(await g.guard({ method: 'GET', path: '/v1/projects', cookie })).toMatchObject({
      ok: true,
      principal: { username: 'root-admin' },
    });
    expect(await g.guard({ method: 'GET', path: '/v1/projects', authorization: bearer })).toMatchObject({
      ok: true,
      principal: { username: 'root-admin' },
    });
  });

  it('with auth off the principal has the same fields, all null', async () => {
    const g = await open({}, { logger: silentLogger });
    expect(g.guardCached({ method: 'GET', path: '/v1/projects' })).toMatchObject({
      ok: true,
      principal: { kind: 'anonymous', userId: null, userGlobalId: null, username: null, email: null, authMethod: null },
    });
  });
});
