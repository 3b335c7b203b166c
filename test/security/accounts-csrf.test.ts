/**
 * CSRF sweep (docs/phoenix-contract.md#csrf) with PHOENIX_CSRF_TRUSTED_ORIGINS set: EVERY state-changing route, of
 * Gatehouse and of the host, is tried with a valid cookie session and a hostile Origin/Referer,
 * and must be refused with 401 before anything changes; the same request with neither header then
 * succeeds and changes the state, which proves the probe would have seen a change. A guard test
 * fails when Gatehouse gains a route this table does not list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../packages/core/src/mfa/index.js';
import { startTestProvider, type TestProvider } from '../oauth2/provider.js';
import {
  ADAPTERS,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  call,
  createSystemKey,
  createUser,
  createUserKey,
  expectError,
  expectStatus,
  idOf,
  loginSession,
  resetLink,
  sleep,
  startServer,
  tokenId,
  unique,
  userCount,
  waitForMail,
  type CallOptions,
  type Session,
  type TestServer,
} from '../http/conformance/support.js';

const TRUSTED = 'http://localhost';
const EVIL_ORIGIN = 'https://evil.example.com';
const EVIL_REFERER = 'https://evil.example.com/attack.html';
const IDP = 'acme';

/** [label, headers, the 401 message]: what a cross-site page can make a browser send. */
const HOSTILE: readonly (readonly [string, Record<string, string>, string])[] = [
  ['an untrusted Origin', { origin: EVIL_ORIGIN }, 'untrusted origin'],
  ['an untrusted Referer and no Origin', { referer: EVIL_REFERER }, 'untrusted referer'],
  ['Origin: null (sandboxed frame, data: URL)', { origin: 'null' }, 'untrusted origin'],
  ['an untrusted Origin with a trusted Referer', { origin: EVIL_ORIGIN, referer: `${TRUSTED}/x` }, 'untrusted origin'],
];

interface Fixture {
  server: TestServer;
  /** The default admin's cookie session, for admin-only routes; no case ends it. */
  admin: Session;
}

interface Prepared {
  path: string;
  options: CallOptions;
  okStatus: number;
  /** Reads the state the request would change; null when the route keeps none (host routes). */
  snapshot: (() => Promise<unknown>) | null;
  /** Extra check once the accepted request went through. */
  afterSuccess?: () => Promise<void>;
}

type Case = readonly [method: string, pattern: string, prepare: (fx: Fixture) => Promise<Prepared>];

async function victim(fx: Fixture): Promise<{ id: number; email: string; session: Session; globalId: string }> {
  const user = await createUser(fx.server, 'MEMBER');
  return {
    id: user.id,
    email: user.email,
    globalId: user.globalId,
    session: await loginSession(fx.server, user.email, user.password),
  };
}

async function sessionCount(fx: Fixture, userId: number): Promise<number> {
  return (await fx.server.store.listSessionsOfUser(userId, Date.now())).length;
}

async function whoami(server: TestServer, session: Session): Promise<number> {
  const response = await call(server, 'GET', '/v1/user', { cookie: session });
  await response.arrayBuffer();
  return response.status;
}

/** A member with a confirmed authenticator (enrolled through the API); the confirming step is spent. */
async function enrolledVictim(fx: Fixture) {
  const who = await victim(fx);
  const start = (await (await call(fx.server, 'POST', '/v1/user/mfa/totp', { cookie: who.session })).json()) as {
    data: { secret: string };
  };
  const confirmed = await call(fx.server, 'POST', '/v1/user/mfa/totp/confirm', {
    cookie: who.session,
    json: { code: totpCodeAt(start.data.secret, Date.now()) },
  });
  const codes = ((await confirmed.json()) as { data: { recovery_codes: string[] } }).data.recovery_codes;
  return { ...who, secret: start.data.secret, codes };
}

/** A viewer (GATEHOUSE_MFA_REQUIRED_ROLES=VIEWER here) whose login waits for enrolment. */
async function enrollingViewer(fx: Fixture) {
  const user = await createUser(fx.server, 'VIEWER');
  const login = (await (
    await call(fx.server, 'POST', '/auth/login', { json: { email: user.email, password: user.password } })
  ).json()) as { mfa_token: string };
  return { user, token: login.mfa_token };
}

const totpRow = (fx: Fixture, userId: number) => fx.server.store.findTotpFactor(userId);

const MFA_WRITES: readonly Case[] = [
  [
    'POST',
    '/v1/user/mfa/totp',
    async (fx) => {
      const { id, session } = await victim(fx);
      return {
        path: '/v1/user/mfa/totp',
        options: { cookie: session },
        okStatus: 200,
        snapshot: async () => (await totpRow(fx, id))?.secretCiphertext ?? null,
      };
    },
  ],
  [
    'POST',
    '/v1/user/mfa/totp/confirm',
    async (fx) => {
      const { id, session } = await victim(fx);
      const start = (await (await call(fx.server, 'POST', '/v1/user/mfa/totp', { cookie: session })).json()) as {
        data: { secret: string };
      };
      return {
        path: '/v1/user/mfa/totp/confirm',
        options: { cookie: session, json: { code: totpCodeAt(start.data.secret, Date.now()) } },
        okStatus: 200,
        snapshot: async () => (await totpRow(fx, id))?.confirmedAt ?? null,
      };
    },
  ],
  [
    'POST',
    '/v1/user/mfa/totp/remove',
    async (fx) => {
      const { id, session, codes } = await enrolledVictim(fx);
      return {
        path: '/v1/user/mfa/totp/remove',
        options: { cookie: session, json: { recovery_code: codes[0] } },
        okStatus: 204,
        snapshot: async () => (await totpRow(fx, id)) !== null,
      };
    },
  ],
  [
    'POST',
    '/v1/user/mfa/recovery-codes',
    async (fx) => {
      const { id, session, secret } = await enrolledVictim(fx);
      return {
        path: '/v1/user/mfa/recovery-codes',
        options: { cookie: session, json: { code: totpCodeAt(secret, Date.now() + 30_000) } },
        okStatus: 200,
        snapshot: async () => (await totpRow(fx, id))?.lastUsedStep ?? null,
      };
    },
  ],
  [
    'DELETE',
    '/v1/users/{}/mfa',
    async (fx) => {
      const { id, globalId } = await enrolledVictim(fx);
      return {
        path: `/v1/users/${globalId}/mfa`,
        options: { cookie: fx.admin },
        okStatus: 204,
        snapshot: async () => (await totpRow(fx, id)) !== null,
      };
    },
  ],
  [
    'POST',
    '/auth/mfa/verify',
    async (fx) => {
      const { id, email, codes } = await enrolledVictim(fx);
      // createUser's default password.
      const login = (await (
        await call(fx.server, 'POST', '/auth/login', { json: { email, password: 'pass-word-1' } })
      ).json()) as { mfa_token: string };
      return {
        path: '/auth/mfa/verify',
        options: { json: { mfa_token: login.mfa_token, recovery_code: codes[0] } },
        okStatus: 200,
        snapshot: () => fx.server.store.countUnusedRecoveryCodes(id),
      };
    },
  ],
  [
    'POST',
    '/auth/mfa/enroll',
    async (fx) => {
      const { user, token } = await enrollingViewer(fx);
      return {
        path: '/auth/mfa/enroll',
        options: { json: { mfa_token: token } },
        okStatus: 200,
        snapshot: async () => (await totpRow(fx, user.id))?.secretCiphertext ?? null,
      };
    },
  ],
  [
    'POST',
    '/auth/mfa/enroll/confirm',
    async (fx) => {
      const { user, token } = await enrollingViewer(fx);
      const start = (await (
        await call(fx.server, 'POST', '/auth/mfa/enroll', { json: { mfa_token: token } })
      ).json()) as { data: { secret: string } };
      return {
        path: '/auth/mfa/enroll/confirm',
        options: { json: { mfa_token: token, code: totpCodeAt(start.data.secret, Date.now()) } },
        okStatus: 200,
        snapshot: async () => (await totpRow(fx, user.id))?.confirmedAt ?? null,
      };
    },
  ],
];

const GATEHOUSE_WRITES: readonly Case[] = [
  [
    'POST',
    '/auth/login',
    // Login CSRF: the attacker's credentials, posted from the attacker's page into the victim's browser.
    async ({ server }) => {
      const attacker = await createUser(server, 'MEMBER');
      return {
        path: '/auth/login',
        options: { json: { email: attacker.email, password: attacker.password } },
        okStatus: 204,
        // Deleting is the store's only read of a user's sessions; it removes nothing while there is none.
        snapshot: () => server.store.deleteSessionsOfUser(attacker.id),
      };
    },
  ],
  ...(['GET', 'POST'] as const).map((method): Case => [
    method,
    '/auth/logout',
    async (fx) => {
      const { session } = await victim(fx);
      return {
        path: '/auth/logout',
        options: { cookie: session },
        okStatus: 302,
        snapshot: () => whoami(fx.server, session),
      };
    },
  ]),
  [
    'POST',
    '/auth/refresh',
    async (fx) => {
      const { session } = await victim(fx);
      const id = tokenId(session.refresh);
      return {
        path: '/auth/refresh',
        options: { cookie: session },
        okStatus: 204,
        snapshot: async () => (await fx.server.store.findRefreshToken(id))?.consumedAt ?? null,
      };
    },
  ],
  [
    'POST',
    '/auth/password-reset-email',
    async ({ server }) => {
      const user = await createUser(server, 'MEMBER');
      const mailsTo = () => server.mails.filter((m) => m.to.includes(user.email)).length;
      return {
        path: '/auth/password-reset-email',
        options: { json: { email: user.email } },
        okStatus: 204,
        snapshot: () => Promise.resolve(mailsTo()),
        async afterSuccess() {
          // Refused requests would have been mailed before the accepted one: exactly one arrives.
          await waitForMail(server, user.email);
          await sleep(150);
          expect(mailsTo()).toBe(1);
        },
      };
    },
  ],
  [
    'POST',
    '/auth/password-reset',
    async ({ server }) => {
      const user = await createUser(server, 'MEMBER');
      const before = server.mails.length;
      await expectStatus(
        await call(server, 'POST', '/auth/password-reset-email', { json: { email: user.email } }),
        204,
      );
      const token = resetLink(await waitForMail(server, user.email, before)).searchParams.get('token');
      return {
        path: '/auth/password-reset',
        options: { json: { token, password: 'chosen-by-csrf-1' } },
        okStatus: 204,
        snapshot: async () => (await server.store.findUserById(user.id))?.passwordHash,
      };
    },
  ],
  [
    'PATCH',
    '/v1/user',
    async (fx) => {
      const { id, session } = await victim(fx);
      return {
        path: '/v1/user',
        options: { cookie: session, json: { username: unique('csrf') } },
        okStatus: 200,
        snapshot: async () => (await fx.server.store.findUserById(id))?.username,
      };
    },
  ],
  [
    'POST',
    '/v1/users',
    async ({ server, admin }) => {
      const username = unique('csrfnew');
      return {
        path: '/v1/users',
        options: {
          cookie: admin,
          json: { user: { email: `${username}@example.com`, username, role: 'ADMIN', password: 'pass-word-1' } },
        },
        okStatus: 201,
        snapshot: () => userCount(server),
      };
    },
  ],
  [
    'PATCH',
    '/v1/users/{}',
    async ({ server, admin }) => {
      const target = await createUser(server, 'VIEWER');
      return {
        path: `/v1/users/${target.globalId}`,
        options: { cookie: admin, json: { role: 'ADMIN' } },
        okStatus: 200,
        snapshot: async () => (await server.store.findUserById(target.id))?.role,
      };
    },
  ],
  [
    'DELETE',
    '/v1/users/{}',
    async ({ server, admin }) => {
      const target = await createUser(server, 'MEMBER');
      return {
        path: `/v1/users/${target.globalId}`,
        options: { cookie: admin },
        okStatus: 204,
        snapshot: async () => (await server.store.findUserById(target.id)) !== null,
      };
    },
  ],
  [
    'POST',
    '/v1/user/api_keys',
    async (fx) => {
      const { id, session } = await victim(fx);
      return {
        path: '/v1/user/api_keys',
        options: { cookie: session, json: { data: { name: 'planted' } } },
        okStatus: 201,
        snapshot: async () => (await fx.server.store.listApiKeys({ kind: 'user', userId: id, limit: 100 })).length,
      };
    },
  ],
  [
    'DELETE',
    '/v1/user/api_keys/{}',
    async (fx) => {
      const { session } = await victim(fx);
      const key = await createUserKey(fx.server, session);
      return {
        path: `/v1/user/api_keys/${key.id}`,
        options: { cookie: session },
        okStatus: 204,
        snapshot: async () => (await fx.server.store.findApiKey(idOf(key.id))) !== null,
      };
    },
  ],
  [
    'POST',
    '/v1/system/api_keys',
    async ({ server, admin }) => ({
      path: '/v1/system/api_keys',
      options: { cookie: admin, json: { data: { name: 'planted system key' } } },
      okStatus: 201,
      snapshot: async () => (await server.store.listApiKeys({ kind: 'system', limit: 1000 })).length,
    }),
  ],
  [
    'DELETE',
    '/v1/system/api_keys/{}',
    async ({ server, admin }) => {
      const key = await createSystemKey(server);
      return {
        path: `/v1/system/api_keys/${key.id}`,
        options: { cookie: admin },
        okStatus: 204,
        snapshot: async () => (await server.store.findApiKey(idOf(key.id))) !== null,
      };
    },
  ],
  // Ending sessions from a hostile page would sign the victim out (or out of everywhere).
  [
    'DELETE',
    '/v1/user/sessions/{}',
    async (fx) => {
      const { id, email, session } = await victim(fx);
      await loginSession(fx.server, email, 'pass-word-1');
      const listed = (await (await call(fx.server, 'GET', '/v1/user/sessions', { cookie: session })).json()) as {
        data: { id: string; current: boolean }[];
      };
      const other = listed.data.find((s) => !s.current);
      if (!other) throw new Error('the second session is missing');
      return {
        path: `/v1/user/sessions/${other.id}`,
        options: { cookie: session },
        okStatus: 204,
        snapshot: () => sessionCount(fx, id),
      };
    },
  ],
  [
    'DELETE',
    '/v1/user/sessions',
    async (fx) => {
      const { id, email, session } = await victim(fx);
      await loginSession(fx.server, email, 'pass-word-1');
      return {
        path: '/v1/user/sessions?others=true',
        options: { cookie: session },
        okStatus: 204,
        snapshot: () => sessionCount(fx, id),
      };
    },
  ],
  [
    'DELETE',
    '/v1/users/{}/sessions',
    async (fx) => {
      const { id, globalId } = await victim(fx);
      return {
        path: `/v1/users/${globalId}/sessions`,
        options: { cookie: fx.admin },
        okStatus: 204,
        snapshot: () => sessionCount(fx, id),
      };
    },
  ],
  // Starting an SSO login plants the state/nonce cookies of a login the attacker started.
  ...(['GET', 'POST'] as const).map((method): Case => [
    method,
    '/oauth2/{}/login',
    () => Promise.resolve({ path: `/oauth2/${IDP}/login`, options: {}, okStatus: 302, snapshot: null }),
  ]),
  ...MFA_WRITES,
];

/** The host app's writes (test/http/harness.ts), each behind `authenticate`/`protect`. */
const HOST_WRITES: readonly Case[] = (
  [
    ['POST', '/v1/projects', 201],
    ['PUT', '/v1/projects/1', 200],
    ['DELETE', '/v1/projects/1', 204],
    ['POST', '/v1/datasets/upload', 201],
    ['DELETE', '/v1/datasets/1', 204],
    ['POST', '/v1/traces', 201],
    ['POST', '/v1/span_annotations', 201],
    ['POST', '/v1/chat/completions', 201],
  ] as const
).map(([method, path, okStatus]): Case => [
  method,
  `host ${path}`,
  ({ admin }) => Promise.resolve({ path, options: { cookie: admin }, okStatus, snapshot: null }),
]);

/** Gatehouse's routes that change nothing; with the writes above they must be the whole table. */
const GATEHOUSE_READS: readonly (readonly [string, string])[] = [
  ['GET', '/auth/config'],
  ['GET', '/v1/user'],
  ['GET', '/v1/users'],
  ['GET', '/v1/user/api_keys'],
  ['GET', '/v1/users/api_keys'],
  ['GET', '/v1/system/api_keys'],
  ['GET', '/v1/audit_events'],
  ['GET', '/v1/user/sessions'],
  ['GET', '/v1/users/{}/sessions'],
  ['GET', '/v1/user/mfa'],
  ['GET', '/oauth2/{}/tokens'], // the callback: see its own test below
  // The IdP's return from an RP-initiated logout: its state is checked against the cookie
  // (test/http/conformance/oauth2-logout.test.ts).
  ['GET', '/oauth2/{}/signed-out'],
  // Server to server, no browser and no cookies: the IdP-signed logout token is the credential
  // (every check attacked in test/http/conformance/oauth2-logout-attacks.test.ts).
  ['POST', '/oauth2/{}/backchannel-logout'],
];

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => {
  await provider?.close();
});

describe.each(ADAPTERS)('%s: CSRF on every state-changing route', (adapter) => {
  const fx = {} as Fixture;

  beforeAll(async () => {
    fx.server = await startServer(adapter, {
      ...NO_RATE_LIMIT,
      PHOENIX_CSRF_TRUSTED_ORIGINS: TRUSTED,
      GATEHOUSE_ENCRYPTION_KEY: 'csrf-mfa-encryption-key-0123456789ab',
      GATEHOUSE_MFA_REQUIRED_ROLES: 'VIEWER',
      [`PHOENIX_OAUTH2_${IDP.toUpperCase()}_CLIENT_ID`]: provider.clients.basic.id,
      [`PHOENIX_OAUTH2_${IDP.toUpperCase()}_CLIENT_SECRET`]: provider.clients.basic.secret,
      [`PHOENIX_OAUTH2_${IDP.toUpperCase()}_OIDC_CONFIG_URL`]: provider.discoveryUrl,
    });
    fx.admin = await loginSession(fx.server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
  });
  afterAll(() => fx.server?.close());

  it('the table lists every Gatehouse route (a new route must be added here)', () => {
    const listed = [...GATEHOUSE_WRITES, ...GATEHOUSE_READS].map(([, pattern]) => pattern.replace('{}', ':p1'));
    const served = fx.server.gatehouse.paths.filter((p) => p !== '/auth' && p !== '/auth/*');
    expect([...new Set(listed)].sort()).toEqual([...served].sort());
  });

  it.each([...GATEHOUSE_WRITES, ...HOST_WRITES])(
    '%s %s: refused from a hostile page, nothing changes; accepted without Origin/Referer',
    async (method, _pattern, prepare) => {
      const { path, options, okStatus, snapshot, afterSuccess } = await prepare(fx);
      const before = snapshot ? await snapshot() : null;
      for (const [label, headers, message] of HOSTILE) {
        const response = await call(fx.server, method, path, {
          ...options,
          headers: { ...options.headers, ...headers },
        });
        expect(response.headers.getSetCookie(), label).toEqual([]);
        await expectError(response, 401, 'untrusted_origin', message);
        if (snapshot) expect(await snapshot(), label).toEqual(before);
      }
      // Same request, as the app's own pages or a non-browser client send it: it was a valid one.
      const accepted = await call(fx.server, method, path, options);
      await expectStatus(accepted, okStatus);
      if (snapshot) await expect.poll(snapshot).not.toEqual(before);
      await afterSuccess?.();
    },
  );

  it('login CSRF: attacker credentials from a hostile page set no cookie on the victim and mint no session', async () => {
    const attacker = await createUser(fx.server, 'MEMBER');
    for (const [label, headers] of HOSTILE) {
      const response = await call(fx.server, 'POST', '/auth/login', {
        json: { email: attacker.email, password: attacker.password },
        headers,
      });
      expect(response.status, label).toBe(401);
      expect(response.headers.getSetCookie(), label).toEqual([]);
      expect(response.headers.get('set-cookie'), label).toBeNull();
      await response.arrayBuffer();
    }
    // A form post cannot add headers, but a `text/plain` body is still JSON to a lenient parser.
    const formLike = await call(fx.server, 'POST', '/auth/login', {
      body: JSON.stringify({ email: attacker.email, password: attacker.password }),
      headers: { 'content-type': 'text/plain', origin: EVIL_ORIGIN },
    });
    expect(formLike.headers.getSetCookie()).toEqual([]);
    await expectError(formLike, 401, 'untrusted_origin', 'untrusted origin');
    expect(await fx.server.store.deleteSessionsOfUser(attacker.id)).toEqual([]);
  });

  it('the OAuth callback ignores only the Referer (the IdP’s page); a hostile Origin is still refused', async () => {
    const query = `/oauth2/${IDP}/tokens?code=c&state=s`;
    await expectError(
      await call(fx.server, 'GET', query, { headers: { origin: EVIL_ORIGIN } }),
      401,
      'untrusted_origin',
      'untrusted origin',
    );
    // Reaches the flow, which refuses it for want of the state cookie.
    const fromIdp = await call(fx.server, 'GET', query, { headers: { referer: `${provider.issuer}/interaction/x` } });
    expect(fromIdp.status).toBe(307);
    expect(fromIdp.headers.get('location')).toBe('/login?error=invalid_state');
  });
});
