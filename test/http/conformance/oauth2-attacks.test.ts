/**
 * Every OIDC check tried as an attack: a hostile provider of our own (jose-signed tokens) breaks one
 * thing at a time, and a browser tampers with state, verifier, code and return URL. Each attempt
 * must end on the login page with Phoenix's error code and no session cookie.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser, type Browser } from '../../oauth2/browser.js';
import { startHostileProvider, type HostileProvider, type Hostility } from '../../oauth2/hostile-provider.js';
import { startTestProvider, type TestProvider } from '../../oauth2/provider.js';
import { ACCESS_COOKIE, ADAPTERS, REFRESH_COOKIE, startServer, type TestServer } from './support.js';

/** The harness's PHOENIX_SECRET: an attacker who had it could forge anything; here it forges an expired state. */
const HARNESS_SECRET = 'secret0for0tests0abcdefghijklmnop0123';

function withCookie(browser: Browser, server: TestServer, name: string, value: string | null): string {
  const jar = browser
    .cookieHeader(server.url)
    .split('; ')
    .filter((pair) => pair !== '' && !pair.startsWith(`${name}=`));
  if (value !== null) jar.push(`${name}=${value}`);
  return jar.join('; ');
}

async function callbackWith(
  callback: URL,
  cookie: string,
): Promise<{ status: number; location: string | null; sessionSet: boolean }> {
  const response = await fetch(callback, { redirect: 'manual', headers: { cookie } });
  const sessionSet = response.headers
    .getSetCookie()
    .some((c) => c.startsWith(`${ACCESS_COOKIE}=`) && !c.startsWith(`${ACCESS_COOKIE}=;`));
  return { status: response.status, location: response.headers.get('location'), sessionSet };
}

let hostile: HostileProvider;
let real: TestProvider;
beforeAll(async () => {
  hostile = await startHostileProvider();
  real = await startTestProvider();
});
afterAll(async () => {
  await hostile?.close();
  await real?.close();
});

/** Follows the app's login start up to (not into) the callback; returns the callback URL. */
async function toCallback(
  server: TestServer,
  browser: Browser,
  idp: string,
  options: { returnUrl?: string; login?: string } = {},
): Promise<URL> {
  const start = `${server.url}/oauth2/${idp}/login${options.returnUrl === undefined ? '' : `?returnUrl=${encodeURIComponent(options.returnUrl)}`}`;
  const { hops } = await browser.follow(start, {
    login: options.login,
    stopAt: (url) => url.pathname.endsWith(`/oauth2/${idp}/tokens`),
  });
  const last = hops.at(-1)!;
  return new URL(last.location!, last.url);
}

async function finish(
  server: TestServer,
  browser: Browser,
  callback: URL | string,
): Promise<{ status: number; location: string | null }> {
  const response = await browser.fetch(String(callback));
  await response.arrayBuffer();
  return { status: response.status, location: response.headers.get('location') };
}

function expectRefused(
  outcome: { status: number; location: string | null },
  browser: Browser,
  server: TestServer,
  code: string,
): void {
  expect(outcome).toEqual({ status: 307, location: `/login?error=${code}` });
  expect(browser.cookie(server.url, ACCESS_COOKIE)).toBeUndefined();
  expect(browser.cookie(server.url, REFRESH_COOKIE)).toBeUndefined();
  expect(browser.cookie(server.url, 'phoenix-oauth2-state')).toBeUndefined();
}

describe.each(ADAPTERS)('%s: OIDC attacks', (adapter) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(adapter, {
      PHOENIX_DISABLE_RATE_LIMIT: 'true',
      PHOENIX_OAUTH2_EVIL_CLIENT_ID: hostile.clientId,
      PHOENIX_OAUTH2_EVIL_CLIENT_SECRET: hostile.clientSecret,
      PHOENIX_OAUTH2_EVIL_OIDC_CONFIG_URL: hostile.discoveryUrl,
      PHOENIX_OAUTH2_EVIL_USE_PKCE: 'true',
      PHOENIX_OAUTH2_REAL_CLIENT_ID: real.clients.basic.id,
      PHOENIX_OAUTH2_REAL_CLIENT_SECRET: real.clients.basic.secret,
      PHOENIX_OAUTH2_REAL_OIDC_CONFIG_URL: real.discoveryUrl,
      PHOENIX_OAUTH2_REAL_USE_PKCE: 'true',
      PHOENIX_OAUTH2_BADSECRET_CLIENT_ID: real.clients.basic.id,
      PHOENIX_OAUTH2_BADSECRET_CLIENT_SECRET: 'not-the-client-secret',
      PHOENIX_OAUTH2_BADSECRET_OIDC_CONFIG_URL: real.discoveryUrl,
    });
  });
  afterAll(async () => {
    hostile.setHostility('none');
    await server.close();
  });

  it('the hostile provider, behaving, signs in (the control case)', async () => {
    hostile.setHostility('none');
    const browser = createBrowser();
    const outcome = await finish(server, browser, await toCallback(server, browser, 'evil'));
    expect(outcome).toEqual({ status: 302, location: '/' });
    expect(browser.cookie(server.url, ACCESS_COOKIE)).toBeTruthy();
    await server.gatehouse.audit.flush();
    const [latest] = await server.store.listAuditEvents({ limit: 1 });
    expect(latest).toMatchObject({
      type: 'sign_in.succeeded',
      clientAddress: '127.0.0.1',
      details: { method: 'oauth2', idp: 'evil' },
    });
  });

  const tokenAttacks: [Hostility, string][] = [
    ['alg_none', 'auth_failed'],
    ['wrong_issuer', 'auth_failed'],
    ['wrong_audience', 'auth_failed'],
    ['wrong_nonce', 'auth_failed'],
    ['expired', 'auth_failed'],
    ['tampered_signature', 'auth_failed'],
    ['missing_kid_several_keys', 'auth_failed'],
    ['userinfo_sub_mismatch', 'auth_failed'],
    ['no_id_token', 'no_oidc_support'],
    ['token_error', 'oauth_error'],
    ['dpop_token_type', 'auth_failed'],
  ];
  it.each(tokenAttacks)('ID token / token response %s → %s', async (hostility, code) => {
    hostile.setHostility(hostility);
    try {
      const browser = createBrowser();
      expectRefused(await finish(server, browser, await toCallback(server, browser, 'evil')), browser, server, code);
      // Each refusal is an audit event with its reason; the detail names what failed, never a token.
      await server.gatehouse.audit.flush();
      const [denied] = await server.store.listAuditEvents({ limit: 1 });
      expect(denied).toMatchObject({
        type: 'sso.denied',
        subjectUserId: null,
        clientAddress: '127.0.0.1',
        details: { idp: 'evil', reason: code },
      });
      expect(JSON.stringify(denied)).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    } finally {
      hostile.setHostility('none');
    }
  });

  it('a tampered state → invalid_state', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    const state = callback.searchParams.get('state')!;
    callback.searchParams.set('state', `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`);
    expectRefused(await finish(server, browser, callback), browser, server, 'invalid_state');
  });

  it('a forged state in both the query and the cookie (signature broken) → invalid_state', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    const [h, p] = callback.searchParams.get('state')!.split('.');
    const forged = `${h}.${p}.${'A'.repeat(43)}`;
    callback.searchParams.set('state', forged);
    expect(await callbackWith(callback, withCookie(browser, server, 'phoenix-oauth2-state', forged))).toEqual({
      status: 307,
      location: '/login?error=invalid_state',
      sessionSet: false,
    });
  });

  it('an expired state, correctly signed, in both the query and the cookie → invalid_state', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await new SignJWT({ idp: 'evil', origin_url: server.url, random: 'x' })
      .setProtectedHeader({ alg: 'HS256', typ: 'gatehouse-oauth2-state+jwt' })
      .setIssuer('gatehouse')
      .setIssuedAt(past - 900)
      .setExpirationTime(past)
      .sign(new TextEncoder().encode(HARNESS_SECRET));
    callback.searchParams.set('state', expired);
    expect(await callbackWith(callback, withCookie(browser, server, 'phoenix-oauth2-state', expired))).toEqual({
      status: 307,
      location: '/login?error=invalid_state',
      sessionSet: false,
    });
  });

  it('a missing nonce cookie → invalid_state; a missing PKCE verifier cookie → auth_failed', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    expect(await callbackWith(callback, withCookie(browser, server, 'phoenix-oauth2-nonce', null))).toEqual({
      status: 307,
      location: '/login?error=invalid_state',
      sessionSet: false,
    });
    expect(await callbackWith(callback, withCookie(browser, server, 'phoenix-oauth2-code-verifier', null))).toEqual({
      status: 307,
      location: '/login?error=auth_failed',
      sessionSet: false,
    });
  });

  it('an `iss` authorization-response parameter naming another issuer (mix-up) → auth_failed', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'real', { login: 'developer' });
    expect(callback.searchParams.get('iss')).toBe(real.issuer);
    callback.searchParams.set('iss', hostile.issuer);
    expectRefused(await finish(server, browser, callback), browser, server, 'auth_failed');
  });

  it('HEAD on the callback redeems nothing (a link checker must not sign anybody in)', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    const before = hostile.tokenRequests;
    const head = await fetch(callback, {
      method: 'HEAD',
      redirect: 'manual',
      headers: { cookie: browser.cookieHeader(server.url) },
    });
    expect(head.status).toBe(405);
    expect(hostile.tokenRequests).toBe(before);
  });

  it('a missing state → invalid_state', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    callback.searchParams.delete('state');
    expectRefused(await finish(server, browser, callback), browser, server, 'invalid_state');
  });

  it('a callback without the state cookie (another browser) → invalid_state', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    const other = createBrowser();
    expectRefused(await finish(server, other, callback), other, server, 'invalid_state');
  });

  it('a state issued for one IdP presented at another IdP’s callback (mix-up) → invalid_state', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    const mixed = new URL(callback);
    mixed.pathname = mixed.pathname.replace('/oauth2/evil/', '/oauth2/real/');
    expectRefused(await finish(server, browser, mixed), browser, server, 'invalid_state');
  });

  it('a tampered PKCE verifier → the IdP refuses the code → oauth_error', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    const cookie = browser
      .cookieHeader(server.url)
      .replace(
        /phoenix-oauth2-code-verifier=[^;]+/,
        'phoenix-oauth2-code-verifier=tampered-verifier-tampered-verifier-0123456',
      );
    const response = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    expect({ status: response.status, location: response.headers.get('location') }).toEqual({
      status: 307,
      location: '/login?error=oauth_error',
    });
    expect(
      response.headers
        .getSetCookie()
        .some((c) => c.startsWith(`${ACCESS_COOKIE}=`) && !c.startsWith(`${ACCESS_COOKIE}=;`)),
    ).toBe(false);
  });

  it('a code replayed after a successful login → refused (oauth_error), no second session', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    const cookies = browser.cookieHeader(server.url);
    expect((await finish(server, browser, callback)).status).toBe(302);
    expect(await callbackWith(callback, cookies)).toEqual({
      status: 307,
      location: '/login?error=oauth_error',
      sessionSet: false,
    });
  });

  it.each([
    '//evil.com',
    '/\\evil.com',
    'https://evil.com',
    '%2F%2Fevil.com',
    '/%2F/evil.com',
    '/\t/evil.com',
    '/a%0D%0ASet-Cookie:%20x=1',
    '/p/%5C%5Cevil.com',
    '/日本',
  ])('returnUrl %j → unsafe_return_url (checked on the real provider)', async (returnUrl) => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'real', { returnUrl, login: 'developer' });
    expectRefused(await finish(server, browser, callback), browser, server, 'unsafe_return_url');
  });

  it('a wrong client secret: the real provider refuses the client → oauth_error', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'badsecret', { login: 'developer' });
    expectRefused(await finish(server, browser, callback), browser, server, 'oauth_error');
  });

  it('an unknown IdP → unknown_idp at login and at the callback', async () => {
    const browser = createBrowser();
    expect(await finish(server, browser, `${server.url}/oauth2/nobody/login`)).toEqual({
      status: 307,
      location: '/login?error=unknown_idp',
    });
    expect(await finish(server, browser, `${server.url}/oauth2/nobody/tokens?code=x&state=y`)).toEqual({
      status: 307,
      location: '/login?error=unknown_idp',
    });
  });

  it('an error from the IdP → auth_failed', async () => {
    const browser = createBrowser();
    const callback = await toCallback(server, browser, 'evil');
    callback.searchParams.delete('code');
    callback.searchParams.set('error', 'access_denied');
    expectRefused(await finish(server, browser, callback), browser, server, 'auth_failed');
  });
});
