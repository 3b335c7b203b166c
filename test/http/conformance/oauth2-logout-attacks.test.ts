/**
 * Every check of the back-channel logout receiver tried as an attack: a hostile provider of our own
 * (its JWKS, its keys) mints logout tokens that break one thing each. Each must be refused with 400
 * and the JSON error body, and the session it names must live on; the valid token then ends it,
 * and the same token again is refused as a replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser, type Browser } from '../../oauth2/browser.js';
import {
  BACKCHANNEL_EVENT,
  HOSTILE_ACCOUNT,
  HOSTILE_SID,
  startHostileProvider,
  type HostileProvider,
  type LogoutTokenRecipe,
} from '../../oauth2/hostile-provider.js';
import { ACCESS_COOKIE, ADAPTERS, NO_RATE_LIMIT, call, expectError, startServer, type TestServer } from './support.js';

let hostile: HostileProvider;
beforeAll(async () => {
  hostile = await startHostileProvider();
});
afterAll(async () => {
  await hostile?.close();
});

const now = () => Math.floor(Date.now() / 1000);

/** [what is wrong, how the token is made, the reason the answer names] */
const ATTACKS: readonly (readonly [string, LogoutTokenRecipe | (() => Promise<string>) | string, string])[] = [
  ['not a JWT at all', 'not-a-jwt', 'not a JWS'],
  ['unsigned (alg none)', { signWith: 'none' }, 'signature algorithm not allowed'],
  ['an HMAC with the client secret (algorithm confusion)', { signWith: 'hs256' }, 'signature algorithm not allowed'],
  ['a tampered signature', { tamper: true }, 'signature not valid'],
  ['signed by a key the IdP never published', { signWith: 'foreign' }, 'signature not valid'],
  ["signed by the other published key under the first key's kid", { signWith: 'spare' }, 'signature not valid'],
  ['no kid while the IdP publishes two keys', { header: { kid: undefined } }, 'no single key of the IdP matches'],
  ['an unknown kid', { header: { kid: 'who-knows' } }, 'no single key of the IdP matches'],
  ['another issuer', { claims: { iss: 'http://issuer.evil.example' } }, 'claim iss not valid'],
  ['another audience', { claims: { aud: 'some-other-client' } }, 'claim aud not valid'],
  ['no iat', { claims: { iat: undefined } }, 'claim iat not valid'],
  ['issued long ago', { claims: { iat: now() - 3600, exp: now() + 60 } }, 'expired or too old'],
  ['issued in the future', { claims: { iat: now() + 3600, exp: now() + 7200 } }, 'claim iat not valid'],
  ['expired', { claims: { iat: now() - 200, exp: now() - 100 } }, 'expired or too old'],
  ['typ of an ID token', { header: { typ: 'JWT' } }, 'typ is not logout+jwt'],
  ['no events claim', { claims: { events: undefined } }, 'claim events not valid'],
  [
    'events without the back-channel logout event',
    { claims: { events: { 'http://schemas.openid.net/event/other': {} } } },
    'events lacks the back-channel logout event',
  ],
  [
    'the event not an object',
    { claims: { events: { [BACKCHANNEL_EVENT]: 'yes' } } },
    'events lacks the back-channel logout event',
  ],
  [
    'a nonce (an ID token passed off as a logout token)',
    { claims: { nonce: 'n-0S6_WzA2Mj' } },
    'a logout token carries no nonce',
  ],
  ['neither sub nor sid', { claims: { sub: undefined, sid: undefined } }, 'neither sub nor sid'],
  ['no jti', { claims: { jti: undefined } }, 'claim jti not valid'],
  ['a sid that is not a string', { claims: { sid: 42 } }, 'sid not a string'],
];

const form = (token: string) => ({
  body: new URLSearchParams({ logout_token: token }).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

describe.each(ADAPTERS)('%s: back-channel logout attacks', (adapter) => {
  let server: TestServer;
  let browser: Browser;
  const me = () => call(server, 'GET', '/v1/user', { cookie: browser.cookieHeader(server.url) });

  beforeAll(async () => {
    hostile.setHostility('none');
    server = await startServer(adapter, {
      ...NO_RATE_LIMIT,
      PHOENIX_OAUTH2_EVIL_CLIENT_ID: hostile.clientId,
      PHOENIX_OAUTH2_EVIL_CLIENT_SECRET: hostile.clientSecret,
      PHOENIX_OAUTH2_EVIL_OIDC_CONFIG_URL: hostile.discoveryUrl,
    });
    browser = createBrowser();
    const app = new URL(server.url);
    await browser.follow(`${server.url}/oauth2/evil/login`, {
      stopAt: (url) => url.host === app.host && !url.pathname.includes('/oauth2/'),
    });
    expect(browser.cookie(server.url, ACCESS_COOKIE)).toBeTruthy();
  });
  afterAll(() => server.close());

  it('the session is linked to the hostile IdP login (sub and sid)', async () => {
    expect((await me()).status).toBe(200);
  });

  it.each(ATTACKS)('refuses %s with 400, and the session lives on', async (_what, recipe, reason) => {
    const token =
      typeof recipe === 'string'
        ? recipe
        : typeof recipe === 'function'
          ? await recipe()
          : await hostile.mintLogoutToken(recipe);
    const response = await call(server, 'POST', '/oauth2/evil/backchannel-logout', form(token));
    expect(response.headers.get('cache-control')).toBe('no-store');
    await expectError(response, 400, 'invalid_logout_token', `Invalid logout token: ${reason}`);
    expect((await me()).status).toBe(200);
  });

  it('a logout_token given twice is refused', async () => {
    const token = await hostile.mintLogoutToken();
    const body = `logout_token=${token}&logout_token=${token}`;
    await expectError(
      await call(server, 'POST', '/oauth2/evil/backchannel-logout', {
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      400,
      'bad_request',
    );
    expect((await me()).status).toBe(200);
  });

  it('a valid token for another subject ends nothing (200), and the session lives on', async () => {
    const response = await call(
      server,
      'POST',
      '/oauth2/evil/backchannel-logout',
      form(await hostile.mintLogoutToken({ claims: { sub: 'somebody-else', sid: undefined } })),
    );
    expect(response.status).toBe(200);
    expect((await me()).status).toBe(200);
  });

  it('the valid token ends the session (200, no-store); the same token again is a replay (400)', async () => {
    const token = await hostile.mintLogoutToken({ claims: { sub: HOSTILE_ACCOUNT.sub, sid: HOSTILE_SID } });
    const response = await call(server, 'POST', '/oauth2/evil/backchannel-logout', form(token));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe('');
    expect((await me()).status).toBe(401);
    await expectError(
      await call(server, 'POST', '/oauth2/evil/backchannel-logout', form(token)),
      400,
      'invalid_logout_token',
      'Invalid logout token: logout token replayed (jti already used)',
    );
  });
});
