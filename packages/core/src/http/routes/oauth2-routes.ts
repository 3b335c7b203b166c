import type { AuthConfig } from '../../config/index.js';
import type { OAuth2ErrorCode, OAuth2Flow } from '../../oauth2/flow.js';
import { OAUTH2_COOKIE_SECONDS } from '../../oauth2/flow.js';
import type { IdpLogout } from '../../oauth2/idp-logout.js';
import { NotFoundError, UnavailableError, ValidationError } from '../../errors/index.js';
import { readForm } from '../body.js';
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

/**
 * `GET|POST /oauth2/{idp}/login` and `GET /oauth2/{idp}/tokens` (docs/phoenix-contract.md#oauth2-login, #oauth2-callback), and the
 * OpenID Connect logout routes: `GET /oauth2/{idp}/signed-out` (where the IdP sends the browser
 * back after an RP-initiated logout) and `POST /oauth2/{idp}/backchannel-logout`.
 */
export function oauth2Routes(flow: OAuth2Flow, idpLogout: IdpLogout, config: AuthConfig): RouteDefinition[] {
  const login = (method: 'GET' | 'POST'): RouteDefinition => ({
    method,
    pattern: '/oauth2/{idp}/login',
    kind: 'public',
    async handler({ url, params, clientAddress, app }) {
      if (app.config.rateLimitEnabled)
        await spend(app.deps.rateLimits, app.deps.clock, 'oauth2_login', OAUTH2_LOGIN_RULE, clientAddress);
      const started = await flow.start(params[0] ?? '', app.publicUrl, url.searchParams.get('returnUrl'));
      if (!started.ok) return toLogin(app, started.code);
      const { cookies } = app.config;
      const headers = new Headers();
      const set = (name: string, value: string) =>
        headers.append(
          'set-cookie',
          serializeCookie(cookies, name, value, { maxAge: OAUTH2_COOKIE_SECONDS, sameSite: 'Lax' }),
        );
      set(cookies.names.oauth2State, started.cookies.state);
      set(cookies.names.oauth2Nonce, started.cookies.nonce);
      if (started.cookies.codeVerifier !== null) set(cookies.names.oauth2CodeVerifier, started.cookies.codeVerifier);
      else headers.append('set-cookie', deleteCookie(cookies, cookies.names.oauth2CodeVerifier, 'Lax'));
      return to(started.location, 302, headers);
    },
  });

  const callback: RouteDefinition = {
    method: 'GET',
    pattern: '/oauth2/{idp}/tokens',
    kind: 'public',
    // The browser arrives from the IdP's page: state, nonce and PKCE protect this route instead.
    csrfReferrerExempt: true,
    async handler({ request, url, params, clientAddress, app }) {
      // The router answers HEAD with GET routes; a link checker's HEAD must not redeem the code.
      if (request.method !== 'GET') throw new NotFoundError('Method not allowed', { code: 'method_not_allowed' });
      if (app.config.rateLimitEnabled)
        await spend(app.deps.rateLimits, app.deps.clock, 'oauth2_callback', OAUTH2_LOGIN_RULE, clientAddress);
      const cookieHeader = request.headers.get('cookie');
      const { names } = app.config.cookies;
      const result = await flow.callback(
        {
          idpName: params[0] ?? '',
          url,
          stateCookie: readCookie(cookieHeader, names.oauth2State),
          nonceCookie: readCookie(cookieHeader, names.oauth2Nonce),
          codeVerifierCookie: readCookie(cookieHeader, names.oauth2CodeVerifier),
          clientAddress,
          userAgent: request.headers.get('user-agent'),
        },
        app.deps,
      );
      if (!result.ok) {
        app.deps.logger.warn('oauth2: login refused', {
          idp: flow.idp(params[0] ?? '')?.name ?? '(unknown)',
          code: result.code,
          reason: result.reason,
        });
        return toLogin(app, result.code);
      }
      const headers = clearOAuthCookies(app, sessionCookies(app, result.session));
      return to(app.prefixed(result.returnUrl ?? '/'), 302, headers);
    },
  };

  const signedOut: RouteDefinition = {
    method: 'GET',
    pattern: '/oauth2/{idp}/signed-out',
    kind: 'public',
    // The browser arrives from the IdP's logout page; the state protects this route instead.
    csrfReferrerExempt: true,
    async handler({ request, url, params, app }) {
      const idpName = params[0] ?? '';
      const headers = new Headers();
      headers.append('set-cookie', deleteCookie(app.config.cookies, app.config.cookies.names.oauth2LogoutState, 'Lax'));
      if (!flow.idp(idpName)) return toLogin(app, 'unknown_idp');
      const stateCookie = readCookie(request.headers.get('cookie'), app.config.cookies.names.oauth2LogoutState);
      const page = app.prefixed(app.config.basicAuthEnabled ? '/login' : '/logout');
      if (!(await idpLogout.verifyReturn(idpName, url.searchParams.get('state'), stateCookie))) {
        app.deps.logger.warn('oauth2: return from the IdP logout without a matching state', { idp: idpName });
        return to(`${page}?error=invalid_state`, 307, headers);
      }
      return to(page, 302, headers);
    },
  };

  const backchannel: RouteDefinition = {
    method: 'POST',
    pattern: '/oauth2/{idp}/backchannel-logout',
    kind: 'public',
    // Server to server from the IdP: the logout token's signature is the credential.
    csrfReferrerExempt: true,
    async handler({ request, params, app }) {
      const form = await readForm(request);
      const result = await idpLogout.receive(params[0] ?? '', form.get('logout_token'), app.deps);
      if (!result.ok) {
        app.deps.logger.warn('oauth2: back-channel logout refused', {
          idp: flow.idp(params[0] ?? '')?.name ?? '(unknown)',
          reason: result.reason,
        });
        if (result.status === 404) throw new NotFoundError('Unknown identity provider');
        if (result.status === 503)
          throw new UnavailableError(`Back-channel logout could not be processed: ${result.reason}`);
        throw new ValidationError(`Invalid logout token: ${result.reason}`, { code: 'invalid_logout_token' });
      }
      // Back-Channel Logout 1.0 §2.8: 200, not cached.
      return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
    },
  };

  const routes = [login('GET'), login('POST'), callback, signedOut, backchannel];
  // docs/phoenix-contract.md#auto-login: with password login off, the login page itself starts the auto-login IdP
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
