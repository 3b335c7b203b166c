import type { webcrypto } from 'node:crypto';
import { compactVerify, errors, SignJWT, type CompactVerifyResult, type JWSHeaderParameters } from 'jose';
import { AuthenticationError } from '../errors/index.js';
import { isTokenKind, KIND_BY_TYPE, tokenType, type TokenKind } from './kinds.js';

/*
 * Token format, and why it differs from the reference.
 *
 * The reference signs a payload holding nothing but `jti` ("AccessToken:42") and reads subject,
 * kind and expiry from its database on every cache miss. Gatehouse keeps the `jti` as the handle
 * of a server-side row (revocation works the same way), but also signs `sub`, `iat`, `nbf`, `exp`
 * and the kind, so that:
 *   - a token of one kind can never be accepted as another (refresh as access, reset token or API
 *     key where only access is expected) even before the store is asked: the kind is bound in the
 *     `typ` header (RFC 8725 explicit typing) and again in the `knd` claim, and both must match;
 *   - an expired token is refused without a store round-trip, which keeps `authenticate` off the
 *     database in the common case;
 *   - the row id no longer needs a table-name prefix to say which store to look in.
 * The role is still not in the token: it is read live, as in the reference.
 */

export interface TokenClaims {
  kind: TokenKind;
  /** Server-side row id: revoking the row revokes the token. */
  jti: string;
  /** User id. */
  sub: string;
  /** Epoch seconds. */
  issuedAt: number;
  /** Epoch seconds; `null` only for an API key created without an expiry. */
  expiresAt: number | null;
  /** Epoch seconds. */
  notBefore: number;
}

export interface TokenCodecOptions {
  /** HS256 key material (`PHOENIX_SECRET`). Signs and verifies. */
  secret: string;
  /** Former secrets, accepted for verification only, so that a secret can be rotated gradually. */
  previousSecrets?: readonly string[];
  /** Leeway for `nbf` and `exp`, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /** `iss` claim written and required. Default `gatehouse`. */
  issuer?: string;
  /** Clock in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
}

export interface SignClaims {
  jti: string;
  sub: string;
  /** Epoch seconds, or `null` for an API key that never expires. */
  expiresAt: number | null;
  /** Epoch seconds; defaults to now. */
  issuedAt?: number;
  /** Epoch seconds; defaults to `issuedAt`. */
  notBefore?: number;
}

export interface TokenCodec {
  sign(kind: TokenKind, claims: SignClaims): Promise<string>;
  /**
   * The claims of a token of one of the `expected` kinds, or an `AuthenticationError`:
   * `expired_token` for an authentic token of the right kind past its expiry, `invalid_token` for
   * anything else. The message never says more, and never contains the token.
   */
  verify(token: string, expected: TokenKind | readonly TokenKind[]): Promise<TokenClaims>;
}

/**
 * Our tokens are a few hundred bytes. Anything much larger is refused before it is split,
 * decoded or parsed, so an oversized header cannot make us do work.
 */
export const MAX_TOKEN_LENGTH = 4096;

/**
 * The only shape an HS256 compact JWS of ours can have, checked before any decoding: three
 * base64url segments, no padding, and a 43-character signature whose last character carries no
 * stray low bits. Lenient base64 decoders ignore those bits, which would let one token be
 * rewritten into several distinct strings that all verify (and each miss a verified-token cache).
 */
const COMPACT_HS256 = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

const VERIFY_OPTIONS = Object.freeze({ algorithms: ['HS256'] });
// Types only: at run time this is the global Web Crypto, so nothing here ties tokens to Node.
type CryptoKey = webcrypto.CryptoKey;
type KeyUsage = webcrypto.KeyUsage;

const HMAC_SHA256 = Object.freeze({ name: 'HMAC', hash: 'SHA-256' });
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function invalidToken(): AuthenticationError {
  return new AuthenticationError('invalid_token', 'Invalid token');
}

function expiredToken(): AuthenticationError {
  return new AuthenticationError('expired_token', 'Expired token');
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** The kind named by a header that carries exactly `alg: HS256` and a known `typ`, nothing else. */
function headerKind(header: JWSHeaderParameters | undefined): TokenKind | undefined {
  if (header === undefined || header.alg !== 'HS256' || typeof header.typ !== 'string') return undefined;
  // Any other member (jku, jwk, x5u, x5c, kid, crit, b64, ...) is refused rather than ignored:
  // we never emit one, so its presence means the token was not made by us as-is.
  for (const name in header) {
    if (name !== 'alg' && name !== 'typ') return undefined;
  }
  return KIND_BY_TYPE.get(header.typ);
}

function checkSecret(secret: unknown, label: string): asserts secret is string {
  // The message names the option, never the value.
  if (!isNonEmptyString(secret)) throw new TypeError(`${label} must be a non-empty string`);
}

function importKey(secret: string, usages: KeyUsage[]): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', utf8.encode(secret), HMAC_SHA256, false, usages);
}

export function createTokenCodec(options: TokenCodecOptions): TokenCodec {
  const { secret, previousSecrets = [], clockToleranceSeconds = 5, issuer = 'gatehouse', now = Date.now } = options;
  checkSecret(secret, 'secret');
  previousSecrets.forEach((previous, index) => checkSecret(previous, `previousSecrets[${index}]`));
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0) {
    throw new RangeError('clockToleranceSeconds must be a non-negative number');
  }
  if (!isNonEmptyString(issuer)) throw new TypeError('issuer must be a non-empty string');

  // Imported once (lazily, as Web Crypto's import is asynchronous) and reused: handing jose the raw
  // bytes would make it import a key on every call.
  const verifyOnly = [...previousSecrets];
  let importedKeys: readonly CryptoKey[] | undefined;
  let keys: Promise<readonly CryptoKey[]> | undefined;
  function getKeys(): Promise<readonly CryptoKey[]> {
    keys ??= Promise.all([
      importKey(secret, ['sign', 'verify']),
      ...verifyOnly.map((previous) => importKey(previous, ['verify'])),
    ]).then(
      (imported) => (importedKeys = imported),
      (error: unknown) => {
        keys = undefined;
        throw error;
      },
    );
    return keys;
  }

  async function sign(kind: TokenKind, claims: SignClaims): Promise<string> {
    if (!isTokenKind(kind)) throw new TypeError('unknown token kind');
    const { jti, sub, expiresAt } = claims;
    if (!isNonEmptyString(jti) || !isNonEmptyString(sub)) throw new TypeError('jti and sub must be non-empty strings');
    const issuedAt = claims.issuedAt ?? Math.floor(now() / 1000);
    const notBefore = claims.notBefore ?? issuedAt;
    for (const value of [issuedAt, notBefore, expiresAt ?? 0]) {
      if (!Number.isSafeInteger(value) || value < 0) throw new TypeError('token times must be epoch seconds');
    }
    if (expiresAt === null && kind !== 'api_key') throw new TypeError(`a ${kind} token must expire`);

    const [key] = await getKeys();
    const jwt = new SignJWT({ knd: kind })
      .setProtectedHeader({ alg: 'HS256', typ: tokenType(kind) })
      .setIssuer(issuer)
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt(issuedAt)
      .setNotBefore(notBefore);
    if (expiresAt !== null) jwt.setExpirationTime(expiresAt);
    const token = await jwt.sign(key!);
    if (token.length > MAX_TOKEN_LENGTH) throw new RangeError('token would exceed MAX_TOKEN_LENGTH');
    return token;
  }

  async function verifySignature(token: string, candidates: readonly CryptoKey[]): Promise<CompactVerifyResult> {
    for (let index = 0; ; index++) {
      try {
        return await compactVerify(token, candidates[index]!, VERIFY_OPTIONS);
      } catch (error) {
        // Only a bad signature is worth another key; a malformed token is malformed under all.
        if (index + 1 >= candidates.length || !(error instanceof errors.JWSSignatureVerificationFailed)) throw error;
      }
    }
  }

  async function verify(token: string, expected: TokenKind | readonly TokenKind[]): Promise<TokenClaims> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_HS256.test(token)) throw invalidToken();
    // Outside the try: a key that cannot be imported is our fault, not the caller's token.
    const candidates = importedKeys ?? (await getKeys());

    let result: CompactVerifyResult;
    try {
      result = await verifySignature(token, candidates);
    } catch {
      // jose's messages stay here: they describe our parsing, not anything the caller should see.
      throw invalidToken();
    }
    const kind = headerKind(result.protectedHeader);
    if (kind === undefined || (typeof expected === 'string' ? kind !== expected : !expected.includes(kind))) {
      throw invalidToken();
    }
    let payload: unknown;
    try {
      payload = JSON.parse(strictUtf8.decode(result.payload));
    } catch {
      throw invalidToken();
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalidToken();
    const { knd, iss, jti, sub, iat, nbf, exp } = payload as Record<string, unknown>;
    if (knd !== kind || iss !== issuer || !isNonEmptyString(jti) || !isNonEmptyString(sub)) throw invalidToken();
    if (!isNumericDate(iat) || !isNumericDate(nbf)) throw invalidToken();
    if (exp === undefined ? kind !== 'api_key' : !isNumericDate(exp)) throw invalidToken();

    const seconds = Math.floor(now() / 1000);
    if (nbf > seconds + clockToleranceSeconds) throw invalidToken();
    // Inclusive, as in the reference: a token is expired at its `exp`, not a second later.
    if (typeof exp === 'number' && exp <= seconds - clockToleranceSeconds) throw expiredToken();

    return { kind, jti, sub, issuedAt: iat, expiresAt: typeof exp === 'number' ? exp : null, notBefore: nbf };
  }

  return { sign, verify };
}
