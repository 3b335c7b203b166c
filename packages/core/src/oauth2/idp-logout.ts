import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig, IdpConfig } from '../config/index.js';
import { timingSafeEqualString } from '../crypto/index.js';
import { endIdpSessions, type ServiceDeps } from '../services/index.js';
import { isAllowedIdpUrl, type Discovery } from './discovery.js';
import type { IdTokenSeal } from './id-token-seal.js';
import { createLogoutStateCodec } from './state.js';
import { logoutTokenAlgorithms, validateLogoutToken } from './logout-token.js';

/** Where a sign-out sends the browser to end the IdP's session too, and the state cookie to set. */
export interface EndSessionRedirect {
  readonly idp: string;
  readonly location: string;
  readonly state: string;
}

export type BackchannelResult =
  | { readonly ok: true; readonly ended: number }
  | {
      readonly ok: false;
      readonly status: 400 | 404 | 503;
      /** for logs and the IdP, never a secret */ readonly reason: string;
    };

export interface IdpLogout {
  /**
   * The IdP logout a sign-out of this session should go through (call it before the session is
   * deleted), or null for a local sign-out only: not an OIDC session, logout not enabled for its
   * IdP, or no `end_session_endpoint` (discovery failing never blocks a sign-out).
   */
  endSessionRedirect(sessionId: number): Promise<EndSessionRedirect | null>;
  /** The path of the post-logout redirect, relative to the public URL. */
  returnPath(idp: IdpConfig): string;
  /** Whether the browser came back from `idpName` with the state this instance sent it away with. */
  verifyReturn(idpName: string, queryState: string | null, stateCookie: string | null): Promise<boolean>;
  /**
   * `POST /oauth2/<idp>/backchannel-logout`: validates the logout token fully, then ends the sessions it
   * names. `requestDeps`: the request's services (its audit recorder stamps the caller's address).
   */
  receive(idpName: string, logoutToken: string | null, requestDeps?: ServiceDeps): Promise<BackchannelResult>;
}

export interface IdpLogoutOptions {
  /** Per request for the IdP's keys. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** A logout token older than this is refused, and its `jti` is remembered this long. */
const MAX_AGE_SECONDS = 10 * 60;
const CLOCK_TOLERANCE_SECONDS = 60;
const IDP_NAME = /^[a-z0-9_]+$/;

export function createIdpLogout(
  config: AuthConfig,
  deps: ServiceDeps,
  discovery: Discovery,
  seal: IdTokenSeal,
  options: IdpLogoutOptions = {},
): IdpLogout {
  const byName = new Map(config.oauth2.idps.map((idp) => [idp.name, idp]));
  const idpNamed = (name: string): IdpConfig | null => (IDP_NAME.test(name) ? (byName.get(name) ?? null) : null);
  const states = createLogoutStateCodec(config.secret ?? '', () => deps.clock.now());
  const timeoutMs = options.timeoutMs ?? 10_000;
  // One key set per jwks_uri, as the ID tokens' library keeps: refetched on an unknown kid, at most every 30 s.
  const keySets = new Map<string, JWTVerifyGetKey>();
  const keysAt = (jwksUri: string): JWTVerifyGetKey => {
    let keys = keySets.get(jwksUri);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: timeoutMs,
        cooldownDuration: 30_000,
        cacheMaxAge: 10 * 60_000,
      });
      keySets.set(jwksUri, keys);
    }
    return keys;
  };
  const returnPath = (idp: IdpConfig) => `/oauth2/${idp.name}/signed-out`;

  async function endSessionRedirect(sessionId: number): Promise<EndSessionRedirect | null> {
    const link = await deps.store.findIdpSessionLink(sessionId);
    const idp = link ? idpNamed(link.idp) : null;
    if (!link || !idp?.rpInitiatedLogout) return null;
    let endpoint: string | undefined;
    try {
      endpoint = (await discovery.get(idp)).as.end_session_endpoint;
    } catch {
      deps.logger.warn('oauth2: discovery failed at sign-out, the IdP session stays', { idp: idp.name });
      return null;
    }
    if (!endpoint || !isAllowedIdpUrl(new URL(endpoint))) {
      deps.logger.warn('oauth2: the IdP announces no usable end_session_endpoint, the IdP session stays', {
        idp: idp.name,
      });
      return null;
    }
    const state = await states.sign(idp.name, oauth.generateRandomState());
    const location = new URL(endpoint);
    const params = location.searchParams;
    const idToken = link.sealedIdToken === null ? null : await seal.open(link.sealedIdToken);
    // Without the hint (kept under another secret) the IdP may ask the user to confirm; client_id
    // still names the post-logout redirect's client.
    if (idToken !== null) params.set('id_token_hint', idToken);
    params.set('client_id', idp.clientId);
    params.set('post_logout_redirect_uri', `${config.publicUrl}${returnPath(idp)}`);
    params.set('state', state);
    return { idp: idp.name, location: location.href, state };
  }

  async function verifyReturn(
    idpName: string,
    queryState: string | null,
    stateCookie: string | null,
  ): Promise<boolean> {
    const idp = idpNamed(idpName);
    if (!idp || !queryState || !stateCookie || !timingSafeEqualString(queryState, stateCookie)) return false;
    return (await states.verify(queryState)) === idp.name;
  }

  async function receive(
    idpName: string,
    logoutToken: string | null,
    requestDeps: ServiceDeps = deps,
  ): Promise<BackchannelResult> {
    const idp = idpNamed(idpName);
    if (!idp) return { ok: false, status: 404, reason: 'unknown IdP' };
    if (!logoutToken) return { ok: false, status: 400, reason: 'logout_token missing' };
    let as: oauth.AuthorizationServer;
    try {
      ({ as } = await discovery.get(idp));
    } catch {
      return { ok: false, status: 503, reason: 'IdP discovery failed' };
    }
    if (!as.jwks_uri || !isAllowedIdpUrl(new URL(as.jwks_uri)))
      return { ok: false, status: 503, reason: 'IdP has no usable jwks_uri' };
    const now = deps.clock.now();
    const result = await validateLogoutToken(logoutToken, keysAt(as.jwks_uri), {
      issuer: as.issuer,
      audience: idp.clientId,
      algorithms: logoutTokenAlgorithms(as.id_token_signing_alg_values_supported),
      now,
      maxAgeSeconds: MAX_AGE_SECONDS,
      clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    });
    if (!result.ok) return { ok: false, status: result.unavailable ? 503 : 400, reason: result.reason };
    const { claims } = result;
    // Past this the token is refused as too old whatever its exp, so its jti need not be remembered longer.
    const rememberUntil = (claims.issuedAt + MAX_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000;
    const outcome = await endIdpSessions(requestDeps, {
      idp: idp.name,
      issuer: claims.issuer,
      jti: claims.jti,
      rememberUntil,
      subject: claims.subject,
      sid: claims.sid,
    });
    if (outcome.kind === 'replayed')
      return { ok: false, status: 400, reason: 'logout token replayed (jti already used)' };
    deps.logger.info('oauth2: back-channel logout', {
      idp: idp.name,
      sessions: outcome.sessionIds.length,
      by: claims.sid !== null ? 'sid' : 'sub',
    });
    return { ok: true, ended: outcome.sessionIds.length };
  }

  return { endSessionRedirect, returnPath, verifyReturn, receive };
}
