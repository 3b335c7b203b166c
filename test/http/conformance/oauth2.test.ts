/**
 * Single sign-on against a real OpenID provider (oidc-provider on loopback), through each adapter:
 * the browser-less user agent follows every redirect and submits the provider's login form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser, type Browser } from '../../oauth2/browser.js';
import { ACR_VALUES, DEFAULT_ACCOUNTS, startTestProvider, type TestProvider } from '../../oauth2/provider.js';
import {
  ACCESS_COOKIE,
  ADAPTERS,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createUser,
  expectJson,
  sleep,
  startServer,
  waitForMail,
  type TestServer,
} from './support.js';

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => {
  await provider?.close();
});

type Env = Record<string, string>;

/** PHOENIX_OAUTH2_<NAME>_* for one of the provider's clients. */
function idpEnv(name: string, client: 'basic' | 'post' | 'public', extra: Env = {}): Env {
  const prefix = `PHOENIX_OAUTH2_${name.toUpperCase()}_`;
  const c = provider.clients[client];
  const env: Env = { [`${prefix}CLIENT_ID`]: c.id, [`${prefix}OIDC_CONFIG_URL`]: provider.discoveryUrl };
  if (client === 'basic') env[`${prefix}CLIENT_SECRET`] = provider.clients.basic.secret;
  if (client === 'post') {
    env[`${prefix}CLIENT_SECRET`] = provider.clients.post.secret;
    env[`${prefix}TOKEN_ENDPOINT_AUTH_METHOD`] = 'client_secret_post';
  }
  if (client === 'public') env[`${prefix}TOKEN_ENDPOINT_AUTH_METHOD`] = 'none';
  for (const [k, v] of Object.entries(extra)) env[`${prefix}${k}`] = v;
  return env;
}

interface SsoOutcome {
  /** Where the app finally sent the browser (path + query). */
  landedOn: string;
  status: number;
  browser: Browser;
  /** Every URL the browser visited, in order (the first redirect is the authorization request). */
  visited: string[];
}

/** Starts at the app's login route, logs in at the provider as `account`, stops back on the app. */
async function sso(server: TestServer, idp: string, account: string, returnUrl?: string): Promise<SsoOutcome> {
  const browser = createBrowser();
  const app = new URL(server.url);
  const start = `${server.url}/oauth2/${idp}/login${returnUrl === undefined ? '' : `?returnUrl=${encodeURIComponent(returnUrl)}`}`;
  const { hops } = await browser.follow(start, {
    login: account,
    // Stop on the first redirect from the callback back into the app (not another /oauth2 hop).
    stopAt: (url) => url.host === app.host && !url.pathname.includes('/oauth2/'),
  });
  const last = hops.at(-1)!;
  const landed = new URL(last.location ?? last.url, last.url);
  const visited = hops.flatMap((hop) => (hop.location ? [hop.url, new URL(hop.location, hop.url).href] : [hop.url]));
  return { landedOn: `${landed.pathname}${landed.search}`, status: last.status, browser, visited };
}

async function me(server: TestServer, browser: Browser): Promise<{ status: number; user?: Record<string, unknown> }> {
  const cookie = browser.cookieHeader(server.url);
  const response = await call(server, 'GET', '/v1/user', { cookie });
  if (response.status !== 200) return { status: response.status };
  return { status: 200, user: ((await response.json()) as { data: Record<string, unknown> }).data };
}

describe.each(ADAPTERS)('%s: OpenID Connect sign-in', (adapter) => {
  describe('sign-up with a confidential client_secret_basic client, no role mapping', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        ...idpEnv('acme', 'basic', { DISPLAY_NAME: 'Acme SSO' }),
      });
    });
    afterAll(() => server.close());

    it('signs up a new VIEWER, lands on the return URL with both session cookies, OAuth cookies gone', async () => {
      const { landedOn, status, browser } = await sso(server, 'acme', 'developer', '/projects/7?tab=traces');
      expect(status).toBe(302);
      expect(landedOn).toBe('/projects/7?tab=traces');
      expect(browser.cookie(server.url, ACCESS_COOKIE)).toBeTruthy();
      expect(browser.cookie(server.url, REFRESH_COOKIE)).toBeTruthy();
      expect(browser.cookie(server.url, 'phoenix-oauth2-state')).toBeUndefined();
      expect(browser.cookie(server.url, 'phoenix-oauth2-nonce')).toBeUndefined();
      const { user } = await me(server, browser);
      expect(user).toMatchObject({
        email: DEFAULT_ACCOUNTS.developer!.email,
        role: 'VIEWER',
        auth_method: 'OAUTH2',
        username: DEFAULT_ACCOUNTS.developer!.name,
      });
      const stored = await server.store.findUserByEmail(DEFAULT_ACCOUNTS.developer!.email);
      expect(stored).toMatchObject({
        oauth2ClientId: provider.clients.basic.id,
        oauth2UserId: DEFAULT_ACCOUNTS.developer!.sub,
        passwordHash: null,
      });
      // No welcome mail on a just-in-time sign-up (docs/phoenix-contract.md#welcome-mail); the harness has a live SMTP relay.
      await waitForMail(server, (await createUser(server, 'VIEWER', 'pass-word-1', true)).email);
      await sleep(100);
      expect(server.mails.map((mail) => mail.to)).toEqual([expect.stringMatching(/^viewer/)]);
    });

    it('a second login finds the same user; an admin role change survives it (no role path)', async () => {
      const before = await server.store.findUserByEmail(DEFAULT_ACCOUNTS.developer!.email);
      await server.store.updateUser(before!.id, { role: 'MEMBER', updatedAt: Date.now() });
      const { browser } = await sso(server, 'acme', 'developer');
      const { user } = await me(server, browser);
      expect(user).toMatchObject({ id: expect.any(String), role: 'MEMBER' });
      expect((await server.store.findUserByEmail(DEFAULT_ACCOUNTS.developer!.email))!.id).toBe(before!.id);
    });

    it('lands on the root when no return URL was given', async () => {
      const { landedOn } = await sso(server, 'acme', 'nobody');
      expect(landedOn).toBe('/');
    });

    it('an e-mail already used by a local account → email_in_use, no session', async () => {
      const created = await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: {
            email: DEFAULT_ACCOUNTS.owner!.email,
            username: 'local-owner',
            role: 'MEMBER',
            auth_method: 'LOCAL',
            password: 'pass-word-1',
          },
        },
      });
      expect(created.status).toBe(201);
      const { landedOn, status, browser } = await sso(server, 'acme', 'owner');
      expect(status).toBe(307);
      expect(landedOn).toBe('/login?error=email_in_use');
      expect(browser.cookie(server.url, ACCESS_COOKIE)).toBeUndefined();
    });

    it('GET /auth/config lists the IdP by display name, without secrets', async () => {
      const response = await call(server, 'GET', '/auth/config');
      const body = await expectJson<Record<string, unknown>>(response, 200);
      expect(body.oauth2_idps).toEqual([{ name: 'acme', display_name: 'Acme SSO' }]);
      expect(JSON.stringify(body)).not.toContain(provider.clients.basic.secret);
      expect(body).toMatchObject({ basic_auth_enabled: true, auto_login_idp: null });
    });
  });

  describe('role mapping (client_secret_post)', () => {
    const mapping = { ROLE_ATTRIBUTE_PATH: 'role', ROLE_MAPPING: 'Owner:ADMIN,Developer:MEMBER' };
    let lenient: TestServer;
    let strict: TestServer;
    beforeAll(async () => {
      lenient = await startServer(adapter, { ...NO_RATE_LIMIT, ...idpEnv('corp', 'post', mapping) });
      strict = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        ...idpEnv('corp', 'post', { ...mapping, ROLE_ATTRIBUTE_STRICT: 'true' }),
      });
    });
    afterAll(async () => {
      await lenient.close();
      await strict.close();
    });

    it('Owner → ADMIN, Developer → MEMBER, no role → VIEWER, SYSTEM → VIEWER', async () => {
      for (const [account, role] of [
        ['owner', 'ADMIN'],
        ['developer', 'MEMBER'],
        ['nobody', 'VIEWER'],
        ['sysuser', 'VIEWER'],
      ] as const) {
        const { browser } = await sso(lenient, 'corp', account);
        expect((await me(lenient, browser)).user, account).toMatchObject({ role });
      }
    });

    it('strict: an unmapped or missing role is denied with auth_failed and no user is created', async () => {
      for (const account of ['nobody', 'sysuser']) {
        const { landedOn, browser } = await sso(strict, 'corp', account);
        expect(landedOn, account).toBe('/login?error=auth_failed');
        expect(browser.cookie(strict.url, ACCESS_COOKIE)).toBeUndefined();
        expect(await strict.store.findUserByEmail(DEFAULT_ACCOUNTS[account]!.email)).toBeNull();
      }
      const { browser } = await sso(strict, 'corp', 'owner');
      expect((await me(strict, browser)).user).toMatchObject({ role: 'ADMIN' });
    });
  });

  describe('groups, nested and namespaced claims, re-sync (public client with PKCE)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        ...idpEnv('groups', 'public', { GROUPS_ATTRIBUTE_PATH: 'groups', ALLOWED_GROUPS: 'staff' }),
        ...idpEnv('nested', 'basic', { ROLE_ATTRIBUTE_PATH: 'resource_access.phoenix.roles' }),
        ...idpEnv('ns', 'post', {
          GROUPS_ATTRIBUTE_PATH: '"cognito:groups"',
          ALLOWED_GROUPS: 'eng',
          ROLE_ATTRIBUTE_PATH: `contains("https://myapp.com/groups" || \`[]\`, 'eng') && 'MEMBER' || 'VIEWER'`,
        }),
      });
    });
    afterAll(() => server.close());

    it('a member of an allowed group gets in; anyone else → auth_failed', async () => {
      expect((await sso(server, 'groups', 'owner')).landedOn).toBe('/');
      const denied = await sso(server, 'groups', 'developer');
      expect(denied.landedOn).toBe('/login?error=auth_failed');
      expect(await server.store.findUserByEmail(DEFAULT_ACCOUNTS.developer!.email)).toBeNull();
    });

    it('a nested role claim (resource_access.phoenix.roles) gives ADMIN', async () => {
      const { browser } = await sso(server, 'nested', 'nested');
      expect((await me(server, browser)).user).toMatchObject({ role: 'ADMIN' });
    });

    it('namespaced claims ("cognito:groups", "https://myapp.com/groups") gate and compute the role', async () => {
      const { browser } = await sso(server, 'ns', 'namespaced');
      expect((await me(server, browser)).user).toMatchObject({ role: 'MEMBER' });
    });

    it('role and e-mail follow the IdP on the next login; sessions already open see the new role', async () => {
      const account = { ...DEFAULT_ACCOUNTS.nested!, sub: 'resync-sub', email: 'resync@example.test', name: 'Resync' };
      provider.setAccount('resync', account);
      const first = await sso(server, 'nested', 'resync');
      expect((await me(server, first.browser)).user).toMatchObject({ role: 'ADMIN', email: 'resync@example.test' });
      provider.setAccount('resync', {
        ...account,
        email: 'renamed@example.test',
        resource_access: { phoenix: { roles: ['viewer'] } },
      });
      const second = await sso(server, 'nested', 'resync');
      expect((await me(server, second.browser)).user).toMatchObject({ role: 'VIEWER', email: 'renamed@example.test' });
      expect((await me(server, first.browser)).user).toMatchObject({ role: 'VIEWER' });
    });
  });

  describe('sign-up disabled', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        ...idpEnv('closed', 'basic', { ALLOW_SIGN_UP: 'false' }),
        ...idpEnv('other', 'post', { ALLOW_SIGN_UP: 'false' }),
      });
    });
    afterAll(() => server.close());

    it('an unknown identity → sign_in_not_allowed, nothing created', async () => {
      const { landedOn } = await sso(server, 'closed', 'developer');
      expect(landedOn).toBe('/login?error=sign_in_not_allowed');
      expect(await server.store.findUserByEmail(DEFAULT_ACCOUNTS.developer!.email)).toBeNull();
    });

    it('an admin-created OAUTH2 user signs in and is bound to the identity', async () => {
      const created = await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: { email: DEFAULT_ACCOUNTS.owner!.email, username: 'precreated', role: 'MEMBER', auth_method: 'OAUTH2' },
        },
      });
      expect(created.status).toBe(201);
      const { browser, landedOn } = await sso(server, 'closed', 'owner');
      expect(landedOn).toBe('/');
      expect((await me(server, browser)).user).toMatchObject({ username: 'precreated', role: 'MEMBER' });
      expect(await server.store.findUserByEmail(DEFAULT_ACCOUNTS.owner!.email)).toMatchObject({
        oauth2UserId: DEFAULT_ACCOUNTS.owner!.sub,
      });
    });

    it('a local account with the same e-mail is never taken over → sign_in_not_allowed', async () => {
      const created = await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: {
            email: DEFAULT_ACCOUNTS.nobody!.email,
            username: 'local-nobody',
            role: 'VIEWER',
            auth_method: 'LOCAL',
            password: 'pass-word-1',
          },
        },
      });
      expect(created.status).toBe(201);
      const { landedOn } = await sso(server, 'closed', 'nobody');
      expect(landedOn).toBe('/login?error=sign_in_not_allowed');
      expect(await server.store.findUserByEmail(DEFAULT_ACCOUNTS.nobody!.email)).toMatchObject({
        authMethod: 'LOCAL',
        oauth2ClientId: null,
      });
    });

    it('an account bound to one IdP client moves to another only on a verified e-mail', async () => {
      const owner = DEFAULT_ACCOUNTS.owner!;
      provider.setAccount('owner', { ...owner, email_verified: false });
      try {
        const refused = await sso(server, 'other', 'owner');
        expect(refused.landedOn).toBe('/login?error=sign_in_not_allowed');
        expect(await server.store.findUserByEmail(owner.email)).toMatchObject({
          oauth2ClientId: provider.clients.basic.id,
        });
      } finally {
        provider.setAccount('owner', owner);
      }
      const moved = await sso(server, 'other', 'owner');
      expect(moved.landedOn).toBe('/');
      expect(await server.store.findUserByEmail(owner.email)).toMatchObject({
        oauth2ClientId: provider.clients.post.id,
        oauth2UserId: owner.sub,
      });
    });
  });

  describe('UserInfo top-up', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, { ...NO_RATE_LIMIT, ...idpEnv('thin', 'basic') });
    });
    afterAll(() => server.close());

    it('an ID token without e-mail is completed from UserInfo', async () => {
      provider.setIdTokenClaimsMinimal(true);
      try {
        const { browser } = await sso(server, 'thin', 'developer');
        expect((await me(server, browser)).user).toMatchObject({ email: DEFAULT_ACCOUNTS.developer!.email });
      } finally {
        provider.setIdTokenClaimsMinimal(false);
      }
    });
  });

  describe('basic auth off, auto-login', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        PHOENIX_DISABLE_BASIC_AUTH: 'true',
        ...idpEnv('only', 'basic', { AUTO_LOGIN: 'true' }),
      });
    });
    afterAll(() => server.close());

    it('/auth/config names the auto-login IdP and no password login', async () => {
      const body = await expectJson<Record<string, unknown>>(await call(server, 'GET', '/auth/config'), 200);
      expect(body).toMatchObject({
        auto_login_idp: 'only',
        basic_auth_enabled: false,
        password_reset_available: false,
      });
    });

    it('GET /login starts the auto-login IdP, carrying the query (returnUrl) along', async () => {
      const response = await call(server, 'GET', '/login?returnUrl=%2Fprojects');
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/oauth2/only/login?returnUrl=%2Fprojects');
      const { landedOn } = await sso(server, 'only', 'developer', '/projects');
      expect(landedOn).toBe('/projects');
    });

    it('errors go to /logout (no auto-login loop)', async () => {
      const response = await call(server, 'GET', '/oauth2/nope/login');
      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe('/logout?error=unknown_idp');
    });
  });
  describe('login start by POST, and its rate limit', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, idpEnv('acme', 'basic'));
    });
    afterAll(() => server.close());

    it('POST /oauth2/{idp}/login redirects like GET, with state, nonce, PKCE off and the three cookies', async () => {
      const response = await call(server, 'POST', '/oauth2/acme/login?returnUrl=%2Fprojects');
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(`${provider.issuer}/auth`);
      expect(location.searchParams.get('client_id')).toBe(provider.clients.basic.id);
      expect(location.searchParams.get('redirect_uri')).toBe(`${server.url}/oauth2/acme/tokens`);
      expect(location.searchParams.get('scope')).toBe('openid email profile');
      expect(location.searchParams.get('nonce')).toBeTruthy();
      const state = location.searchParams.get('state');
      expect(state).toBeTruthy();
      expect(response.headers.getSetCookie().some((c) => c.startsWith(`phoenix-oauth2-state=${state};`))).toBe(true);
      expect(location.searchParams.get('code_challenge')).toBeNull();
      const cookies = response.headers.getSetCookie();
      for (const name of ['phoenix-oauth2-state', 'phoenix-oauth2-nonce']) {
        const cookie = cookies.find((c) => c.startsWith(`${name}=`) && !c.startsWith(`${name}=;`));
        expect(cookie, name).toMatch(/Max-Age=900; HttpOnly; SameSite=Lax/);
      }
    });

    it('the seventh start from one address within seconds → 429 with Retry-After', async () => {
      let last: Response | undefined;
      for (let i = 0; i < 7; i++) last = await call(server, 'GET', '/oauth2/acme/login');
      expect(last!.status).toBe(429);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describe("the IdP's own second factor: REQUIRED_ACR and REQUIRED_AMR on the ID token", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        ...idpEnv('strong', 'basic', { REQUIRED_ACR: ACR_VALUES.mfa }),
        ...idpEnv('factors', 'post', { REQUIRED_AMR: 'otp,hwk' }),
      });
    });
    afterAll(async () => {
      provider.setAuthentication(null);
      await server.close();
    });

    /** An SSO login after the provider authenticated the user as `authentication` says. */
    async function ssoAs(idp: string, account: string, authentication: { acr?: string; amr?: string[] } | null) {
      provider.setAuthentication(authentication);
      try {
        return await sso(server, idp, account);
      } finally {
        provider.setAuthentication(null);
      }
    }

    async function expectRefused(outcome: SsoOutcome, email: string): Promise<void> {
      expect(outcome.status).toBe(307);
      expect(outcome.landedOn).toBe('/login?error=auth_failed');
      expect(outcome.browser.cookie(server.url, ACCESS_COOKIE)).toBeUndefined();
      expect(outcome.browser.cookie(server.url, REFRESH_COOKIE)).toBeUndefined();
      // Refused before the user step: no just-in-time sign-up either.
      expect(await server.store.findUserByEmail(email)).toBeNull();
      await server.gatehouse.audit.flush();
      const [denied] = await server.store.listAuditEvents({ limit: 1 });
      expect(denied).toMatchObject({ type: 'sso.denied', details: { reason: 'auth_failed' } });
    }

    it('asks for the acr (acr_values) and signs in when the ID token carries it', async () => {
      const outcome = await ssoAs('strong', 'developer', { acr: ACR_VALUES.mfa, amr: ['pwd', 'otp'] });
      const authorize = new URL(outcome.visited.find((url) => url.startsWith(`${provider.issuer}/auth`))!);
      expect(authorize.searchParams.get('acr_values')).toBe(ACR_VALUES.mfa);
      expect(outcome.status).toBe(302);
      expect(outcome.landedOn).toBe('/');
      expect((await me(server, outcome.browser)).user).toMatchObject({ email: DEFAULT_ACCOUNTS.developer!.email });
    });

    it('refuses an ID token with a weaker acr, or none, with auth_failed', async () => {
      await expectRefused(await ssoAs('strong', 'owner', { acr: ACR_VALUES.password }), DEFAULT_ACCOUNTS.owner!.email);
      await expectRefused(await ssoAs('strong', 'owner', null), DEFAULT_ACCOUNTS.owner!.email);
      // An amr naming a second factor does not stand in for the acr asked for.
      await expectRefused(await ssoAs('strong', 'owner', { amr: ['otp'] }), DEFAULT_ACCOUNTS.owner!.email);
    });

    it('signs in when the amr holds one of the required methods, without asking for an acr', async () => {
      const outcome = await ssoAs('factors', 'nobody', { amr: ['pwd', 'hwk'] });
      const authorize = new URL(outcome.visited.find((url) => url.startsWith(`${provider.issuer}/auth`))!);
      expect(authorize.searchParams.has('acr_values')).toBe(false);
      expect(outcome.landedOn).toBe('/');
      expect((await me(server, outcome.browser)).user).toMatchObject({ email: DEFAULT_ACCOUNTS.nobody!.email });
    });

    it('refuses an amr without a required method, or none, with auth_failed', async () => {
      const email = DEFAULT_ACCOUNTS.namespaced!.email;
      await expectRefused(await ssoAs('factors', 'namespaced', { amr: ['pwd'] }), email);
      await expectRefused(await ssoAs('factors', 'namespaced', { acr: ACR_VALUES.mfa }), email);
      await expectRefused(await ssoAs('factors', 'namespaced', null), email);
    });
  });
});
