/**
 * Every Set-Cookie Gatehouse emits (docs/phoenix-contract.md#cookies, #cookies-and-bearer): login, refresh, both logouts, the
 * password change, the SSO start, and the SSO callback on failure and on success. Each one must be
 * HttpOnly, host-only (no Domain), carry the configured Path, Secure exactly when configured, and
 * SameSite=Strict for session cookies, Lax for the OAuth flow cookies (they must survive the
 * top-level redirect back from the IdP). Checked on a default deployment and on one mounted under
 * PHOENIX_HOST_ROOT_PATH with PHOENIX_COOKIES_PATH and PHOENIX_USE_SECURE_COOKIES.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../oauth2/browser.js';
import { startTestProvider, type TestProvider } from '../oauth2/provider.js';
import {
  ACCESS_COOKIE,
  ADAPTERS,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createUser,
  login,
  loginSession,
  setCookiesOf,
  startServer,
  type SetCookie,
  type TestServer,
} from '../http/conformance/support.js';

const IDP = 'acme';
/** A public client: PKCE, so the code-verifier cookie is set too. */
const PKCE_IDP = 'pkce';
const STATE = 'phoenix-oauth2-state';
const NONCE = 'phoenix-oauth2-nonce';
const VERIFIER = 'phoenix-oauth2-code-verifier';
const OAUTH_COOKIES = new Set([STATE, NONCE, VERIFIER]);
/** The login waiting for its second factor: Strict like the session cookies, deleted at logout too. */
const MFA_CHALLENGE = 'phoenix-mfa-challenge';
const OAUTH_SECONDS = '900';

interface Deployment {
  label: string;
  env: Record<string, string>;
  path: string;
  secure: boolean;
  /** Where the logout and error redirects point. */
  root: string;
}

const DEPLOYMENTS: readonly Deployment[] = [
  { label: 'default', env: {}, path: '/', secure: false, root: '' },
  {
    label: 'under /app with PHOENIX_COOKIES_PATH=/app and Secure',
    env: {
      PHOENIX_HOST_ROOT_PATH: '/app',
      PHOENIX_COOKIES_PATH: '/app',
      PHOENIX_USE_SECURE_COOKIES: 'true',
      PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: '7',
    },
    path: '/app',
    secure: true,
    root: '/app',
  },
  // Phoenix's default Path is `/` whatever the root path (PHOENIX_COOKIES_PATH is its own variable).
  {
    label: 'under /app with the default cookie path',
    env: { PHOENIX_HOST_ROOT_PATH: '/app' },
    path: '/',
    secure: false,
    root: '/app',
  },
];

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => {
  await provider?.close();
});

describe.each(ADAPTERS)('%s: cookie attributes', (adapter) => {
  describe.each(DEPLOYMENTS)('$label', (deployment) => {
    let server: TestServer;
    let ttl: { access: string; refresh: string };

    beforeAll(async () => {
      const prefix = `PHOENIX_OAUTH2_${IDP.toUpperCase()}_`;
      server = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        ...deployment.env,
        [`${prefix}CLIENT_ID`]: provider.clients.basic.id,
        [`${prefix}CLIENT_SECRET`]: provider.clients.basic.secret,
        [`${prefix}OIDC_CONFIG_URL`]: provider.discoveryUrl,
        PHOENIX_OAUTH2_PKCE_CLIENT_ID: provider.clients.public.id,
        PHOENIX_OAUTH2_PKCE_TOKEN_ENDPOINT_AUTH_METHOD: 'none',
        PHOENIX_OAUTH2_PKCE_OIDC_CONFIG_URL: provider.discoveryUrl,
      });
      const { tokens } = server.gatehouse.config;
      ttl = { access: String(tokens.accessTtlSeconds), refresh: String(tokens.refreshTtlSeconds) };
    });
    afterAll(() => server?.close());

    /** Checks every Set-Cookie of a response and returns them by name ('+name' set, '-name' deleted). */
    function audit(response: Response): string[] {
      const seen: string[] = [];
      for (const cookie of setCookiesOf(response)) {
        check(cookie);
        seen.push(`${cookie.value === '' ? '-' : '+'}${cookie.name}`);
      }
      return seen.sort();
    }

    function check(cookie: SetCookie): void {
      const { attributes: a, raw } = cookie;
      const oauth = OAUTH_COOKIES.has(cookie.name);
      expect([ACCESS_COOKIE, REFRESH_COOKIE, MFA_CHALLENGE, ...OAUTH_COOKIES], raw).toContain(cookie.name);
      expect(a.has('httponly'), raw).toBe(true);
      expect(a.get('httponly'), raw).toBe('');
      expect(a.has('domain'), raw).toBe(false);
      expect(a.get('path'), raw).toBe(deployment.path);
      expect(a.has('secure'), raw).toBe(deployment.secure);
      expect(a.get('samesite'), raw).toBe(oauth ? 'Lax' : 'Strict');
      const expectedMaxAge =
        cookie.value === '' ? '0' : oauth ? OAUTH_SECONDS : cookie.name === ACCESS_COOKIE ? ttl.access : ttl.refresh;
      expect(a.get('max-age'), raw).toBe(expectedMaxAge);
      // Session tokens only ever travel in these cookies, never readable by script.
      if (cookie.value !== '' && !oauth) expect(cookie.value, raw).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    }

    it('login and refresh', async () => {
      const user = await createUser(server, 'MEMBER');
      const response = await login(server, user.email, user.password);
      expect(response.status).toBe(204);
      expect(audit(response)).toEqual([`+${ACCESS_COOKIE}`, `+${REFRESH_COOKIE}`].sort());
      const session = await loginSession(server, user.email, user.password);
      const refreshed = await call(server, 'POST', '/auth/refresh', { cookie: session });
      expect(refreshed.status).toBe(204);
      expect(audit(refreshed)).toEqual([`+${ACCESS_COOKIE}`, `+${REFRESH_COOKIE}`].sort());
    });

    it.each(['GET', 'POST'])(
      '%s /auth/logout deletes at the configured path, with the same attributes',
      async (method) => {
        const user = await createUser(server, 'MEMBER');
        const session = await loginSession(server, user.email, user.password);
        const response = await call(server, method, '/auth/logout', { cookie: session });
        expect(response.status).toBe(302);
        expect(response.headers.get('location')).toBe(`${deployment.root}/login`);
        expect(audit(response)).toEqual(
          [`-${ACCESS_COOKIE}`, `-${MFA_CHALLENGE}`, `-${NONCE}`, `-${REFRESH_COOKIE}`, `-${STATE}`].sort(),
        );
      },
    );

    it('an own password change keeps the session it was made from (its cookies untouched); the other sessions end', async () => {
      const user = await createUser(server, 'MEMBER');
      const session = await loginSession(server, user.email, user.password);
      const response = await call(server, 'PATCH', '/v1/user', {
        cookie: session,
        json: { password: 'changed-pass-1', current_password: user.password },
      });
      expect(response.status).toBe(200);
      expect(audit(response)).toEqual([]);
    });

    it.each(['GET', 'POST'])('%s /oauth2/{idp}/login sets the flow cookies (Lax, 15 min)', async (method) => {
      const confidential = await call(server, method, `/oauth2/${IDP}/login?returnUrl=%2Fprojects`);
      expect(confidential.status).toBe(302);
      expect(new URL(confidential.headers.get('location') ?? '').origin).toBe(provider.issuer);
      // Without PKCE the verifier cookie of an earlier attempt is cleared.
      expect(audit(confidential)).toEqual([`-${VERIFIER}`, `+${NONCE}`, `+${STATE}`].sort());
      const pkce = await call(server, method, `/oauth2/${PKCE_IDP}/login`);
      expect(pkce.status).toBe(302);
      expect(audit(pkce)).toEqual([`+${VERIFIER}`, `+${NONCE}`, `+${STATE}`].sort());
    });

    it('a failed callback deletes the flow cookies', async () => {
      const response = await call(server, 'GET', `/oauth2/${IDP}/tokens?code=forged&state=forged`, {
        cookie: `${STATE}=other; ${NONCE}=n`,
      });
      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe(`${deployment.root}/login?error=invalid_state`);
      expect(audit(response)).toEqual([`-${VERIFIER}`, `-${NONCE}`, `-${STATE}`].sort());
    });

    it('a successful callback sets the session cookies and deletes the flow cookies', async () => {
      const browser = createBrowser();
      const { hops } = await browser.follow(`${server.url}/oauth2/${IDP}/login`, {
        login: 'developer',
        stopAt: (url) => url.pathname.endsWith(`/oauth2/${IDP}/tokens`),
      });
      const callback = hops.at(-1)?.location;
      expect(callback).toBeTruthy();
      const response = await browser.fetch(new URL(callback!, hops.at(-1)!.url).href);
      expect(response.status).toBe(302);
      expect(audit(response)).toEqual(
        [`+${ACCESS_COOKIE}`, `-${VERIFIER}`, `-${NONCE}`, `+${REFRESH_COOKIE}`, `-${STATE}`].sort(),
      );
    });

    it('an X-Forwarded-Proto or Host from the client changes no attribute', async () => {
      const user = await createUser(server, 'MEMBER');
      const response = await login(server, user.email, user.password, {
        'x-forwarded-proto': deployment.secure ? 'http' : 'https',
        'x-forwarded-host': 'evil.example.com',
      });
      expect(audit(response)).toEqual([`+${ACCESS_COOKIE}`, `+${REFRESH_COOKIE}`].sort());
    });
  });
});
