/**
 * The REST rule (docs/phoenix-contract.md#authentication-gate, #rest-rule) on the host's own routes, guarded by each adapter's
 * middleware, and on Gatehouse's /v1 routes: one row per route × principal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_COOKIE,
  ADAPTERS_AND_LOWEST,
  ADMIN_SECRET,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  call,
  createSystemKey,
  createUser,
  createUserKey,
  expectError,
  expectJson,
  expectStatus,
  loginSession,
  sleep,
  startServer,
  type CallOptions,
  type TestServer,
} from './support.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

const VIEWER_DENIED = 'This action requires the MEMBER or ADMIN role: viewers have read-only access.';
const ADMIN_ONLY = 'This action requires the ADMIN role.';

type Who =
  'admin' | 'member' | 'viewer' | 'adminKey' | 'memberKey' | 'viewerKey' | 'systemKey' | 'adminSecret' | 'none';
const WHO: readonly Who[] = [
  'admin',
  'member',
  'viewer',
  'adminKey',
  'memberKey',
  'viewerKey',
  'systemKey',
  'adminSecret',
  'none',
];

/** What a row expects: a success status, or a denial with its message. */
type Outcome = number | 'viewer' | 'admin' | 'unauth';

interface Row {
  method: string;
  path: string;
  /** Success status of the route; every principal gets it unless `deny` says otherwise. */
  ok: number;
  /** Per-principal denials (the no-credential 401 is implied). */
  deny?: Partial<Record<Who, Exclude<Outcome, number | 'unauth'>>>;
  /** The body a Gatehouse route needs (the host routes ignore bodies). */
  json?: unknown;
  /** A Gatehouse route answers its own body, not the host's principal echo. */
  core?: boolean;
}

const viewerOnly = { viewer: 'viewer', viewerKey: 'viewer' } as const;
const adminOnly = {
  member: 'admin',
  viewer: 'viewer',
  memberKey: 'admin',
  viewerKey: 'viewer',
  systemKey: 'admin',
} as const;
const adminOnlyRead = {
  member: 'admin',
  viewer: 'admin',
  memberKey: 'admin',
  viewerKey: 'admin',
  systemKey: 'admin',
} as const;

const HOST_ROWS: readonly Row[] = [
  { method: 'GET', path: '/v1/projects', ok: 200 },
  { method: 'POST', path: '/v1/projects', ok: 201, deny: viewerOnly },
  { method: 'GET', path: '/v1/projects/p-1', ok: 200 },
  { method: 'PUT', path: '/v1/projects/p-1', ok: 200, deny: adminOnly },
  { method: 'DELETE', path: '/v1/projects/p-1', ok: 204, deny: adminOnly },
  { method: 'POST', path: '/v1/datasets/upload', ok: 201, deny: viewerOnly },
  { method: 'DELETE', path: '/v1/datasets/d-1', ok: 204, deny: viewerOnly },
  { method: 'POST', path: '/v1/traces', ok: 201, deny: viewerOnly },
  { method: 'POST', path: '/v1/span_annotations', ok: 201, deny: viewerOnly },
  // Outside the viewer rule in Phoenix: viewers may use the playground.
  { method: 'POST', path: '/v1/chat/completions', ok: 201 },
  { method: 'GET', path: '/v1/admin-report', ok: 200, deny: adminOnlyRead },
];

const CORE_ROWS: readonly Row[] = [
  { method: 'GET', path: '/v1/user', ok: 200, core: true },
  { method: 'GET', path: '/v1/users', ok: 200, deny: adminOnlyRead, core: true },
  // An empty body: admins reach the handler (422), everyone else is stopped before it.
  { method: 'POST', path: '/v1/users', ok: 422, deny: adminOnly, json: {}, core: true },
  { method: 'GET', path: '/v1/user/api_keys', ok: 200, core: true },
  { method: 'GET', path: '/v1/system/api_keys', ok: 200, deny: adminOnlyRead, core: true },
  { method: 'GET', path: '/v1/users/api_keys', ok: 200, deny: adminOnlyRead, core: true },
];

function expected(row: Row, who: Who): Outcome {
  if (who === 'none') return 'unauth';
  return row.deny?.[who] ?? row.ok;
}

function cases(rows: readonly Row[]): [string, Row, Who, Outcome][] {
  return rows.flatMap((row) =>
    WHO.map((who): [string, Row, Who, Outcome] => [`${row.method} ${row.path}`, row, who, expected(row, who)]),
  );
}

describe.each(ADAPTERS_AND_LOWEST)('%s: REST table', (adapter) => {
  let server: TestServer;
  const credentials = new Map<Who, CallOptions>();
  const principals = new Map<Who, { kind: string; role: string; userId: number | null }>();

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    const systemUserId = internalsOf(server.gatehouse).systemUserId;
    const admin = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
    const adminId = (
      await expectJson<{ data: { id: string } }>(await call(server, 'GET', '/v1/user', { cookie: admin }), 200)
    ).data.id;
    const member = await createUser(server, 'MEMBER');
    const viewer = await createUser(server, 'VIEWER');
    const memberSession = await loginSession(server, member.email, member.password);
    const viewerSession = await loginSession(server, viewer.email, viewer.password);
    const adminKey = await createUserKey(server, admin);
    const memberKey = await createUserKey(server, memberSession);
    const viewerKey = await createUserKey(server, viewerSession);
    const systemKey = await createSystemKey(server);

    credentials.set('admin', { cookie: admin });
    credentials.set('member', { cookie: memberSession });
    credentials.set('viewer', { cookie: viewerSession });
    credentials.set('adminKey', { bearer: adminKey.key });
    credentials.set('memberKey', { bearer: memberKey.key });
    credentials.set('viewerKey', { bearer: viewerKey.key });
    credentials.set('systemKey', { bearer: systemKey.key });
    credentials.set('adminSecret', { bearer: ADMIN_SECRET });
    credentials.set('none', {});

    const adminUserId = Number(Buffer.from(adminId, 'base64').toString('utf8').split(':')[1]);
    principals.set('admin', { kind: 'session', role: 'ADMIN', userId: adminUserId });
    principals.set('member', { kind: 'session', role: 'MEMBER', userId: member.id });
    principals.set('viewer', { kind: 'session', role: 'VIEWER', userId: viewer.id });
    principals.set('adminKey', { kind: 'user_api_key', role: 'ADMIN', userId: adminUserId });
    principals.set('memberKey', { kind: 'user_api_key', role: 'MEMBER', userId: member.id });
    principals.set('viewerKey', { kind: 'user_api_key', role: 'VIEWER', userId: viewer.id });
    principals.set('systemKey', { kind: 'system_api_key', role: 'SYSTEM', userId: systemUserId });
    principals.set('adminSecret', { kind: 'admin_secret', role: 'SYSTEM', userId: systemUserId });
  });
  afterAll(() => server?.close());

  async function expectOutcome(response: Response, outcome: Outcome): Promise<string> {
    if (outcome === 'unauth') {
      expect(response.headers.get('www-authenticate') ?? '').toMatch(/^Bearer\b/);
      await expectError(response, 401, 'unauthenticated', 'Authentication required');
      return '';
    }
    if (outcome === 'viewer') return JSON.stringify(await expectError(response, 403, 'forbidden', VIEWER_DENIED));
    if (outcome === 'admin') return JSON.stringify(await expectError(response, 403, 'forbidden', ADMIN_ONLY));
    return expectStatus(response, outcome);
  }

  it.each(cases(HOST_ROWS))('host %s as %s → %s', async (_route, row, who, outcome) => {
    const response = await call(server, row.method, row.path, { ...credentials.get(who), json: row.json });
    const text = await expectOutcome(response, outcome);
    if (outcome === 201 || outcome === 200) {
      expect(JSON.parse(text)).toEqual({ principal: principals.get(who) });
    }
    if (outcome === 204) expect(text).toBe('');
  });

  it.each(cases(CORE_ROWS))('gatehouse %s as %s → %s', async (_route, row, who, outcome) => {
    const response = await call(server, row.method, row.path, { ...credentials.get(who), json: row.json });
    if (typeof outcome === 'number' && outcome === 422) await expectError(response, 422, 'invalid_input');
    else await expectOutcome(response, outcome);
  });

  it.each(['viewer', 'viewerKey'] as const)('the self-service writes stay open to a %s', async (who) => {
    const auth = credentials.get(who)!;
    await expectStatus(await call(server, 'POST', '/v1/chat/completions', auth), 201);
    // Empty body: past the viewer rule, stopped by validation (sessions) or by "keys cannot mint keys".
    const response = await call(server, 'POST', '/v1/user/api_keys', { ...auth, json: {} });
    if (who === 'viewer') await expectError(response, 422, 'invalid_input');
    else await expectError(response, 403, 'forbidden', 'API keys cannot create API keys');
  });

  it.each(['adminKey', 'memberKey', 'viewerKey', 'systemKey'] as const)(
    'with %s, POST /v1/user/api_keys and /v1/system/api_keys → 403 whatever the body',
    async (who) => {
      const auth = credentials.get(who)!;
      for (const json of [{}, { data: { name: 'minted' } }]) {
        for (const path of ['/v1/user/api_keys', '/v1/system/api_keys']) {
          const response = await call(server, 'POST', path, { ...auth, json });
          await expectError(response, 403, 'forbidden');
        }
      }
    },
  );

  it('a viewer session creates its own key (POST /v1/user/api_keys → 201)', async () => {
    await expectStatus(
      await call(server, 'POST', '/v1/user/api_keys', {
        ...credentials.get('viewer'),
        json: { data: { name: 'mine' } },
      }),
      201,
    );
  });

  it.each([
    ['a garbage bearer', { authorization: 'Bearer not-a-token' }],
    [
      'a tampered bearer',
      { authorization: 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiIxIn0.c2lnbmF0dXJl' },
    ],
    ['a non-bearer scheme', { authorization: `Basic ${Buffer.from('admin@localhost:admin').toString('base64')}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['a garbage cookie', { cookie: `${ACCESS_COOKIE}=garbage` }],
  ])('%s → 401 "Invalid token"', async (_label, headers) => {
    for (const path of ['/v1/projects', '/v1/user']) {
      await expectError(await call(server, 'GET', path, { headers }), 401, 'invalid_token', 'Invalid token');
    }
  });

  it('a wrong Authorization scheme is not rescued by a valid cookie (docs/phoenix-contract.md#cookies-and-bearer)', async () => {
    const cookie = credentials.get('admin')!.cookie;
    const response = await call(server, 'GET', '/v1/projects', {
      cookie,
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    });
    await expectError(response, 401, 'invalid_token', 'Invalid token');
  });

  it('a tampered access token → 401', async () => {
    const cookie = credentials.get('member')!.cookie as { access: string };
    const [header, payload, signature] = cookie.access.split('.') as [string, string, string];
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    await expectError(
      await call(server, 'GET', '/v1/projects', { bearer: `${header}.${payload}.${flipped}` }),
      401,
      'invalid_token',
      'Invalid token',
    );
  });

  it('GET /healthz needs no credential', async () => {
    const response = await call(server, 'GET', '/healthz');
    expect(await expectStatus(response, 200)).toBe('ok');
  });
});

describe.each(ADAPTERS_AND_LOWEST)('%s: expired access token', (adapter) => {
  let server: TestServer;

  beforeAll(async () => {
    // 0.02 minutes = 1.2 s.
    server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: '0.02' });
  });
  afterAll(() => server?.close());

  it('→ 401 "Expired token" on host and Gatehouse routes, by cookie and by bearer; refresh still works', async () => {
    const user = await createUser(server, 'MEMBER');
    const session = await loginSession(server, user.email, user.password);
    await expectStatus(await call(server, 'GET', '/v1/projects', { cookie: session }), 200);
    await sleep(1500);
    await expectError(
      await call(server, 'GET', '/v1/projects', { cookie: session }),
      401,
      'expired_token',
      'Expired token',
    );
    await expectError(
      await call(server, 'POST', '/v1/projects', { bearer: session.access }),
      401,
      'expired_token',
      'Expired token',
    );
    await expectError(
      await call(server, 'GET', '/v1/user', { cookie: session }),
      401,
      'expired_token',
      'Expired token',
    );
    const refreshed = await call(server, 'POST', '/auth/refresh', { cookie: session });
    expect(refreshed.status).toBe(204);
    const access = refreshed.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${ACCESS_COOKIE}=`))!
      .split(';', 1)[0]!;
    await expectStatus(await call(server, 'GET', '/v1/projects', { cookie: access }), 200);
  });
});
