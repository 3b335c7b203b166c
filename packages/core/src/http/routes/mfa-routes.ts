import {
  beginEnrolmentAtLogin,
  beginTotpEnrolment,
  completeMfaLogin,
  confirmEnrolmentAtLogin,
  confirmTotpEnrolment,
  getMfaStatus,
  regenerateRecoveryCodes,
  removeTotp,
  resetUserMfa,
  type MfaChallenge,
  type TotpEnrolmentStart,
} from '../../services/index.js';
import { readJsonObject } from '../body.js';
import { deleteCookie, readCookie, serializeCookie } from '../cookies.js';
import { fromGlobalId } from '../global-id.js';
import { json, noContent } from '../responses.js';
import { sessionCookies } from './auth-routes.js';
import { ceremonyHandle, endCeremony } from './passkey-routes.js';
import type { RouteContext, RouteDefinition, RouteEnvironment } from './context.js';

/**
 * The answer to a right password when a second step follows: 200 (not the 204 of a finished login)
 * with the challenge token in the body, for API clients, and in an HttpOnly cookie, for pages.
 */
export function mfaChallengeResponse(app: RouteEnvironment, challenge: MfaChallenge): Response {
  const { cookies } = app.config;
  const headers = new Headers();
  const maxAge = (challenge.expiresAt - app.deps.clock.now()) / 1000;
  headers.append(
    'set-cookie',
    serializeCookie(cookies, cookies.names.mfaChallenge, challenge.token, { maxAge, sameSite: 'Strict' }),
  );
  return json(
    {
      mfa_required: true,
      purpose: challenge.purpose,
      mfa_token: challenge.token,
      expires_at: new Date(challenge.expiresAt).toISOString(),
      methods: challenge.methods,
    },
    200,
    headers,
  );
}

/** The challenge token: the body's `mfa_token`, else the cookie. */
function challengeToken(request: Request, app: RouteEnvironment, body: Record<string, unknown>): unknown {
  return body.mfa_token ?? readCookie(request.headers.get('cookie'), app.config.cookies.names.mfaChallenge);
}

/** The login is finished: session cookies, and the challenge cookie goes. */
function finished(app: RouteEnvironment, headers: Headers): Headers {
  headers.append('set-cookie', deleteCookie(app.config.cookies, app.config.cookies.names.mfaChallenge));
  return headers;
}

function enrolmentJson(start: TotpEnrolmentStart) {
  return { data: { secret: start.secret, otpauth_uri: start.uri, qr_svg: start.qrSvg } };
}

/** The request finishing a login: its session records this address and user agent, as `POST /auth/login`'s would. */
const loginClient = (request: Request, clientAddress: string | null) => ({
  clientAddress,
  userAgent: request.headers.get('user-agent'),
});

const factorInput = (body: Record<string, unknown>, request?: Request, app?: RouteEnvironment) => ({
  code: body.code,
  recoveryCode: body.recovery_code,
  ...(request && app ? { passkey: body.passkey, webauthnHandle: ceremonyHandle(request, app) } : {}),
});

export const mfaAuthRoutes: readonly RouteDefinition[] = [
  {
    method: 'POST',
    pattern: '/auth/mfa/verify',
    kind: 'auth',
    async handler({ request, clientAddress, app }) {
      const body = await readJsonObject(request);
      const outcome = await completeMfaLogin(
        app.deps,
        challengeToken(request, app, body),
        factorInput(body, request, app),
        loginClient(request, clientAddress),
      );
      const headers = finished(app, sessionCookies(app, outcome.session));
      if (outcome.method === 'passkey') endCeremony(app, headers);
      return json(
        { data: { method: outcome.method, recovery_codes_remaining: outcome.recoveryCodesRemaining } },
        200,
        headers,
      );
    },
  },
  {
    method: 'POST',
    pattern: '/auth/mfa/enroll',
    kind: 'auth',
    async handler({ request, app }) {
      const body = await readJsonObject(request);
      return json(enrolmentJson(await beginEnrolmentAtLogin(app.deps, challengeToken(request, app, body))));
    },
  },
  {
    method: 'POST',
    pattern: '/auth/mfa/enroll/confirm',
    kind: 'auth',
    async handler({ request, clientAddress, app }) {
      const body = await readJsonObject(request);
      const outcome = await confirmEnrolmentAtLogin(
        app.deps,
        challengeToken(request, app, body),
        body.code,
        loginClient(request, clientAddress),
      );
      return json(
        { data: { recovery_codes: outcome.recoveryCodes } },
        200,
        finished(app, sessionCookies(app, outcome.session)),
      );
    },
  },
];

function userParam(context: RouteContext): number {
  return fromGlobalId('User', context.params[0]);
}

export const mfaV1Routes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    pattern: '/v1/user/mfa',
    kind: 'v1',
    async handler({ principal, app }) {
      const status = await getMfaStatus(app.deps, principal);
      return json({
        data: {
          available: status.available,
          required: status.required,
          totp: {
            enrolled: status.totp.enrolled,
            confirmed_at: status.totp.confirmedAt === null ? null : new Date(status.totp.confirmedAt).toISOString(),
          },
          recovery_codes_remaining: status.recoveryCodesRemaining,
          passkeys: status.passkeys,
        },
      });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/user/mfa/totp',
    kind: 'v1',
    async handler({ principal, app }) {
      return json(enrolmentJson(await beginTotpEnrolment(app.deps, principal)));
    },
  },
  {
    method: 'POST',
    pattern: '/v1/user/mfa/totp/confirm',
    kind: 'v1',
    async handler({ request, principal, app }) {
      const body = await readJsonObject(request);
      return json({ data: { recovery_codes: await confirmTotpEnrolment(app.deps, principal, body.code) } });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/user/mfa/totp/remove',
    kind: 'v1',
    async handler({ request, principal, app }) {
      const body = await readJsonObject(request);
      await removeTotp(app.deps, principal, factorInput(body));
      return noContent();
    },
  },
  {
    method: 'POST',
    pattern: '/v1/user/mfa/recovery-codes',
    kind: 'v1',
    async handler({ request, principal, app }) {
      const body = await readJsonObject(request);
      return json({ data: { recovery_codes: await regenerateRecoveryCodes(app.deps, principal, factorInput(body)) } });
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/users/{id}/mfa',
    kind: 'v1',
    async handler(context) {
      await resetUserMfa(context.app.deps, context.principal, userParam(context));
      return noContent();
    },
  },
];
