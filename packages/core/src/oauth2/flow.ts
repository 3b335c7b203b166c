import * as oauth from 'oauth4webapi';
import type { AuthConfig, IdpConfig } from '../config/index.js';
import { timingSafeEqualString } from '../crypto/index.js';
import type { SsoDenialReason } from '../audit/events.js';
import { issueSession, recordSignIn, type IssuedSession, type ServiceDeps } from '../services/index.js';
import { ClientAssertionError, clientAssertionAuth } from './client-assertion.js';
import { hasSufficientClaims, parseUserInfo, pruneClaims } from './claims.js';
import { authenticationStrengthProblem } from './strength.js';
import { resolveAccess } from './access.js';
import type { Discovery, IdpEndpoint } from './discovery.js';
import type { IdTokenSeal } from './id-token-seal.js';
import { isSafeReturnUrl } from './return-url.js';
import { signInOAuth2User } from './sign-in.js';
import { createStateCodec, STATE_TTL_SECONDS } from './state.js';

/** The redirect codes of docs/phoenix-contract.md#oauth2-error-redirects; only the code reaches the URL. */
export type OAuth2ErrorCode =
  | 'unknown_idp'
  | 'auth_failed'
  | 'invalid_state'
  | 'unsafe_return_url'
  | 'oauth_error'
  | 'no_oidc_support'
  | 'missing_email_scope'
  | 'email_in_use'
  | 'sign_in_not_allowed';

export const OAUTH2_ERROR_MESSAGES: Readonly<Record<OAuth2ErrorCode, string>> = Object.freeze({
  unknown_idp: 'Unknown identity provider.',
  auth_failed: 'Authentication failed. Please contact your administrator.',
  invalid_state: 'Invalid authentication state. Please try again.',
  unsafe_return_url: 'Invalid return URL. Please try again.',
  oauth_error: 'Authentication failed. Please try again.',
  no_oidc_support:
    'Your identity provider does not appear to support OpenID Connect. Please contact your administrator.',
  missing_email_scope: "Please ensure your identity provider is configured to use the 'email' scope.",
  email_in_use: 'An account with this email already exists.',
  sign_in_not_allowed: 'Sign in is not allowed. Please contact your administrator.',
});

/** The cookies a login start sets for the callback (all short-lived, `SameSite=Lax`). */
export interface LoginCookies {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string | null;
}

export type LoginStart =
  | { readonly ok: true; readonly location: string; readonly cookies: LoginCookies }
  | { readonly ok: false; readonly code: OAuth2ErrorCode };

export interface CallbackInput {
  readonly idpName: string;
  /** The callback URL as requested: its query carries `code`, `state`, `iss`, `error`. */
  readonly url: URL;
  readonly stateCookie: string | null;
  readonly nonceCookie: string | null;
  readonly codeVerifierCookie: string | null;
  /** Recorded on the session row. */
  readonly clientAddress?: string | null;
  readonly userAgent?: string | null;
}

export type CallbackResult =
  | { readonly ok: true; readonly session: IssuedSession; readonly returnUrl: string | null }
  | { readonly ok: false; readonly code: OAuth2ErrorCode; /** for logs only */ readonly reason: string };

export interface OAuth2Flow {
  idp(name: string): IdpConfig | null;
  /** Builds the authorization redirect. `originUrl` is the public origin + root path. */
  start(idpName: string, originUrl: string, returnUrl: string | null): Promise<LoginStart>;
  /**
   * Every check of docs/phoenix-contract.md#oauth2-callback, in order, then sign-in. Never throws for IdP or user input.
   * `requestDeps`: the request's services (its audit recorder stamps the client's address).
   */
  callback(input: CallbackInput, requestDeps?: ServiceDeps): Promise<CallbackResult>;
}

export const OAUTH2_COOKIE_SECONDS = STATE_TTL_SECONDS;

const IDP_NAME = /^[a-z0-9_]+$/;

function clientAuth(idp: IdpConfig): oauth.ClientAuth {
  if (idp.tokenEndpointAuthMethod === 'none') return oauth.None();
  if (idp.tokenEndpointAuthMethod === 'client_assertion_jwt' && idp.clientAssertion)
    return clientAssertionAuth(idp.clientAssertion);
  const secret = idp.clientSecret ?? '';
  return idp.tokenEndpointAuthMethod === 'client_secret_post'
    ? oauth.ClientSecretPost(secret)
    : oauth.ClientSecretBasic(secret);
}

const usesPkce = (idp: IdpConfig): boolean => idp.usePkce || idp.tokenEndpointAuthMethod === 'none';

const fail = (code: OAuth2ErrorCode, reason: string): CallbackResult => ({ ok: false, code, reason });

/** fetch rejects with a TypeError('fetch failed') on network errors and a TimeoutError/AbortError on our timeout. */
function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    (error instanceof TypeError && error.message === 'fetch failed')
  );
}

/** An IdP-supplied error code as it may appear in a log line: short and plain, or not at all. */
const loggable = (value: string | null | undefined): string =>
  value && /^[\w.-]{1,64}$/.test(value) ? value : '(unprintable)';

/** The ID token's `sid`, when it is a usable one (the IdP's session id, for back-channel logout). */
const sidOf = (claims: Record<string, unknown>): string | null =>
  typeof claims.sid === 'string' && claims.sid.length > 0 ? claims.sid : null;

export function createOAuth2Flow(
  config: AuthConfig,
  deps: ServiceDeps,
  discovery: Discovery,
  seal: IdTokenSeal,
): OAuth2Flow {
  const byName = new Map(config.oauth2.idps.map((idp) => [idp.name, idp]));
  const states = createStateCodec(config.secret ?? '', () => deps.clock.now());
  const redirectUri = (originUrl: string, idp: IdpConfig) =>
    `${originUrl.replace(/\/+$/, '')}/oauth2/${idp.name}/tokens`;
  const idp = (name: string): IdpConfig | null => (IDP_NAME.test(name) ? (byName.get(name) ?? null) : null);

  async function start(idpName: string, originUrl: string, returnUrl: string | null): Promise<LoginStart> {
    const found = idp(idpName);
    if (!found) return { ok: false, code: 'unknown_idp' };
    let endpoint: IdpEndpoint;
    try {
      endpoint = await discovery.get(found);
    } catch (error) {
      deps.logger.warn('oauth2: discovery failed at login', {
        idp: found.name,
        error: error instanceof Error ? error.message : 'unknown',
      });
      return { ok: false, code: 'oauth_error' };
    }
    const nonce = oauth.generateRandomNonce();
    const state = await states.sign({ idp: found.name, originUrl, returnUrl }, oauth.generateRandomState());
    const codeVerifier = usesPkce(found) ? oauth.generateRandomCodeVerifier() : null;
    const location = new URL(endpoint.as.authorization_endpoint!);
    const params = location.searchParams;
    params.set('response_type', 'code');
    params.set('client_id', found.clientId);
    params.set('redirect_uri', redirectUri(originUrl, found));
    params.set('scope', found.scopes.join(' '));
    params.set('state', state);
    params.set('nonce', nonce);
    // Ask for the strength that the callback will insist on.
    if (found.requiredAcr.length > 0) params.set('acr_values', found.requiredAcr.join(' '));
    if (codeVerifier !== null) {
      params.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
      params.set('code_challenge_method', 'S256');
    }
    return { ok: true, location: location.href, cookies: { state, nonce, codeVerifier } };
  }

  /** The callback, with its outcome in the audit trail: a session, or why SSO was denied. */
  async function callback(input: CallbackInput, requestDeps: ServiceDeps = deps): Promise<CallbackResult> {
    const result = await check(input, requestDeps);
    const idpName = idp(input.idpName)?.name ?? '(unknown)';
    if (result.ok) recordSignIn(requestDeps, result.session, 'oauth2', idpName);
    else {
      const reason: SsoDenialReason = result.code;
      requestDeps.audit.record({
        type: 'sso.denied',
        actor: { kind: 'anonymous', userId: null },
        subjectUserId: null,
        details: { idp: idpName, reason, detail: result.reason },
      });
    }
    return result;
  }

  async function check(input: CallbackInput, requestDeps: ServiceDeps): Promise<CallbackResult> {
    const found = idp(input.idpName);
    if (!found) return fail('unknown_idp', 'unknown IdP');
    const query = input.url.searchParams;
    if (query.has('error') || query.has('error_description'))
      return fail('auth_failed', `IdP error ${loggable(query.get('error'))}`);
    const code = query.get('code');
    if (!code) return fail('auth_failed', 'no code');
    const queryState = query.get('state');
    // Stricter than Phoenix (a 422 there): a missing state or cookie is a bad state.
    if (!queryState || !input.stateCookie || !input.nonceCookie) return fail('invalid_state', 'state or nonce missing');
    if (!timingSafeEqualString(queryState, input.stateCookie))
      return fail('invalid_state', 'state does not match its cookie');
    const state = await states.verify(queryState);
    if (!state) return fail('invalid_state', 'state forged or expired');
    if (state.idp !== found.name) return fail('invalid_state', 'state issued for another IdP');
    if (state.returnUrl !== null && !isSafeReturnUrl(state.returnUrl))
      return fail('unsafe_return_url', 'unsafe return URL');
    if (usesPkce(found) && !input.codeVerifierCookie) return fail('auth_failed', 'PKCE verifier cookie missing');

    let endpoint: IdpEndpoint;
    try {
      endpoint = await discovery.get(found);
    } catch {
      return fail('oauth_error', 'discovery failed');
    }
    const { as, requestOptions } = endpoint;
    const client: oauth.Client = { client_id: found.clientId };
    const options = { ...requestOptions, signal: requestOptions.signal() };

    let tokens: oauth.TokenEndpointResponse;
    try {
      // Checks `state` again and, when the IdP supports it, the `iss` parameter (mix-up defence).
      const params = oauth.validateAuthResponse(as, client, input.url, queryState);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth(found),
        params,
        redirectUri(state.originUrl, found),
        input.codeVerifierCookie ?? oauth.nopkce,
        options,
      );
      // A plain OAuth 2.0 server answers tokens without an ID token: tell that apart from a bad one.
      const peek = (await response
        .clone()
        .json()
        .catch(() => null)) as { access_token?: unknown; token_type?: unknown; id_token?: unknown } | null;
      if (response.ok && typeof peek?.access_token === 'string') {
        // docs/phoenix-contract.md#oauth2-callback steps 8 then 9: a Bearer token (oauth4webapi would also take DPoP), then an ID token.
        if (typeof peek.token_type !== 'string' || peek.token_type.toLowerCase() !== 'bearer')
          return fail('auth_failed', 'token_type is not bearer');
        if (peek.id_token === undefined) return fail('no_oidc_support', 'no ID token');
      }
      tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: input.nonceCookie,
        requireIdToken: true,
      });
      // oauth4webapi checked iss, aud, exp, iat, nonce and alg; the signature is ours to check.
      await oauth.validateApplicationLevelSignature(as, response, {
        ...requestOptions,
        signal: requestOptions.signal(),
      });
    } catch (error) {
      // Our side could not authenticate (the assertion file): "please try again", the file may be rotating.
      if (error instanceof ClientAssertionError) return fail('oauth_error', error.message);
      if (error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError)
        return fail('oauth_error', `IdP refused: ${loggable(error.error)}`);
      // A 401 with `WWW-Authenticate` (client authentication refused) is a protocol error too.
      if (error instanceof oauth.WWWAuthenticateChallengeError)
        return fail('oauth_error', 'IdP refused the client authentication');
      // The IdP did not answer (network error, timeout): a passing outage, "please try again".
      if (isNetworkFailure(error)) return fail('oauth_error', 'IdP unreachable or too slow');
      return fail('auth_failed', `token or ID token rejected: ${error instanceof Error ? error.message : 'unknown'}`);
    }
    const idClaims = oauth.getValidatedIdTokenClaims(tokens)! as Record<string, unknown>;
    const weak = authenticationStrengthProblem(idClaims, found);
    if (weak !== null) return fail('auth_failed', weak);

    let claims: Record<string, unknown> = pruneClaims(idClaims);
    if (!hasSufficientClaims(claims, found) && as.userinfo_endpoint) {
      try {
        const response = await oauth.userInfoRequest(as, client, tokens.access_token, {
          ...requestOptions,
          signal: requestOptions.signal(),
        });
        const signed = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('application/jwt');
        const userInfo = await oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, response);
        // A signed UserInfo answer is only as good as its signature (JSON ones travel over TLS).
        if (signed)
          await oauth.validateApplicationLevelSignature(as, response, {
            ...requestOptions,
            signal: requestOptions.signal(),
          });
        // A UserInfo answer about somebody else is an attack, not an outage: refuse, do not fall back.
        if (String(userInfo.sub) !== String(idClaims.sub))
          return fail('auth_failed', 'UserInfo sub does not match the ID token');
        claims = pruneClaims({ ...userInfo, ...idClaims });
      } catch {
        deps.logger.warn('oauth2: UserInfo failed, using the ID token claims', { idp: found.name });
      }
    }

    const parsed = parseUserInfo(claims, found);
    if (!parsed.ok) return fail('missing_email_scope', parsed.reason);
    const access = resolveAccess(claims, found);
    if (!access.allowed) return fail('auth_failed', access.reason);
    // `email_verified` speaks for the `email` claim only: with another EMAIL_ATTRIBUTE_PATH it proves nothing.
    const emailVerified = found.emailPath.expression === 'email' && claims.email_verified === true;
    const signedIn = await signInOAuth2User(requestDeps, found, {
      info: parsed.info,
      role: access.role,
      emailVerified,
    });
    if (!signedIn.ok) return fail(signedIn.code, signedIn.code);
    // The IdP's logout finds this session by sub and sid; the ID token itself is kept (sealed) only
    // where a sign-out will send it back as id_token_hint.
    const sealedIdToken = found.rpInitiatedLogout && tokens.id_token ? await seal.seal(tokens.id_token) : null;
    const session = await issueSession(requestDeps, signedIn.user, {
      signInMethod: 'oauth2',
      idp: found.name,
      clientAddress: input.clientAddress ?? null,
      userAgent: input.userAgent ?? null,
      idpLink: { idp: found.name, subject: String(idClaims.sub), sid: sidOf(idClaims), sealedIdToken },
    });
    return { ok: true, session, returnUrl: state.returnUrl };
  }

  return { idp, start, callback };
}
