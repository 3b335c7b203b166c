/**
 * OpenID Connect logout against a real OpenID provider (oidc-provider with its rpInitiatedLogout
 * and backchannelLogout features on), through each adapter: the IdP ending its session reaches
 * Gatehouse over the back channel and the session is refused on the next request; a sign-out
 * goes through the IdP's end_session_endpoint and comes back with its state checked.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createGatehouse,
  createLocalRevocationChannel,
  type Gatehouse,
  type RevocationChannel,
} from '@gatehouse-auth/core';
import { createBrowser, type Browser } from '../../oauth2/browser.js';
import { DEFAULT_ACCOUNTS, startTestProvider, type TestProvider } from '../../oauth2/provider.js';
import {
  ACCESS_COOKIE,
  ADAPTERS,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  call,
  loginSession,
  setCookie,
  startServer,
  tokenId,
  type TestServer,
} from './support.js';

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => {
  await provider?.close();
});

const LOGOUT_STATE_COOKIE = 'phoenix-oauth2-logout-state';

function idpEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const prefix = `PHOENIX_OAUTH2_${name.toUpperCase()}_`;
  return {
    [`${prefix}CLIENT_ID`]: provider.clients.logout.id,
    [`${prefix}CLIENT_SECRET`]: provider.clients.logout.secret,
    [`${prefix}OIDC_CONFIG_URL`]: provider.discoveryUrl,
    ...extra,
  };
}

/** Signs in at the app through the provider as `account`; the browser keeps both sites' cookies. */
async function sso(
  server: TestServer,
  idp: string,
  account: string,
  browser: Browser = createBrowser(),
): Promise<Browser> {
  const app = new URL(server.url);
  const { hops } = await browser.follow(`${server.url}/oauth2/${idp}/login`, {
    login: account,
    stopAt: (url) => url.host === app.host && !url.pathname.includes('/oauth2/'),
  });
  expect(hops.at(-1)?.status).toBe(302);
  expect(browser.cookie(server.url, ACCESS_COOKIE)).toBeTruthy();
  return browser;
}

const me = (server: TestServer, browser: Browser) =>
  call(server, 'GET', '/v1/user', { cookie: browser.cookieHeader(server.url) });

async function sessionIdOf(server: TestServer, browser: Browser): Promise<number> {
  const grant = await server.store.findAccessTokenGrant(tokenId(browser.cookie(server.url, ACCESS_COOKIE)!));
  expect(grant).not.toBeNull();
  return grant!.sessionId;
}

const claimsOf = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe.each(ADAPTERS)('%s: OpenID Connect logout', (adapter) => {
  let server: TestServer;
  // A second instance on the same store and revocation channel, as behind a load balancer.
  let channel: RevocationChannel;
  let other: Gatehouse;
  beforeAll(async () => {
    channel = createLocalRevocationChannel();
    server = await startServer(
      adapter,
      { ...NO_RATE_LIMIT, ...idpEnv('acme'), GATEHOUSE_OAUTH2_ACME_LOGOUT: 'true' },
      { gatehouse: { revocations: channel } },
    );
    other = await createGatehouse({
      config: server.gatehouse.config,
      store: server.store,
      revocations: channel,
      sweepIntervalMs: 0,
    });
  });
  afterAll(async () => {
    await other.close();
    await server.close();
  });
  beforeEach(() => {
    provider.setBackchannelLogoutUri(`${server.url}/oauth2/acme/backchannel-logout`);
  });

  it('a sign-in records the IdP login with its session: sub, sid, and the ID token sealed, never in clear', async () => {
    const browser = await sso(server, 'acme', 'developer');
    const link = await server.store.findIdpSessionLink(await sessionIdOf(server, browser));
    expect(link).toMatchObject({ idp: 'acme', subject: DEFAULT_ACCOUNTS.developer!.sub, sid: expect.any(String) });
    // A compact JWE (five parts), not the three-part ID token, and nothing of its claims readable.
    expect(link!.sealedIdToken!.split('.')).toHaveLength(5);
    expect(link!.sealedIdToken).not.toContain(
      Buffer.from(DEFAULT_ACCOUNTS.developer!.email).toString('base64url').slice(0, 12),
    );
    // Nothing of it reaches a cookie.
    for (const value of [browser.cookieHeader(server.url)])
      expect(value).not.toContain(link!.sealedIdToken!.slice(0, 40));
  });

  it('the IdP ends its session: its back-channel logout token ends that Gatehouse session at once, not the others', async () => {
    const browser = await sso(server, 'acme', 'owner');
    const elsewhere = await sso(server, 'acme', 'owner'); // another browser, another IdP session (another sid)
    expect((await me(server, browser)).status).toBe(200);
    expect((await me(server, elsewhere)).status).toBe(200);
    const guardInput = {
      method: 'GET',
      path: '/v1/projects',
      cookie: browser.cookieHeader(server.url),
      host: new URL(server.url).host,
    };
    expect(await other.guard(guardInput)).toMatchObject({ ok: true });
    expect(other.guardCached(guardInput)).toMatchObject({ ok: true });
    const before = provider.backchannelDeliveries.length;
    const endedSessionId = await sessionIdOf(server, browser);
    const ownerId = (await server.store.findSession(endedSessionId))!.userId;

    // The user signs out at the IdP itself (not through Gatehouse).
    const { final } = await browser.follow(`${provider.issuer}/session/end`);
    expect(final.status).toBe(200);
    expect(provider.backchannelDeliveries.slice(before)).toEqual([
      { uri: `${server.url}/oauth2/acme/backchannel-logout`, ok: true },
    ]);

    // Refused on the very next request, although the access token was cached and has not expired,
    // on this instance and on the other one, which answered from memory before.
    expect((await me(server, browser)).status).toBe(401);
    // Evicted there: memory no longer answers, and the store says no.
    expect(other.guardCached(guardInput)).toBeUndefined();
    expect(await other.guard(guardInput)).toMatchObject({ ok: false, status: 401 });
    expect((await call(server, 'POST', '/auth/refresh', { cookie: browser.cookieHeader(server.url) })).status).toBe(
      401,
    );
    // The other browser's IdP session (another sid) is untouched.
    expect((await me(server, elsewhere)).status).toBe(200);
    // Audited: ended by the IdP, for the session it named and no other.
    await server.gatehouse.audit.flush();
    const ended = (await server.store.listAuditEvents({ limit: 100, types: ['session.ended'] })).filter(
      (event) =>
        event.type === 'session.ended' &&
        event.details.reason === 'backchannel_logout' &&
        event.subjectUserId === ownerId,
    );
    expect(ended.map((event) => ({ actor: event.actor, details: event.details }))).toContainEqual({
      actor: { kind: 'identity_provider', userId: null },
      details: { sessionId: endedSessionId, by: 'identity_provider', reason: 'backchannel_logout' },
    });
    const elsewhereId = await sessionIdOf(server, elsewhere);
    expect(ended.some((event) => event.type === 'session.ended' && event.details.sessionId === elsewhereId)).toBe(
      false,
    );
  });

  it('a sign-out goes through the IdP: end_session_endpoint with id_token_hint, client_id, the configured post_logout_redirect_uri and state', async () => {
    const browser = await sso(server, 'acme', 'nobody');
    const sessionId = await sessionIdOf(server, browser);
    // A forwarded host must not reach the redirect: public URLs come from configuration only.
    const response = await browser.fetch(`${server.url}/auth/logout`, {
      method: 'POST',
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${provider.issuer}/session/end`);
    const params = location.searchParams;
    expect(params.get('client_id')).toBe(provider.clients.logout.id);
    expect(params.get('post_logout_redirect_uri')).toBe(`${server.url}/oauth2/acme/signed-out`);
    expect(claimsOf(params.get('id_token_hint')!)).toMatchObject({
      sub: DEFAULT_ACCOUNTS.nobody!.sub,
      aud: provider.clients.logout.id,
      iss: provider.issuer,
    });
    const state = setCookie(response, LOGOUT_STATE_COOKIE);
    expect(state.value).toBe(params.get('state'));
    expect(state.attributes.has('httponly')).toBe(true);
    expect(state.attributes.get('samesite')).toBe('Lax');
    // The local sessions are gone before the browser even reaches the IdP.
    expect(await server.store.findSession(sessionId)).toBeNull();
    expect((await me(server, browser)).status).toBe(401);

    // At the IdP: confirm, the IdP ends its session (its back-channel call finds nothing left: 200), and sends the browser back.
    const before = provider.backchannelDeliveries.length;
    const app = new URL(server.url);
    const { hops } = await browser.follow(location.href, {
      stopAt: (url) => url.host === app.host && !url.pathname.includes('/oauth2/'),
    });
    expect(provider.backchannelDeliveries.slice(before)).toEqual([
      { uri: `${server.url}/oauth2/acme/backchannel-logout`, ok: true },
    ]);
    const back = hops.find((hop) => hop.url.startsWith(`${server.url}/oauth2/acme/signed-out`));
    expect(new URL(back!.url).searchParams.get('state')).toBe(params.get('state'));
    expect(hops.at(-1)).toMatchObject({ status: 302, location: '/login' });
    expect(browser.cookie(server.url, LOGOUT_STATE_COOKIE)).toBeUndefined();

    // The IdP session really ended: signing in again asks for the login form.
    await expect(browser.follow(`${server.url}/oauth2/acme/login`)).rejects.toThrow(/login form/);
  });

  it("coming back with a forged, missing or other IdP's state lands on /login?error=invalid_state", async () => {
    const browser = await sso(server, 'acme', 'developer');
    const response = await browser.fetch(`${server.url}/auth/logout`, { method: 'POST' });
    const state = new URL(response.headers.get('location')!).searchParams.get('state')!;
    const cookie = `${LOGOUT_STATE_COOKIE}=${state}`;
    for (const [query, sent] of [
      [`state=${state}x`, cookie],
      ['', cookie],
      [`state=${state}`, ''],
    ] as const) {
      const back = await call(server, 'GET', `/oauth2/acme/signed-out?${query}`, { cookie: sent });
      expect(back.status).toBe(307);
      expect(back.headers.get('location')).toBe('/login?error=invalid_state');
    }
    const good = await call(server, 'GET', `/oauth2/acme/signed-out?state=${state}`, { cookie });
    expect(good.status).toBe(302);
    expect(good.headers.get('location')).toBe('/login');
    expect(
      (await call(server, 'GET', `/oauth2/nope/signed-out?state=${state}`, { cookie })).headers.get('location'),
    ).toBe('/login?error=unknown_idp');
  });

  it('a password session signs out locally: no trip to the IdP', async () => {
    const session = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
    const response = await call(server, 'POST', '/auth/logout', { cookie: session });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login');
  });

  it('the receiver answers per the spec: 200 no-store for a valid token, 400 JSON for none, 415 for another body type, 404 for an unknown IdP', async () => {
    const empty = await call(server, 'POST', '/oauth2/acme/backchannel-logout', {
      body: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(empty.status).toBe(400);
    expect(empty.headers.get('cache-control')).toBe('no-store');
    expect(await empty.json()).toEqual({
      error: { code: 'invalid_logout_token', message: 'Invalid logout token: logout_token missing' },
    });
    const json = await call(server, 'POST', '/oauth2/acme/backchannel-logout', { json: { logout_token: 'x' } });
    expect(json.status).toBe(415);
    const unknown = await call(server, 'POST', '/oauth2/nope/backchannel-logout', {
      body: 'logout_token=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('OpenID Connect logout with GATEHOUSE_OAUTH2_<IDP>_LOGOUT unset', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('hono', { ...NO_RATE_LIMIT, ...idpEnv('acme') });
    provider.setBackchannelLogoutUri(`${server.url}/oauth2/acme/backchannel-logout`);
  });
  afterAll(() => server.close());

  it('keeps no ID token, signs out locally, and still receives the back-channel logout', async () => {
    const browser = await sso(server, 'acme', 'developer');
    const link = await server.store.findIdpSessionLink(await sessionIdOf(server, browser));
    expect(link).toMatchObject({ subject: DEFAULT_ACCOUNTS.developer!.sub, sealedIdToken: null });
    await browser.follow(`${provider.issuer}/session/end`);
    expect((await me(server, browser)).status).toBe(401);

    const again = await sso(server, 'acme', 'developer', createBrowser());
    const response = await again.fetch(`${server.url}/auth/logout`, { method: 'POST' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login');
  });
});
