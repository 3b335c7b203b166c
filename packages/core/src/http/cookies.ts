import type { CookieConfig } from '../config/index.js';

export interface CookieOptions {
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  sameSite: 'Strict' | 'Lax';
}

/** One `Set-Cookie` value with the deployment's path and Secure flag; never a Domain (host-only). */
export function serializeCookie(config: CookieConfig, name: string, value: string, options: CookieOptions): string {
  let header = `${name}=${value}; Path=${config.path}; Max-Age=${Math.max(0, Math.floor(options.maxAge))}; HttpOnly; SameSite=${options.sameSite}`;
  if (options.maxAge <= 0) header += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  if (config.secure) header += '; Secure';
  return header;
}

/**
 * Deletes a cookie where it was set: with the configured path (Phoenix deletes at `/`, which
 * leaves the cookie in place when PHOENIX_COOKIES_PATH is something else).
 */
export function deleteCookie(
  config: CookieConfig,
  name: string,
  sameSite: CookieOptions['sameSite'] = 'Strict',
): string {
  return serializeCookie(config, name, '', { maxAge: 0, sameSite });
}

/**
 * Whether `at` starts a `name=value` pair: only spaces between it and the previous `;` (or the start).
 * A space alone is not a boundary, or text inside another cookie's value (`theme=a phoenix-access-token=x`)
 * would be read as our cookie.
 */
function startsPair(header: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (header[i] === ' ' || header[i] === '\t')) i--;
  return i < 0 || header[i] === ';';
}

/**
 * The value of one cookie from a `Cookie` header, without parsing the others (hot path). Names are
 * matched exactly; the first occurrence wins, as browsers send the most specific path first.
 */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  let from = 0;
  while (from < header.length) {
    const at = header.indexOf(name, from);
    if (at === -1) return null;
    if (startsPair(header, at) && header[at + name.length] === '=') {
      const start = at + name.length + 1;
      const end = header.indexOf(';', start);
      const value = (end === -1 ? header.slice(start) : header.slice(start, end)).trim();
      return value || null;
    }
    from = at + name.length;
  }
  return null;
}
