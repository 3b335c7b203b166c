import { SignJWT, jwtVerify } from 'jose';

/**
 * The `state` of an RP-initiated logout: signed, bound to the IdP, short-lived, and kept in an
 * HttpOnly cookie until the IdP sends the browser back to `/oauth2/<idp>/signed-out`. Its own JWT
 * type, so a login state can never pass for one (or the other way round).
 */
export interface LogoutStateCodec {
  sign(idp: string, random: string): Promise<string>;
  /** The IdP the state was issued for, or null for anything forged, expired, of another type or malformed. */
  verify(token: string): Promise<string | null>;
}

const TYPE = 'gatehouse-oauth2-logout-state+jwt';
const ISSUER = 'gatehouse';
export const LOGOUT_STATE_TTL_SECONDS = 15 * 60;

export function createLogoutStateCodec(secret: string, now: () => number): LogoutStateCodec {
  const key = new TextEncoder().encode(secret);
  return {
    async sign(idp, random) {
      const issuedAt = Math.floor(now() / 1000);
      return new SignJWT({ idp, random })
        .setProtectedHeader({ alg: 'HS256', typ: TYPE })
        .setIssuer(ISSUER)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + LOGOUT_STATE_TTL_SECONDS)
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          typ: TYPE,
          issuer: ISSUER,
          requiredClaims: ['exp', 'idp', 'random'],
          currentDate: new Date(now()),
        });
        return typeof payload.idp === 'string' ? payload.idp : null;
      } catch {
        return null;
      }
    },
  };
}
