import {
  passwordLogin,
  refreshSession,
  signOut,
  requestPasswordReset,
  resetPassword,
  userIdFromRefreshToken,
  type IssuedSession,
} from '../../services/index.js';
import { readJsonObject } from '../body.js';
import { deleteCookie, readCookie, serializeCookie } from '../cookies.js';
import { json, noContent, redirect } from '../responses.js';
import type { RouteDefinition, RouteEnvironment } from './context.js';
import { OAUTH2_ERROR_MESSAGES } from '../../oauth2/flow.js';
import { mfaChallengeResponse } from './mfa-routes.js';

/** Seconds from `from` to `until` (epoch ms), rounded up so a cookie never dies before its token. */
const secondsUntil = (until: number, from: number): number => Math.max(0, Math.ceil((until - from) / 1000));

/**
 * The two login cookies (reference §2.5): HttpOnly, SameSite=Strict, Max-Age = token lifetime (shorter
 * near the session's absolute end, where the tokens are cut short too).
 */
export function sessionCookies(app: RouteEnvironment, session: IssuedSession): Headers {
  const { cookies } = app.config;
  const headers = new Headers();
  const accessMaxAge = secondsUntil(session.accessTokenExpiresAt, session.issuedAt);
  const refreshMaxAge = secondsUntil(session.refreshTokenExpiresAt, session.issuedAt);
  headers.append('set-cookie', serializeCookie(cookies, cookies.names.accessToken, session.accessToken, { maxAge: accessMaxAge, sameSite: 'Strict' }));
  headers.append('set-cookie', serializeCookie(cookies, cookies.names.refreshToken, session.refreshToken, { maxAge: refreshMaxAge, sameSite: 'Strict' }));
  return headers;
}

export function clearSessionCookies(app: RouteEnvironment, headers = new Headers(), withOAuth = false): Headers {
  const { cookies } = app.config;
  headers.append('set-cookie', deleteCookie(cookies, cookies.names.accessToken));
  headers.append('set-cookie', deleteCookie(cookies, cookies.names.refreshToken));
  if (withOAuth) {
    headers.append('set-cookie', deleteCookie(cookies, cookies.names.mfaChallenge));
    headers.append('set-cookie', deleteCookie(cookies, cookies.names.oauth2State, 'Lax'));
    headers.append('set-cookie', deleteCookie(cookies, cookies.names.oauth2Nonce, 'Lax'));
  }
  return headers;
}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

export const authRoutes: readonly RouteDefinition[] = [
  {
    method: 'POST',
    pattern: '/auth/login',
    kind: 'auth',
    async handler({ request, clientAddress, app }) {
      const body = await readJsonObject(request);
      const outcome = await passwordLogin(app.deps, { email: body.email, password: body.password }, { clientAddress, userAgent: request.headers.get('user-agent') });
      if (outcome.kind === 'mfa') return mfaChallengeResponse(app, outcome.challenge);
      return noContent(sessionCookies(app, outcome.session));
    },
  },
  ...(['GET', 'POST'] as const).map(
    (method): RouteDefinition => ({
      method,
      pattern: '/auth/logout',
      kind: 'auth',
      async handler({ request, app }) {
        const principal = await app.authenticateRequest(request);
        const refresh = readCookie(request.headers.get('cookie'), app.config.cookies.names.refreshToken);
        const userId = principal?.userId ?? (await userIdFromRefreshToken(app.deps, refresh));
        // The admin secret and system keys are not sessions: there is nothing of theirs to end.
        if (userId !== null && (principal === null || principal.kind === 'session')) await signOut(app.deps, userId);
        const target = app.prefixed(app.config.basicAuthEnabled ? '/login' : '/logout');
        return redirect(target, clearSessionCookies(app, new Headers(), true));
      },
    }),
  ),
  {
    method: 'POST',
    pattern: '/auth/refresh',
    kind: 'auth',
    async handler({ request, app }) {
      const refresh = readCookie(request.headers.get('cookie'), app.config.cookies.names.refreshToken);
      const session = await refreshSession(app.deps, refresh);
      return noContent(sessionCookies(app, session));
    },
  },
  {
    method: 'POST',
    pattern: '/auth/password-reset-email',
    kind: 'auth',
    async handler({ request, app }) {
      const body = await readJsonObject(request);
      const base = app.publicUrl;
      await requestPasswordReset(app.deps, body.email, {
        resetUrl: (token) => `${base}/reset-password-with-token?token=${encodeURIComponent(token)}`,
        background: app.background,
      });
      return noContent();
    },
  },
  {
    method: 'POST',
    pattern: '/auth/password-reset',
    kind: 'auth',
    async handler({ request, app }) {
      const body = await readJsonObject(request);
      await resetPassword(app.deps, { token: str(body.token) ?? body.token, password: body.password });
      return noContent();
    },
  },
  {
    method: 'GET',
    pattern: '/auth/config',
    kind: 'public',
    handler({ app }) {
      const { config } = app;
      return Promise.resolve(
        json({
          auth_enabled: config.enabled,
          basic_auth_enabled: config.basicAuthEnabled,
          password_reset_available: config.basicAuthEnabled && app.deps.mailer !== null,
          ldap_enabled: config.ldap !== null,
          oauth2_idps: config.oauth2.idps.map((idp) => ({ name: idp.name, display_name: idp.displayName })),
          auto_login_idp: config.oauth2.autoLoginIdp,
          management_url: config.managementUrl,
          error_messages: OAUTH2_ERROR_MESSAGES,
        }),
      );
    },
  },
];
