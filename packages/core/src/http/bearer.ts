/**
 * Reads the credential out of an `Authorization` header value (reference §2.5): split at the first
 * space, the scheme must be `bearer` in any case and the token non-empty. A header that is present
 * but malformed makes the request unauthenticated — the cookie is NOT consulted then, so a broken
 * header can never fall back to ambient browser credentials.
 *
 * Returns the token, `null` when there is no header, or `false` when the header is unusable.
 */
export function parseBearer(header: string | null | undefined): string | null | false {
  if (header === null || header === undefined) return null;
  const space = header.indexOf(' ');
  if (space !== 6) return false; // 'bearer'.length: any other scheme, or none
  const scheme = header.slice(0, 6);
  if (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer') return false;
  const token = header.slice(7).trim();
  if (!token || token.includes(' ')) return false;
  return token;
}
