import { createHmac, timingSafeEqual, type webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
import { AuthenticationError } from '../errors/index.js';
import { isTokenKind, KIND_BY_TYPE, TOKEN_KINDS, tokenType, type TokenKind } from './kinds.js';

/*
 * Token format, and why it differs from Phoenix.
 *
 * Phoenix signs a payload holding nothing but `jti` ("AccessToken:42") and reads subject,
 * kind and expiry from its database on every cache miss. Gatehouse keeps the `jti` as the handle
 * of a server-side row (revocation works the same way), but also signs `sub`, `iat`, `nbf`, `exp`
 * and the kind, so that:
 *   - a token of one kind can never be accepted as another (refresh as access, reset token or API
 *     key where only access is expected) even before the store is asked: the kind is bound in the
 *     `typ` header (RFC 8725 explicit typing) and again in the `knd` claim, and both must match;
 *   - an expired token is refused without a store round-trip, which keeps `authenticate` off the
 *     database in the common case;
 *   - the row id no longer needs a table-name prefix to say which store to look in.
 * The role is still not in the token: it is read live, as in Phoenix.
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
  /**
   * Called, synchronously, when a token that passed every check was signed with one of
   * `previousSecrets` (`previousIndex` is its 0-based position): what tells an operator a secret
   * being retired is still in use. Keep it cheap; it runs on the verification path.
   */
  onPreviousSecret?: (previousIndex: number, kind: TokenKind) => void;
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
  /**
   * Fingerprint of the signing secret (`secretFingerprint`): recorded on each API key, so the keys
   * still signed by a secret being retired can be listed.
   */
  readonly keyId: string;
  /** Fingerprints of the previous secrets, in the order they were given. */
  readonly previousKeyIds: readonly string[];
  sign(kind: TokenKind, claims: SignClaims): Promise<string>;
  /**
   * The claims of a token of one of the `expected` kinds, or an `AuthenticationError`:
   * `expired_token` for an authentic token of the right kind past its expiry, `invalid_token` for
   * anything else. The message never says more, and never contains the token.
   */
  verify(token: string, expected: TokenKind | readonly TokenKind[]): Promise<TokenClaims>;
  /**
   * `verify` without the Promise: the same checks and the same errors, thrown. HS256 is computed
   * in-process (node:crypto), so a request never waits on the libuv thread pool, where password
   * hashes queue; `authenticate` calls this on every cache miss.
   */
  verifySync(token: string, expected: TokenKind | readonly TokenKind[]): TokenClaims;
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

// Signing only: jose signs through Web Crypto. Types only: at run time this is the global Web Crypto.
type CryptoKey = webcrypto.CryptoKey;

const HMAC_SHA256 = Object.freeze({ name: 'HMAC', hash: 'SHA-256' });
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The protected header our signer writes for each kind, as the exact base64url text it produces.
 * A token carrying one of these is answered without decoding its header; any other spelling of a
 * header (key order, whitespace, escapes) takes the general path, which accepts exactly the same
 * headers, so this is a shortcut and never a second rule.
 */
const KIND_BY_ENCODED_HEADER: ReadonlyMap<string, TokenKind> = new Map(
  TOKEN_KINDS.map(
    (kind) =>
      [Buffer.from(JSON.stringify({ alg: 'HS256', typ: tokenType(kind) })).toString('base64url'), kind] as const,
  ),
);
/** The same, by kind and with the dot that ends the header: the expected kind is tried in place, no slice. */
const ENCODED_HEADER_DOT: ReadonlyMap<TokenKind, string> = new Map(
  [...KIND_BY_ENCODED_HEADER].map(([encoded, kind]) => [kind, `${encoded}.`] as const),
);

/** The kind whose exact header (as our signer writes it) opens the token, trying the expected kind first. */
function kindOfOwnHeader(
  token: string,
  firstDot: number,
  expected: TokenKind | readonly TokenKind[],
): TokenKind | undefined {
  if (typeof expected === 'string') {
    const own = ENCODED_HEADER_DOT.get(expected);
    if (own !== undefined && own.length === firstDot + 1 && token.startsWith(own)) return expected;
  }
  return KIND_BY_ENCODED_HEADER.get(token.slice(0, firstDot));
}

function invalidToken(): AuthenticationError {
  return new AuthenticationError('Invalid token', { code: 'invalid_token' });
}

function expiredToken(): AuthenticationError {
  return new AuthenticationError('Expired token', { code: 'expired_token' });
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Scratch space for one verification at a time (verification is synchronous, so calls never
 * overlap): a decoded segment and the decoded signature are written here instead of into a fresh
 * Buffer each, which saved a third of a cache miss's garbage.
 */
const MAX_DECODED_SEGMENT = Math.ceil((MAX_TOKEN_LENGTH * 3) / 4);
const segmentBytes = Buffer.allocUnsafe(MAX_DECODED_SEGMENT);
const signatureBytes = Buffer.allocUnsafe(32);

/** Refused by a strict decoder: 1 mod 4 characters hold no whole byte (Buffer would drop one). */
const holdsWholeBytes = (segment: string) => segment.length % 4 !== 1;

/** A segment's bytes (alphabet already checked) as UTF-8 text, or undefined if they are not UTF-8. */
function utf8Text(length: number): string | undefined {
  try {
    return strictUtf8.decode(segmentBytes.subarray(0, length));
  } catch {
    return undefined;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A base64url segment (alphabet already checked) as JSON, or undefined where a strict decoder refuses it. */
function decodeJsonSegment(segment: string): unknown {
  return holdsWholeBytes(segment) ? parseJson(utf8Text(segmentBytes.write(segment, 'base64url'))) : undefined;
}

const escapeRegExp = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

// A JSON string of printable ASCII with no escape, whose text is therefore its value (and whose
// bytes, all below 0x80, read the same as Latin-1 and as UTF-8), and a non-negative integer of at
// most 15 digits, which Number() reads exactly as JSON.parse does.
const PLAIN_STRING = '([\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]+)';
const PLAIN_INTEGER = '(0|[1-9][0-9]{0,14})';

/**
 * The payload our signer writes for one kind (jose's member order, `exp` absent only on an API key
 * that never expires), as a pattern. A payload spelled exactly so is read by the pattern instead of
 * JSON.parse, a quarter of the cost; any other spelling (order, spaces, escapes, other members,
 * non-ASCII text) takes JSON.parse and the same checks, so, as with the header, this is a shortcut
 * and never a second rule. The kind and issuer are literal in it, so a match has both right.
 */
function ownPayloadPattern(kind: TokenKind, issuer: string): RegExp {
  const literal = (value: string) => escapeRegExp(JSON.stringify(value));
  return new RegExp(
    `^\\{"knd":${literal(kind)},"iss":${literal(issuer)},"sub":"${PLAIN_STRING}","jti":"${PLAIN_STRING}",` +
      `"iat":${PLAIN_INTEGER},"nbf":${PLAIN_INTEGER}(?:,"exp":${PLAIN_INTEGER})?\\}$`,
  );
}

/** The kind named by a header that carries exactly `alg: HS256` and a known `typ`, nothing else. */
function headerKind(header: unknown): TokenKind | undefined {
  if (!isPlainObject(header) || header.alg !== 'HS256' || typeof header.typ !== 'string') return undefined;
  // Any other member (jku, jwk, x5u, x5c, kid, crit, b64, ...) is refused rather than ignored:
  // we never emit one, so its presence means the token was not made by us as-is.
  for (const name in header) {
    if (name !== 'alg' && name !== 'typ') return undefined;
  }
  return KIND_BY_TYPE.get(header.typ);
}

/**
 * A short, one-way name for a secret: HMAC-SHA256 keyed with it over a fixed label, 72 bits in
 * base64url. It tells secrets apart in a listing without revealing anything a token signed with the
 * secret does not already reveal.
 */
export function secretFingerprint(secret: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update('gatehouse secret fingerprint v1')
    .digest()
    .subarray(0, 9)
    .toString('base64url');
}

function checkSecret(secret: unknown, label: string): asserts secret is string {
  // The message names the option, never the value.
  if (!isNonEmptyString(secret)) throw new TypeError(`${label} must be a non-empty string`);
}

export function createTokenCodec(options: TokenCodecOptions): TokenCodec {
  const {
    secret,
    previousSecrets = [],
    clockToleranceSeconds = 5,
    issuer = 'gatehouse',
    now = Date.now,
    onPreviousSecret,
  } = options;
  checkSecret(secret, 'secret');
  previousSecrets.forEach((previous, index) => checkSecret(previous, `previousSecrets[${index}]`));
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0) {
    throw new RangeError('clockToleranceSeconds must be a non-negative number');
  }
  if (!isNonEmptyString(issuer)) throw new TypeError('issuer must be a non-empty string');
  const ownPayload = new Map(TOKEN_KINDS.map((kind) => [kind, ownPayloadPattern(kind, issuer)] as const));

  /**
   * The claims of an authentic token's payload, unchecked for time, or undefined when a member is
   * missing or of the wrong type. A payload spelled as our signer spells it is read by the kind's
   * pattern straight into the claims (the pattern already fixes every type, the kind and the issuer);
   * any other goes through JSON.parse and the same checks, member by member.
   */
  function readClaims(kind: TokenKind, segment: string): TokenClaims | undefined {
    if (!holdsWholeBytes(segment)) return undefined;
    const length = segmentBytes.write(segment, 'base64url');
    // Latin-1 is a byte-per-character read; the pattern admits ASCII only, where it equals UTF-8.
    const own = ownPayload.get(kind)!.exec(segmentBytes.toString('latin1', 0, length));
    if (own !== null) {
      // Indexed, not destructured: array destructuring goes through the iterator protocol.
      const exp = own[5];
      return {
        kind,
        jti: own[2]!,
        sub: own[1]!,
        issuedAt: Number(own[3]),
        expiresAt: exp === undefined ? null : Number(exp),
        notBefore: Number(own[4]),
      };
    }
    const payload = parseJson(utf8Text(length));
    if (!isPlainObject(payload)) return undefined;
    const { knd, iss, jti, sub, iat, nbf, exp } = payload;
    if (knd !== kind || iss !== issuer || !isNonEmptyString(jti) || !isNonEmptyString(sub)) return undefined;
    if (!isNumericDate(iat) || !isNumericDate(nbf) || (exp !== undefined && !isNumericDate(exp))) return undefined;
    return { kind, jti, sub, issuedAt: iat, expiresAt: exp ?? null, notBefore: nbf };
  }

  // Verification keys: the current secret, then the former ones, encoded once (handing createHmac
  // the string would encode it on every call). Buffers, not KeyObjects: createHmac takes a Buffer
  // as it is, while a KeyObject costs a lookup through its native handle on every call (measurably
  // slower in a paired microbench). They never leave this closure.
  const currentKey = Buffer.from(secret, 'utf8');
  const previousKeys: readonly Buffer[] = previousSecrets.map((value) => Buffer.from(value, 'utf8'));

  // The signing key is imported once, lazily (Web Crypto's import is asynchronous), and reused:
  // handing jose the raw bytes would make it import a key on every call.
  let signingKey: Promise<CryptoKey> | undefined;
  function getSigningKey(): Promise<CryptoKey> {
    signingKey ??= crypto.subtle
      .importKey('raw', utf8.encode(secret), HMAC_SHA256, false, ['sign'])
      .catch((error: unknown) => {
        signingKey = undefined;
        throw error;
      });
    return signingKey;
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

    const jwt = new SignJWT({ knd: kind })
      .setProtectedHeader({ alg: 'HS256', typ: tokenType(kind) })
      .setIssuer(issuer)
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt(issuedAt)
      .setNotBefore(notBefore);
    if (expiresAt !== null) jwt.setExpirationTime(expiresAt);
    const token = await jwt.sign(await getSigningKey());
    if (token.length > MAX_TOKEN_LENGTH) throw new RangeError('token would exceed MAX_TOKEN_LENGTH');
    return token;
  }

  function macMatches(key: Buffer, signingInput: string, signature: Buffer): boolean {
    // Both 32 bytes (the shape check fixed the signature's length), as timingSafeEqual requires.
    return timingSafeEqual(createHmac('sha256', key).update(signingInput).digest(), signature);
  }

  /**
   * Which key made this signature: 0 for the current one, n for `previousSecrets[n - 1]`, -1 for
   * none; each compared in constant time. The current key answers first, so the common case costs
   * one HMAC however many previous secrets are configured; which secret signed a token is no secret
   * (the fingerprints are public), so stopping early leaks nothing an attacker could use.
   */
  function signingKeyIndex(signingInput: string, signature: Buffer): number {
    if (macMatches(currentKey, signingInput, signature)) return 0;
    for (let i = 0; i < previousKeys.length; i++)
      if (macMatches(previousKeys[i]!, signingInput, signature)) return i + 1;
    return -1;
  }

  function verifySync(token: string, expected: TokenKind | readonly TokenKind[]): TokenClaims {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_HS256.test(token))
      throw invalidToken();
    // The shape check guarantees exactly two dots, the second just before a 43-character signature.
    const firstDot = token.indexOf('.');
    const secondDot = token.length - 44;
    const kind = kindOfOwnHeader(token, firstDot, expected) ?? headerKind(decodeJsonSegment(token.slice(0, firstDot)));
    if (kind === undefined) throw invalidToken();
    // The 43 signature characters are exactly 32 bytes (the shape check also refused stray low
    // bits). The signing input goes to the HMAC as the string itself: the shape check allowed ASCII
    // only, so its UTF-8 bytes are its characters, and Node encodes a one-byte string into the hash
    // faster than a copy into a scratch Buffer plus a view of it (~0.2 µs of ~4.5 in a microbench).
    signatureBytes.write(token.slice(secondDot + 1), 'base64url');
    const keyIndex = signingKeyIndex(token.slice(0, secondDot), signatureBytes);
    if (keyIndex < 0) throw invalidToken();
    if (typeof expected === 'string' ? kind !== expected : !expected.includes(kind)) throw invalidToken();

    const claims = readClaims(kind, token.slice(firstDot + 1, secondDot));
    // Only an API key may be made without an expiry.
    if (claims === undefined || (claims.expiresAt === null && kind !== 'api_key')) throw invalidToken();

    const seconds = Math.floor(now() / 1000);
    if (claims.notBefore > seconds + clockToleranceSeconds) throw invalidToken();
    // Inclusive, as in Phoenix: a token is expired at its `exp`, not a second later.
    if (claims.expiresAt !== null && claims.expiresAt <= seconds - clockToleranceSeconds) throw expiredToken();
    if (keyIndex > 0) onPreviousSecret?.(keyIndex - 1, kind);
    return claims;
  }

  // Async only in signature: it settles within the caller's turn of the event loop.
  // eslint-disable-next-line @typescript-eslint/require-await -- the Promise carries verifySync's throw as a rejection
  async function verify(token: string, expected: TokenKind | readonly TokenKind[]): Promise<TokenClaims> {
    return verifySync(token, expected);
  }

  return {
    keyId: secretFingerprint(secret),
    previousKeyIds: Object.freeze(previousSecrets.map(secretFingerprint)),
    sign,
    verify,
    verifySync,
  };
}
