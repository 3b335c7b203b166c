/**
 * Self-test of the OIDC test infrastructure: oauth4webapi plays the relying party against the real
 * test provider (three client kinds) and the hostile provider (one test per hostility), driven by
 * the browser-less user agent.
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser, type Browser } from './browser.js';
import { HOSTILE_ACCOUNT, startHostileProvider, type HostileProvider, type Hostility } from './hostile-provider.js';
import { DEFAULT_ACCOUNTS, startTestProvider, type TestProvider } from './provider.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;
// Never fetched: every flow stops at the redirect to it.
const REDIRECT_URI = 'http://127.0.0.1:9/app/oauth2/test/tokens';

async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  return oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, insecure));
}

interface Started {
  /** The redirect the provider sent the browser to (REDIRECT_URI?code=…). */
  callback: URL;
  state: string;
  nonce: string;
  verifier: string;
  browser: Browser;
}

/** The RP's login start and the user at the provider, up to (not into) the callback. */
async function startFlow(
  as: oauth.AuthorizationServer,
  clientId: string,
  options: { login?: string; scope?: string; pkce?: boolean; redirectUri?: string; browser?: Browser } = {},
): Promise<Started> {
  const {
    scope = 'openid email profile',
    pkce = true,
    redirectUri = REDIRECT_URI,
    browser = createBrowser(),
  } = options;
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    state,
    nonce,
  }).toString();
  if (pkce) {
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  const { hops } = await browser.follow(url.href, {
    login: options.login,
    stopAt: (next) => next.href.startsWith(redirectUri),
  });
  const last = hops.at(-1)!;
  expect(last.location, JSON.stringify(hops)).toBeTruthy();
  return { callback: new URL(last.location!, last.url), state, nonce, verifier, browser };
}

interface Finished {
  tokens: oauth.TokenEndpointResponse;
  claims: oauth.IDToken;
  userinfo: oauth.UserInfoResponse;
}

/** The RP's callback: code for tokens, every ID token check including the signature, then UserInfo. */
async function finishFlow(
  as: oauth.AuthorizationServer,
  client: oauth.Client,
  auth: oauth.ClientAuth,
  started: Started,
  options: { verifier?: string; redirectUri?: string } = {},
): Promise<Finished> {
  const params = oauth.validateAuthResponse(as, client, started.callback, started.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    auth,
    params,
    options.redirectUri ?? REDIRECT_URI,
    options.verifier ?? started.verifier,
    insecure,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: started.nonce,
    requireIdToken: true,
  });
  await oauth.validateApplicationLevelSignature(as, response, insecure);
  const claims = oauth.getValidatedIdTokenClaims(tokens)!;
  const userinfo = await oauth.processUserInfoResponse(
    as,
    client,
    claims.sub,
    await oauth.userInfoRequest(as, client, tokens.access_token, insecure),
  );
  return { tokens, claims, userinfo };
}

describe('test provider (oidc-provider) with oauth4webapi as the RP', () => {
  let op: TestProvider;
  let as: oauth.AuthorizationServer;
  beforeAll(async () => {
    op = await startTestProvider();
    as = await discover(op.issuer);
  });
  afterAll(() => op?.close());

  it('publishes discovery at discoveryUrl for its issuer', async () => {
    expect(op.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(op.discoveryUrl).toBe(`${op.issuer}/.well-known/openid-configuration`);
    expect(as).toMatchObject({ issuer: op.issuer, code_challenge_methods_supported: ['S256'] });
    expect(as.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile', 'groups']));
  });

  const clientCases = [
    [
      'basic',
      (p: TestProvider) => oauth.ClientSecretBasic(p.clients.basic.secret),
      (p: TestProvider) => p.clients.basic.id,
    ],
    [
      'post',
      (p: TestProvider) => oauth.ClientSecretPost(p.clients.post.secret),
      (p: TestProvider) => p.clients.post.id,
    ],
    ['public', () => oauth.None(), (p: TestProvider) => p.clients.public.id],
  ] as const;
  it.each(clientCases)(
    '%s client: login form → code → ID token with the custom claims, signature valid',
    async (_name, auth, id) => {
      const client = { client_id: id(op) };
      const started = await startFlow(as, client.client_id, { login: 'owner' });
      const { claims, userinfo } = await finishFlow(as, client, auth(op), started);
      const owner = DEFAULT_ACCOUNTS.owner!;
      expect(claims).toMatchObject({
        iss: op.issuer,
        aud: client.client_id,
        sub: owner.sub,
        email: owner.email,
        email_verified: true,
        name: owner.name,
        picture: owner.picture,
        groups: ['staff', 'owners'],
        role: 'Owner',
      });
      expect(userinfo).toMatchObject({
        sub: owner.sub,
        email: owner.email,
        groups: ['staff', 'owners'],
        role: 'Owner',
      });
    },
  );

  it('the login is a real HTML form; follow() without a login refuses to guess', async () => {
    const browser = createBrowser();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: op.clients.basic.id,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid',
      state: 's',
    }).toString();
    await expect(browser.follow(url.href)).rejects.toThrow(/no login was given/);
    const { hops } = await browser.follow(url.href, { stopAt: (next) => next.pathname.startsWith('/interaction/') });
    const loginUrl = new URL(hops.at(-1)!.location!, hops.at(-1)!.url);
    const page = await browser.fetch(loginUrl.href);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`<form method="post" action="${loginUrl.pathname}/login"><input name="login"`);
    const submitted = await browser.follow(`${loginUrl.href}/login`, {
      init: {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'login=developer',
      },
      stopAt: (next) => next.href.startsWith(REDIRECT_URI),
    });
    expect(new URL(submitted.hops.at(-1)!.location!).searchParams.get('code')).toBeTruthy();
  });

  it.each([
    ['nested', { resource_access: { phoenix: { roles: ['admin'] } } }],
    ['namespaced', { 'https://myapp.com/groups': ['eng'], 'cognito:groups': ['eng'] }],
    ['developer', { role: 'Developer' }],
    ['sysuser', { role: 'SYSTEM' }],
  ] as const)(
    '%s: nested and namespaced claims reach the ID token with the baseline scopes only',
    async (login, expected) => {
      const client = { client_id: op.clients.basic.id };
      const { claims } = await finishFlow(
        as,
        client,
        oauth.ClientSecretBasic(op.clients.basic.secret),
        await startFlow(as, client.client_id, { login }),
      );
      expect(claims).toMatchObject({ sub: DEFAULT_ACCOUNTS[login]!.sub, ...expected });
    },
  );

  it('nobody has neither role nor groups', async () => {
    const client = { client_id: op.clients.post.id };
    const { claims } = await finishFlow(
      as,
      client,
      oauth.ClientSecretPost(op.clients.post.secret),
      await startFlow(as, client.client_id, { login: 'nobody', scope: 'openid email profile groups' }),
    );
    expect(claims.sub).toBe(DEFAULT_ACCOUNTS.nobody!.sub);
    expect(claims).not.toHaveProperty('role');
    expect(claims).not.toHaveProperty('groups');
  });

  it('every default account has a distinct sub, email and name', () => {
    const accounts = Object.values(DEFAULT_ACCOUNTS);
    for (const field of ['sub', 'email', 'name'] as const)
      expect(new Set(accounts.map((a) => a[field])).size).toBe(accounts.length);
  });

  it('an unknown login → access_denied at the redirect_uri', async () => {
    const { callback } = await startFlow(as, op.clients.basic.id, { login: 'mallory' });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('accepts any loopback …/oauth2/<name>/tokens redirect_uri and refuses the rest', async () => {
    for (const redirectUri of [
      'http://127.0.0.1:4567/oauth2/acme/tokens',
      'http://127.0.0.1/deep/mount/oauth2/x/tokens',
    ]) {
      const { callback } = await startFlow(as, op.clients.public.id, { login: 'developer', redirectUri });
      expect(callback.searchParams.get('code'), redirectUri).toBeTruthy();
    }
    for (const redirectUri of [
      'http://evil.example:4567/oauth2/acme/tokens',
      'http://127.0.0.1:4567/oauth2/acme/tokens/x',
      'http://127.0.0.1:4567/callback',
      'https://127.0.0.1:4567/oauth2/a/tokens',
    ]) {
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: op.clients.public.id,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: 'openid',
        state: 's',
      }).toString();
      const response = await createBrowser().fetch(url.href);
      await response.arrayBuffer();
      expect(response.status, redirectUri).toBe(400);
    }
  });

  it('the public client must use PKCE; a wrong verifier is refused with invalid_grant', async () => {
    const { callback } = await startFlow(as, op.clients.public.id, { login: 'developer', pkce: false });
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    const client = { client_id: op.clients.public.id };
    const started = await startFlow(as, client.client_id, { login: 'developer' });
    await expect(
      finishFlow(as, client, oauth.None(), started, { verifier: oauth.generateRandomCodeVerifier() }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('confidential clients may skip PKCE; a code is single-use', async () => {
    const client = { client_id: op.clients.basic.id };
    const auth = oauth.ClientSecretBasic(op.clients.basic.secret);
    const started = await startFlow(as, client.client_id, { login: 'developer', pkce: false });
    const params = oauth.validateAuthResponse(as, client, started.callback, started.state);
    const redeem = () =>
      oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT_URI, oauth.nopkce, insecure);
    await oauth.processAuthorizationCodeResponse(as, client, await redeem(), { expectedNonce: started.nonce });
    await expect(
      oauth.processAuthorizationCodeResponse(as, client, await redeem(), { expectedNonce: started.nonce }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('setAccount adds or replaces an account for the next login; unknown claims are refused', async () => {
    const client = { client_id: op.clients.basic.id };
    const auth = oauth.ClientSecretBasic(op.clients.basic.secret);
    op.setAccount('temp', { sub: 'sub-temp', email: 'temp@example.test', name: 'Temp', role: 'Owner' });
    expect(
      (await finishFlow(as, client, auth, await startFlow(as, client.client_id, { login: 'temp' }))).claims,
    ).toMatchObject({ sub: 'sub-temp', email: 'temp@example.test', role: 'Owner' });
    op.setAccount('temp', { sub: 'sub-temp', email: 'renamed@example.test', name: 'Temp', role: 'Developer' });
    expect(
      (await finishFlow(as, client, auth, await startFlow(as, client.client_id, { login: 'temp' }))).claims,
    ).toMatchObject({ sub: 'sub-temp', email: 'renamed@example.test', role: 'Developer' });
    expect(() => op.setAccount('x', { sub: 'x', email: 'x@example.test', department: 'ops' })).toThrow(/department/);
  });

  it('setIdTokenClaimsMinimal: the ID token carries only sub, UserInfo has the rest', async () => {
    const client = { client_id: op.clients.basic.id };
    op.setIdTokenClaimsMinimal(true);
    try {
      const { claims, userinfo } = await finishFlow(
        as,
        client,
        oauth.ClientSecretBasic(op.clients.basic.secret),
        await startFlow(as, client.client_id, { login: 'owner' }),
      );
      expect(claims.sub).toBe(DEFAULT_ACCOUNTS.owner!.sub);
      expect(claims).not.toHaveProperty('email');
      expect(claims).not.toHaveProperty('role');
      expect(userinfo).toMatchObject({
        email: DEFAULT_ACCOUNTS.owner!.email,
        role: 'Owner',
        name: DEFAULT_ACCOUNTS.owner!.name,
      });
    } finally {
      op.setIdTokenClaimsMinimal(false);
    }
  });

  it('custom accounts with claims of their own', async () => {
    const custom = await startTestProvider({
      accounts: { eve: { sub: 'sub-eve', email: 'eve@example.test', department: 'ops' } },
    });
    try {
      const customAs = await discover(custom.issuer);
      const client = { client_id: custom.clients.public.id };
      const { claims } = await finishFlow(
        customAs,
        client,
        oauth.None(),
        await startFlow(customAs, client.client_id, { login: 'eve' }),
      );
      expect(claims).toMatchObject({ sub: 'sub-eve', email: 'eve@example.test', department: 'ops' });
    } finally {
      await custom.close();
    }
  });
});

describe('hostile provider with oauth4webapi as the RP', () => {
  let op: HostileProvider;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  beforeAll(async () => {
    op = await startHostileProvider();
    as = await discover(op.issuer);
    client = { client_id: op.clientId };
  });
  afterAll(() => op?.close());

  const run = async (
    options: { verifier?: string; redirectUri?: string } = {},
    auth = oauth.ClientSecretBasic(op.clientSecret),
  ) => finishFlow(as, client, auth, await startFlow(as, client.client_id), options);

  it("'none' is a correct provider: the full flow passes every check", async () => {
    op.setHostility('none');
    const before = op.tokenRequests;
    const { claims, userinfo } = await run();
    expect(claims).toMatchObject({
      iss: op.issuer,
      aud: op.clientId,
      sub: HOSTILE_ACCOUNT.sub,
      email: HOSTILE_ACCOUNT.email,
    });
    expect(userinfo).toMatchObject({ sub: HOSTILE_ACCOUNT.sub, email: HOSTILE_ACCOUNT.email });
    expect(op.tokenRequests).toBe(before + 1);
    // client_secret_post works as well.
    await run({}, oauth.ClientSecretPost(op.clientSecret));
    expect(op.tokenRequests).toBe(before + 2);
  });

  const hostilities: [Hostility, RegExp | { error: string }][] = [
    ['alg_none', /unexpected JWT "alg" header parameter/],
    ['wrong_issuer', /unexpected JWT "iss" \(issuer\) claim value/],
    ['wrong_audience', /unexpected JWT "aud" \(audience\) claim value/],
    ['wrong_nonce', /unexpected ID Token "nonce" claim value/],
    ['expired', /unexpected JWT "exp" \(expiration time\) claim value/],
    ['tampered_signature', /JWT signature verification failed/],
    ['missing_kid_several_keys', /multiple applicable keys found/],
    ['userinfo_sub_mismatch', /unexpected "response" body "sub" property value/],
    ['no_id_token', /"response" body "id_token" property must be a string/],
    ['token_error', { error: 'invalid_request' }],
  ];
  it.each(hostilities)('%s makes the RP fail', async (hostility, failure) => {
    op.setHostility(hostility);
    try {
      const attempt = run();
      if (failure instanceof RegExp) await expect(attempt).rejects.toThrow(failure);
      else await expect(attempt).rejects.toMatchObject(failure);
    } finally {
      op.setHostility('none');
    }
    // …and only that: the next flow succeeds again.
    await run();
  });

  it('userinfo_sub_mismatch puts only sub in the ID token (the RP must ask UserInfo)', async () => {
    op.setHostility('userinfo_sub_mismatch');
    try {
      const started = await startFlow(as, client.client_id);
      const params = oauth.validateAuthResponse(as, client, started.callback, started.state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(op.clientSecret),
        params,
        REDIRECT_URI,
        started.verifier,
        insecure,
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: started.nonce,
        requireIdToken: true,
      });
      await oauth.validateApplicationLevelSignature(as, response, insecure);
      expect(Object.keys(oauth.getValidatedIdTokenClaims(tokens)!).sort()).toEqual([
        'aud',
        'exp',
        'iat',
        'iss',
        'nonce',
        'sub',
      ]);
    } finally {
      op.setHostility('none');
    }
  });

  it('a redeemed code is refused with invalid_grant and not counted', async () => {
    const started = await startFlow(as, client.client_id);
    await finishFlow(as, client, oauth.ClientSecretBasic(op.clientSecret), started);
    const count = op.tokenRequests;
    await expect(finishFlow(as, client, oauth.ClientSecretBasic(op.clientSecret), started)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(op.tokenRequests).toBe(count);
  });

  it('a wrong PKCE verifier, a missing one, or another redirect_uri → invalid_grant', async () => {
    await expect(run({ verifier: oauth.generateRandomCodeVerifier() })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(run({ redirectUri: 'http://127.0.0.1:9/elsewhere/oauth2/test/tokens' })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const started = await startFlow(as, client.client_id);
    const params = oauth.validateAuthResponse(as, client, started.callback, started.state);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(op.clientSecret),
      params,
      REDIRECT_URI,
      oauth.nopkce,
      insecure,
    );
    await expect(oauth.processAuthorizationCodeResponse(as, client, response)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('a wrong client secret → invalid_client (a Basic challenge for basic, the body for post)', async () => {
    await expect(run({}, oauth.ClientSecretBasic('wrong'))).rejects.toMatchObject({
      status: 401,
      cause: [{ scheme: 'basic', parameters: { error: 'invalid_client' } }],
    });
    await expect(run({}, oauth.ClientSecretPost('wrong'))).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('UserInfo refuses an unknown access token', async () => {
    const response = await oauth.userInfoRequest(as, client, 'not-a-token', insecure);
    expect(response.status).toBe(401);
    await response.arrayBuffer();
  });
});

describe('browser', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    // Sets and deletes cookies, redirects in a chain, and loops forever on /loop.
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/set')
        res.setHeader('set-cookie', [
          'a=1; Path=/; HttpOnly',
          'b=x=y; Max-Age=60',
          'gone=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
        ]);
      if (url.pathname === '/delete') res.setHeader('set-cookie', 'a=; Max-Age=0');
      if (url.pathname === '/echo') return res.end(req.headers.cookie ?? '');
      if (url.pathname === '/loop') res.writeHead(302, { location: '/loop' });
      else if (url.pathname === '/a') res.writeHead(302, { location: '/b' });
      else if (url.pathname === '/b') res.writeHead(303, { location: `${base}/c` });
      else if (url.pathname === '/post307') res.writeHead(307, { location: '/method' });
      else if (url.pathname === '/method') return res.end(req.method);
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  });

  it('keeps cookies per host:port, sends them, honours Max-Age=0 and past Expires', async () => {
    const browser = createBrowser();
    await (await browser.fetch(`${base}/set`)).arrayBuffer();
    expect(browser.cookie(base, 'a')).toBe('1');
    expect(browser.cookie(base, 'b')).toBe('x=y');
    expect(browser.cookie(base, 'gone')).toBeUndefined();
    expect(await (await browser.fetch(`${base}/echo`)).text()).toBe('a=1; b=x=y');
    const otherPort = base.replace(/:\d+$/, ':1');
    expect(browser.cookieHeader(otherPort)).toBe('');
    await (await browser.fetch(`${base}/delete`)).arrayBuffer();
    expect(browser.cookieHeader(base)).toBe('b=x=y');
  });

  it('follow records every hop and stops at a non-redirect or at stopAt', async () => {
    const browser = createBrowser();
    const all = await browser.follow(`${base}/a`);
    expect(all.hops.map((h) => [new URL(h.url).pathname, h.status])).toEqual([
      ['/a', 302],
      ['/b', 303],
      ['/c', 200],
    ]);
    expect(all.finalUrl).toBe(`${base}/c`);
    expect(await all.final.text()).toBe('ok');
    const stopped = await browser.follow(`${base}/a`, { stopAt: (url) => url.pathname === '/c' });
    expect(stopped.hops.at(-1)).toEqual({ url: `${base}/b`, status: 303, location: `${base}/c` });
    expect(stopped.final.status).toBe(303);
    await expect(browser.follow(`${base}/loop`, { maxHops: 5 })).rejects.toThrow(/more than 5 hops/);
  });

  it('follow sends init on the first request and repeats it on 307', async () => {
    const { final } = await createBrowser().follow(`${base}/post307`, { init: { method: 'POST', body: 'x' } });
    expect(await final.text()).toBe('POST');
  });
});

describe('start and stop', () => {
  const tcpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;

  it('are fast and leave no server or socket behind', async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const baseline = tcpHandles();
    const t0 = performance.now();
    const [op, hostile] = await Promise.all([startTestProvider(), startHostileProvider()]);
    const startedIn = performance.now() - t0;
    const real = await discover(op.issuer);
    await finishFlow(
      real,
      { client_id: op.clients.public.id },
      oauth.None(),
      await startFlow(real, op.clients.public.id, { login: 'owner' }),
    );
    const evil = await discover(hostile.issuer);
    await finishFlow(
      evil,
      { client_id: hostile.clientId },
      oauth.ClientSecretBasic(hostile.clientSecret),
      await startFlow(evil, hostile.clientId),
    );
    expect(tcpHandles()).toBeGreaterThan(baseline);
    await Promise.all([op.close(), hostile.close()]);
    // Client-side keep-alive sockets see the close on the next turns of the event loop.
    for (let i = 0; i < 50 && tcpHandles() > baseline; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tcpHandles()).toBeLessThanOrEqual(baseline);
    expect(startedIn).toBeLessThan(2000);
    await expect(fetch(op.discoveryUrl)).rejects.toThrow();
  });
});
