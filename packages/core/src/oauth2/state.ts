import { SignJWT, jwtVerify } from 'jose';

/** What the signed `state` carries from the login redirect to the callback. */
export interface OAuth2State {
  /** The IdP the login started at: a state presented at another IdP's callback is a mix-up. */
  readonly idp: string;
  /** Public origin + root path the callback URL was built from. */
  readonly originUrl: string;
  readonly returnUrl: string | null;
}

const TYPE = 'gatehouse-oauth2-state+jwt';
const ISSUER = 'gatehouse';
/** As long as the state cookie lives; Phoenix's state never expires. */
export const STATE_TTL_SECONDS = 15 * 60;

export interface StateCodec {
  sign(state: OAuth2State, random: string): Promise<string>;
  /** The state, or null for anything forged, expired, of another type or malformed. */
  verify(token: string): Promise<OAuth2State | null>;
}

export function createStateCodec(secret: string, now: () => number): StateCodec {
  const key = new TextEncoder().encode(secret);
  return {
    async sign(state, random) {
      const issuedAt = Math.floor(now() / 1000);
      return new SignJWT({
        idp: state.idp,
        origin_url: state.originUrl,
        ...(state.returnUrl !== null ? { return_url: state.returnUrl } : {}),
        random,
      })
        .setProtectedHeader({ alg: 'HS256', typ: TYPE })
        .setIssuer(ISSUER)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + STATE_TTL_SECONDS)
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          typ: TYPE,
          issuer: ISSUER,
          requiredClaims: ['exp', 'idp', 'origin_url'],
          currentDate: new Date(now()),
        });
        const { idp, origin_url: originUrl, return_url: returnUrl } = payload;
        if (typeof idp !== 'string' || typeof originUrl !== 'string') return null;
        if (returnUrl !== undefined && typeof returnUrl !== 'string') return null;
        return { idp, originUrl, returnUrl: returnUrl ?? null };
      } catch {
        return null;
      }
    },
  };
}
