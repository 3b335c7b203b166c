import { SignJWT, jwtVerify, type JWTPayload } from 'jose';

/**
 * The two signed `state` values of the OAuth2 flows: the login state (login redirect → callback)
 * and the RP-initiated logout state (kept in an HttpOnly cookie until the IdP sends the browser back
 * to `/oauth2/<idp>/signed-out`). Both are HS256 JWTs under the same secret, short-lived, each with
 * its own JWT type so one can never pass for the other.
 */

const ISSUER = 'gatehouse';

interface StateJwt {
  sign(claims: JWTPayload): Promise<string>;
  /** The payload, or null for anything forged, expired, of another type or malformed. */
  verify(token: string): Promise<JWTPayload | null>;
}

function stateJwt(
  secret: string,
  now: () => number,
  type: string,
  ttlSeconds: number,
  requiredClaims: readonly string[],
): StateJwt {
  const key = new TextEncoder().encode(secret);
  return {
    async sign(claims) {
      const issuedAt = Math.floor(now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: type })
        .setIssuer(ISSUER)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          typ: type,
          issuer: ISSUER,
          requiredClaims: ['exp', ...requiredClaims],
          currentDate: new Date(now()),
        });
        return payload;
      } catch {
        return null;
      }
    },
  };
}

/** What the signed `state` carries from the login redirect to the callback. */
export interface OAuth2State {
  /** The IdP the login started at: a state presented at another IdP's callback is a mix-up. */
  readonly idp: string;
  /** Public origin + root path the callback URL was built from. */
  readonly originUrl: string;
  readonly returnUrl: string | null;
}

/** As long as the state cookie lives; Phoenix's state never expires. */
export const STATE_TTL_SECONDS = 15 * 60;

export interface StateCodec {
  sign(state: OAuth2State, random: string): Promise<string>;
  /** The state, or null for anything forged, expired, of another type or malformed. */
  verify(token: string): Promise<OAuth2State | null>;
}

export function createStateCodec(secret: string, now: () => number): StateCodec {
  const jwt = stateJwt(secret, now, 'gatehouse-oauth2-state+jwt', STATE_TTL_SECONDS, ['idp', 'origin_url']);
  return {
    sign: (state, random) =>
      jwt.sign({
        idp: state.idp,
        origin_url: state.originUrl,
        ...(state.returnUrl !== null ? { return_url: state.returnUrl } : {}),
        random,
      }),
    async verify(token) {
      const payload = await jwt.verify(token);
      if (payload === null) return null;
      const { idp, origin_url: originUrl, return_url: returnUrl } = payload;
      if (typeof idp !== 'string' || typeof originUrl !== 'string') return null;
      if (returnUrl !== undefined && typeof returnUrl !== 'string') return null;
      return { idp, originUrl, returnUrl: returnUrl ?? null };
    },
  };
}

/** The `state` of an RP-initiated logout: signed, bound to the IdP, short-lived. */
export interface LogoutStateCodec {
  sign(idp: string, random: string): Promise<string>;
  /** The IdP the state was issued for, or null for anything forged, expired, of another type or malformed. */
  verify(token: string): Promise<string | null>;
}

export const LOGOUT_STATE_TTL_SECONDS = 15 * 60;

export function createLogoutStateCodec(secret: string, now: () => number): LogoutStateCodec {
  const jwt = stateJwt(secret, now, 'gatehouse-oauth2-logout-state+jwt', LOGOUT_STATE_TTL_SECONDS, ['idp', 'random']);
  return {
    sign: (idp, random) => jwt.sign({ idp, random }),
    async verify(token) {
      const payload = await jwt.verify(token);
      return typeof payload?.idp === 'string' ? payload.idp : null;
    },
  };
}
