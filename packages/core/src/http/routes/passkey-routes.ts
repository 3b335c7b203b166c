import type { PasskeyRecord } from '../../ports.js';
import {
  beginPasskeyAtLogin,
  beginPasskeyRegistration,
  beginPasskeySignIn,
  finishPasskeyRegistration,
  finishPasskeySignIn,
  listPasskeys,
  removePasskey,
  renamePasskey,
  type WebauthnCeremony,
} from '../../services/index.js';
import { readJsonObject } from '../body.js';
import { deleteCookie, readCookie, serializeCookie } from '../cookies.js';
import { fromGlobalId, toGlobalId } from '../global-id.js';
import { json, noContent } from '../responses.js';
import { sessionCookies } from './auth-routes.js';
import type { RouteContext, RouteDefinition, RouteEnvironment } from './context.js';

/**
 * Passkey routes. A ceremony's options go to the page in the body; the handle that names its
 * server-side challenge goes only into an HttpOnly, SameSite=Strict cookie, so the answer is accepted
 * only from the browser that asked. The finishing request deletes the cookie whatever the outcome.
 */

/** The ceremony's options, and its handle in the cookie. */
export function ceremonyResponse(app: RouteEnvironment, ceremony: WebauthnCeremony<unknown>): Response {
  const { cookies } = app.config;
  const headers = new Headers();
  const maxAge = (ceremony.expiresAt - app.deps.clock.now()) / 1000;
  headers.append(
    'set-cookie',
    serializeCookie(cookies, cookies.names.webauthnChallenge, ceremony.handle, { maxAge, sameSite: 'Strict' }),
  );
  return json(
    { data: { options: ceremony.options, expires_at: new Date(ceremony.expiresAt).toISOString() } },
    200,
    headers,
  );
}

export function ceremonyHandle(request: Request, app: RouteEnvironment): string | null {
  return readCookie(request.headers.get('cookie'), app.config.cookies.names.webauthnChallenge);
}

/** Appends the deletion of the ceremony cookie. */
export function endCeremony(app: RouteEnvironment, headers: Headers = new Headers()): Headers {
  headers.append('set-cookie', deleteCookie(app.config.cookies, app.config.cookies.names.webauthnChallenge));
  return headers;
}

export function passkeyJson(passkey: PasskeyRecord) {
  return {
    id: toGlobalId('Passkey', passkey.id),
    name: passkey.name,
    transports: passkey.transports,
    created_at: new Date(passkey.createdAt).toISOString(),
    last_used_at: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
  };
}

const passkeyParam = (context: RouteContext) => fromGlobalId('Passkey', context.params[0]);

const loginClient = (request: Request, clientAddress: string | null) => ({
  clientAddress,
  userAgent: request.headers.get('user-agent'),
});

export const passkeyAuthRoutes: readonly RouteDefinition[] = [
  {
    // The passkey ceremony of a login's second step: the MFA challenge (cookie or body) names the user.
    method: 'POST',
    pattern: '/auth/mfa/passkey/options',
    kind: 'auth',
    async handler({ request, app }) {
      const body = await readJsonObject(request);
      const token = body.mfa_token ?? readCookie(request.headers.get('cookie'), app.config.cookies.names.mfaChallenge);
      return ceremonyResponse(app, await beginPasskeyAtLogin(app.deps, token));
    },
  },
  {
    method: 'POST',
    pattern: '/auth/passkey/options',
    kind: 'auth',
    async handler({ app }) {
      return ceremonyResponse(app, await beginPasskeySignIn(app.deps));
    },
  },
  {
    method: 'POST',
    pattern: '/auth/passkey/verify',
    kind: 'auth',
    async handler({ request, clientAddress, app }) {
      const body = await readJsonObject(request);
      const session = await finishPasskeySignIn(
        app.deps,
        ceremonyHandle(request, app),
        body.response,
        loginClient(request, clientAddress),
      );
      return noContent(endCeremony(app, sessionCookies(app, session)));
    },
  },
];

export const passkeyV1Routes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    pattern: '/v1/user/mfa/passkeys',
    kind: 'v1',
    async handler({ principal, app }) {
      return json({ data: (await listPasskeys(app.deps, principal)).map(passkeyJson) });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/user/mfa/passkeys/options',
    kind: 'v1',
    async handler({ principal, app }) {
      return ceremonyResponse(app, await beginPasskeyRegistration(app.deps, principal));
    },
  },
  {
    method: 'POST',
    pattern: '/v1/user/mfa/passkeys',
    kind: 'v1',
    async handler({ request, principal, app }) {
      const body = await readJsonObject(request);
      const passkey = await finishPasskeyRegistration(app.deps, principal, ceremonyHandle(request, app), {
        response: body.response,
        name: body.name,
      });
      return json({ data: passkeyJson(passkey) }, 201, endCeremony(app));
    },
  },
  {
    method: 'PATCH',
    pattern: '/v1/user/mfa/passkeys/{}',
    kind: 'v1',
    async handler(context) {
      const body = await readJsonObject(context.request);
      const renamed = await renamePasskey(context.app.deps, context.principal, passkeyParam(context), body.name);
      return json({ data: passkeyJson(renamed) });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/user/mfa/passkeys/{}/remove',
    kind: 'v1',
    async handler(context) {
      const body = await readJsonObject(context.request);
      await removePasskey(context.app.deps, context.principal, passkeyParam(context), body.password);
      return noContent();
    },
  },
];
