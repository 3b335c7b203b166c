/**
 * Visible ASCII only: a superset of RFC 6750's b64token that still admits every admin secret the
 * configuration accepts, and refuses control bytes, whitespace and non-ASCII.
 */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Reads the credential out of an `Authorization` header value (docs/phoenix-contract.md#cookies-and-bearer): split at the first
 * space, the scheme must be `bearer` in any case and the token non-empty. A header that is present
 * but malformed makes the request unauthenticated — the cookie is NOT consulted then, so a broken
 * header can never fall back to ambient browser credentials.
 *
 * Returns the token, `null` when there is no header, or `false` when the header is unusable.
 */
export function parseBearer(header: string | null | undefined): string | null | false {
  const candidate = bearerCandidate(header);
  return candidate && !isBearerToken(candidate) ? false : candidate;
}

/**
 * `parseBearer` without the character check, for the authenticator's cache lookup: only tokens that
 * passed the full check are ever cached, so a hit needs no second look at every character.
 */
export function bearerCandidate(header: string | null | undefined): string | null | false {
  if (header === null || header === undefined) return null;
  const space = header.indexOf(' ');
  if (space !== 6) return false; // 'bearer'.length: any other scheme, or none
  const scheme = header.slice(0, 6);
  if (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer') return false;
  let start = 7;
  let end = header.length;
  // Only ASCII spaces are padding; anything else (tab, NBSP) is part of the value and refused.
  while (start < end && header.charCodeAt(start) === 0x20) start++;
  while (end > start && header.charCodeAt(end - 1) === 0x20) end--;
  return start === end ? false : header.slice(start, end);
}

export const isBearerToken = (token: string): boolean => VISIBLE_ASCII.test(token);

/**
 * The `Authorization` value of a Node request (`IncomingMessage.headers` and `.rawHeaders`). Node
 * keeps only the first of repeated `Authorization` headers while a proxy in front may have acted on
 * another, and a Fetch `Headers` joins them: a repeated header is answered as malformed (`''`, which
 * `parseBearer` refuses) on every path instead of guessing which one the client meant.
 */
export function nodeAuthorization(
  headers: { readonly authorization?: string | undefined },
  rawHeaders: readonly string[],
): string | null {
  const value = headers.authorization;
  if (value === undefined) return null;
  let seen = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    // Only 13-character names can match: the lower-casing is paid for a handful of headers at most.
    if (
      name?.length === 13 &&
      (name === 'authorization' || name === 'Authorization' || name.toLowerCase() === 'authorization') &&
      ++seen > 1
    )
      return '';
  }
  return value;
}

/**
 * A Fetch `Headers` from a Node request's header object, for Gatehouse's own routes. Repeated
 * `Authorization` headers reach core as the refusal `nodeAuthorization` makes of them, not as the
 * first one Node kept.
 */
export function fetchHeadersOfNode(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  rawHeaders: readonly string[],
): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.append(name, v);
    else out.set(name, value);
  }
  const authorization = nodeAuthorization(headers, rawHeaders);
  if (authorization !== null) out.set('authorization', authorization);
  return out;
}
