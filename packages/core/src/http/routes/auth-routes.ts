import {
  passwordLogin,
  refreshSession,
  refreshTokenOwner,
  signOut,
  requestPasswordReset,
  resetPassword,
  type IssuedSession,
} from '../../services/index.js';
import { readJsonObject } from '../body.js';
import { deleteCookie, readCookie, serializeCookie } from '../cookies.js';
import { json, noContent, redirect } from '../responses.js';
import type { RouteDefinition, RouteEnvironment } from './context.js';
import { OAUTH2_ERROR_MESSAGES } from '../../oauth2/flow.js';
import type { EndSessionRedirect } from '../../oauth2/idp-logout.js';
import { LOGOUT_STATE_TTL_SECONDS } from '../../oauth2/state.js';
import { mfaChallengeResponse } from './mfa-routes.js';

/** Seconds from `from` to `until` (epoch ms), rounded up so a cookie never dies before its token. */
const secondsUntil = (until: number, from: number): number => Math.max(0, Math.ceil((until - from) / 1000));

/**
 * The two login cookies (docs/phoenix-contract.md#cookies-and-bearer): HttpOnly, SameSite=Strict, Max-Age = token lifetime (shorter
 * near the session's absolute end, where the tokens are cut short too).
 */
export function sessionCookies(app: RouteEnvironment, session: IssuedSession): Headers {
  const { cookies } = app.config;
  const headers = new Headers();
  const accessMaxAge = secondsUntil(session.accessTokenExpiresAt, session.issuedAt);
  const refreshMaxAge = secondsUntil(session.refreshTokenExpiresAt, session.issuedAt);
  headers.append(
    'set-cookie',
    serializeCookie(cookies, cookies.names.accessToken, session.accessToken, {
      maxAge: accessMaxAge,
      sameSite: 'Strict',
    }),
  );
  headers.append(
    'set-cookie',
    serializeCookie(cookies, cookies.names.refreshToken, session.refreshToken, {
      maxAge: refreshMaxAge,
      sameSite: 'Strict',
    }),
  );
  return headers;
}

/** The logout-state cookie an RP-initiated logout sets: HttpOnly, Lax (it must come back from the IdP's page). */
function logoutStateCookie(app: RouteEnvironment, state: string): string {
  return serializeCookie(app.config.cookies, app.config.cookies.names.oauth2LogoutState, state, {
    maxAge: LOGOUT_STATE_TTL_SECONDS,
    sameSite: 'Lax',
  });
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

/** The login behind a session principal (the authenticator's principals carry it). */
function sessionIdOf(principal: object): number | null {
  const id = (principal as { sessionId?: unknown }).sessionId;
  return typeof id === 'number' ? id : null;
}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

export const authRoutes: readonly RouteDefinition[] = [
  {
    method: 'POST',
    pattern: '/auth/login',
    kind: 'auth',
    async handler({ request, clientAddress, app }) {
      const body = await readJsonObject(request);
      const outcome = await passwordLogin(
        app.deps,
        { email: body.email, password: body.password },
        { clientAddress, userAgent: request.headers.get('user-agent') },
      );
      if (outcome.kind === 'mfa') return mfaChallengeResponse(app, outcome.challenge);
      return noContent(sessionCookies(app, outcome.session));
    },
  },
  ...(['GET', 'POST'] as const).map((method): RouteDefinition => ({
    method,
    pattern: '/auth/logout',
    kind: 'auth',
    async handler({ request, app }) {
      const principal = await app.authenticateRequest(request);
      const refresh = readCookie(request.headers.get('cookie'), app.config.cookies.names.refreshToken);
      const owner = principal === null ? await refreshTokenOwner(app.deps, refresh) : null;
      const userId = principal?.userId ?? owner?.userId ?? null;
      const sessionId = principal !== null ? sessionIdOf(principal) : (owner?.sessionId ?? null);
      let idp: EndSessionRedirect | null = null;
      // The admin secret and system keys are not sessions: there is nothing of theirs to end.
      if (userId !== null && (principal === null || principal.kind === 'session')) {
        // Read before the logout deletes the session and its link to the IdP login.
        if (sessionId !== null && app.idpLogout) idp = await app.idpLogout.endSessionRedirect(sessionId);
        await signOut(app.deps, userId);
      }
      const headers = clearSessionCookies(app, new Headers(), true);
      if (idp !== null) {
        headers.append('set-cookie', logoutStateCookie(app, idp.state));
        return redirect(idp.location, headers);
      }
      const target = app.prefixed(app.config.basicAuthEnabled ? '/login' : '/logout');
      return redirect(target, headers);
    },
  })),
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
