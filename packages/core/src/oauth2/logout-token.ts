import { decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/** The event a logout token must carry (OpenID Connect Back-Channel Logout 1.0, §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What a valid logout token says: who is logged out at the IdP, and the id that makes it single-use. */
export interface LogoutTokenClaims {
  readonly issuer: string;
  readonly jti: string;
  readonly subject: string | null;
  readonly sid: string | null;
  /** Epoch seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number | null;
}

export type LogoutTokenResult =
  | { readonly ok: true; readonly claims: LogoutTokenClaims }
  /** `unavailable`: the IdP's keys could not be fetched, so nothing was decided (the IdP may retry). */
  | { readonly ok: false; readonly reason: string; readonly unavailable: boolean };

export interface LogoutTokenExpectations {
  /** The issuer of the IdP's discovery document. */
  readonly issuer: string;
  /** Our client id at the IdP. */
  readonly audience: string;
  /** Signature algorithms accepted: the ones its ID tokens may use, never `none` or an HMAC. */
  readonly algorithms: readonly string[];
  /** Epoch ms. */
  readonly now: number;
  /** A token issued longer ago than this is refused, so the replay cache need not remember forever. */
  readonly maxAgeSeconds: number;
  readonly clockToleranceSeconds: number;
}

/** Asymmetric JWS algorithms jose and oauth4webapi both verify; ID tokens are held to the same list. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'Ed25519',
  'EdDSA',
] as const;

/** The algorithms a logout token may be signed with: those the IdP announces for ID tokens (RS256 if none), asymmetric only. */
export function logoutTokenAlgorithms(announced: readonly string[] | undefined): string[] {
  const allowed = new Set<string>(ASYMMETRIC_ALGORITHMS);
  return (announced && announced.length > 0 ? announced : ['RS256']).filter((alg) => allowed.has(alg));
}

const refuse = (reason: string): LogoutTokenResult => ({ ok: false, reason, unavailable: false });

function isKeyFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    (error instanceof TypeError && error.message === 'fetch failed')
  );
}

const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * Every check of Back-Channel Logout 1.0 §2.6: a JWS (never unsigned, never an HMAC) signed by one
 * of the IdP's keys, `typ` `logout+jwt` when a `typ` is given, `iss` the IdP, `aud` our client,
 * `iat` present and recent, `exp` not passed when present, the back-channel logout event, no
 * `nonce` (an ID token is not a logout token), a `sub` and/or a `sid`, and a `jti`. Replay is the
 * caller's to refuse: it needs shared state.
 */
export async function validateLogoutToken(
  token: string,
  keys: JWTVerifyGetKey,
  expected: LogoutTokenExpectations,
): Promise<LogoutTokenResult> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return refuse('not a JWS');
  }
  if (token.split('.').length !== 3) return refuse('not a compact JWS');
  if (typeof header.alg !== 'string' || !expected.algorithms.includes(header.alg))
    return refuse('signature algorithm not allowed');
  if (header.typ !== undefined) {
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
    if (typ !== 'logout+jwt' && typ !== 'application/logout+jwt') return refuse('typ is not logout+jwt');
  }

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: [...expected.algorithms],
      issuer: expected.issuer,
      audience: expected.audience,
      requiredClaims: ['iat', 'jti', 'events'],
      maxTokenAge: expected.maxAgeSeconds,
      clockTolerance: expected.clockToleranceSeconds,
      currentDate: new Date(expected.now),
    }));
  } catch (error) {
    if (isKeyFetchFailure(error))
      return { ok: false, reason: "the IdP's keys could not be fetched", unavailable: true };
    if (error instanceof errors.JWTExpired) return refuse('expired or too old');
    if (error instanceof errors.JWTClaimValidationFailed) return refuse(`claim ${error.claim} not valid`);
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
      return refuse('no single key of the IdP matches');
    if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('signature not valid');
    return refuse('not a valid JWT');
  }

  const events = payload.events;
  if (typeof events !== 'object' || events === null || Array.isArray(events)) return refuse('events is not an object');
  const event = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT];
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return refuse('events lacks the back-channel logout event');
  if ('nonce' in payload) return refuse('a logout token carries no nonce');
  if (!nonEmptyString(payload.jti)) return refuse('jti missing');
  const { sub, sid } = payload;
  if (sub !== undefined && !nonEmptyString(sub)) return refuse('sub not a string');
  if (sid !== undefined && !nonEmptyString(sid)) return refuse('sid not a string');
  if (sub === undefined && sid === undefined) return refuse('neither sub nor sid');
  // jose has checked iat: present, not in the future, not older than maxAgeSeconds.
  const iat = payload.iat as number;
  return {
    ok: true,
    claims: {
      issuer: expected.issuer,
      jti: payload.jti,
      subject: sub ?? null,
      sid: sid ?? null,
      issuedAt: iat,
      expiresAt: typeof payload.exp === 'number' ? payload.exp : null,
    },
  };
}
