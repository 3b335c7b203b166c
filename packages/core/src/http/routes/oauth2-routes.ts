import type { AuthConfig } from '../../config/index.js';
import type { OAuth2ErrorCode, OAuth2Flow } from '../../oauth2/flow.js';
import { OAUTH2_COOKIE_SECONDS } from '../../oauth2/flow.js';
import { NotFoundError } from '../../errors/index.js';
import { deleteCookie, readCookie, serializeCookie } from '../cookies.js';
import { OAUTH2_LOGIN_RULE, spend } from '../rate-limits.js';
import { sessionCookies } from './auth-routes.js';
import type { RouteDefinition, RouteEnvironment } from './context.js';

function clearOAuthCookies(app: RouteEnvironment, headers: Headers): Headers {
  const { cookies } = app.config;
  for (const name of [cookies.names.oauth2State, cookies.names.oauth2Nonce, cookies.names.oauth2CodeVerifier]) {
    headers.append('set-cookie', deleteCookie(cookies, name, 'Lax'));
  }
  return headers;
}

function to(location: string, status: number, headers: Headers): Response {
  headers.set('location', location);
  headers.set('cache-control', 'no-store');
  return new Response(null, { status, headers });
}

/** 307 to the login page (or `/logout` without basic auth, so auto-login cannot loop), code only. */
function toLogin(app: RouteEnvironment, code: OAuth2ErrorCode): Response {
  const page = app.config.basicAuthEnabled ? '/login' : '/logout';
  return to(`${app.prefixed(page)}?error=${code}`, 307, clearOAuthCookies(app, new Headers()));
}

/** `GET|POST /oauth2/{idp}/login` and `GET /oauth2/{idp}/tokens` (reference §4.8.1–4.8.2). */
export function oauth2Routes(flow: OAuth2Flow, config: AuthConfig): RouteDefinition[] {
  const login = (method: 'GET' | 'POST'): RouteDefinition => ({
    method,
    pattern: '/oauth2/{}/login',
    kind: 'public',
    async handler({ url, params, clientAddress, app }) {
      if (app.config.rateLimitEnabled) await spend(app.deps.rateLimits, app.deps.clock, 'oauth2_login', OAUTH2_LOGIN_RULE, clientAddress);
      const started = await flow.start(params[0] ?? '', app.publicUrl, url.searchParams.get('returnUrl'));
      if (!started.ok) return toLogin(app, started.code);
      const { cookies } = app.config;
      const headers = new Headers();
      const set = (name: string, value: string) =>
        headers.append('set-cookie', serializeCookie(cookies, name, value, { maxAge: OAUTH2_COOKIE_SECONDS, sameSite: 'Lax' }));
      set(cookies.names.oauth2State, started.cookies.state);
      set(cookies.names.oauth2Nonce, started.cookies.nonce);
      if (started.cookies.codeVerifier !== null) set(cookies.names.oauth2CodeVerifier, started.cookies.codeVerifier);
      else headers.append('set-cookie', deleteCookie(cookies, cookies.names.oauth2CodeVerifier, 'Lax'));
      return to(started.location, 302, headers);
    },
  });

  const callback: RouteDefinition = {
    method: 'GET',
    pattern: '/oauth2/{}/tokens',
    kind: 'public',
    // The browser arrives from the IdP's page: state, nonce and PKCE protect this route instead.
    csrfReferrerExempt: true,
    async handler({ request, url, params, clientAddress, app }) {
      // The router answers HEAD with GET routes; a link checker's HEAD must not redeem the code.
      if (request.method !== 'GET') throw new NotFoundError('Method not allowed', undefined, 'method_not_allowed');
      if (app.config.rateLimitEnabled) await spend(app.deps.rateLimits, app.deps.clock, 'oauth2_callback', OAUTH2_LOGIN_RULE, clientAddress);
      const cookieHeader = request.headers.get('cookie');
      const { names } = app.config.cookies;
      const result = await flow.callback({
        idpName: params[0] ?? '',
        url,
        stateCookie: readCookie(cookieHeader, names.oauth2State),
        nonceCookie: readCookie(cookieHeader, names.oauth2Nonce),
        codeVerifierCookie: readCookie(cookieHeader, names.oauth2CodeVerifier),
        clientAddress,
        userAgent: request.headers.get('user-agent'),
      }, app.deps);
      if (!result.ok) {
        app.deps.logger.warn('oauth2: login refused', { idp: flow.idp(params[0] ?? '')?.name ?? '(unknown)', code: result.code, reason: result.reason });
        return toLogin(app, result.code);
      }
      const headers = clearOAuthCookies(app, sessionCookies(app, result.session));
      return to(app.prefixed(result.returnUrl ?? '/'), 302, headers);
    },
  };

  const routes = [login('GET'), login('POST'), callback];
  // Reference §4.8.7: with password login off, the login page itself starts the auto-login IdP
  // (the query, and so `returnUrl`, carried along). Errors and logout go to /logout, so no loop.
  if (!config.basicAuthEnabled && config.oauth2.autoLoginIdp !== null) {
    const target = `/oauth2/${config.oauth2.autoLoginIdp}/login`;
    routes.push({
      method: 'GET',
      pattern: '/login',
      kind: 'public',
      handler({ url, app }) {
        return Promise.resolve(to(`${app.prefixed(target)}${url.search}`, 302, new Headers()));
      },
    });
  }
  return routes;
}
