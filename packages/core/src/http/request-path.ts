/**
 * The one form of a request path the gate decides on.
 *
 * Adapters hand core the concrete path their framework's router matched (never a route pattern,
 * never the raw request target). Routers and the backends behind them disagree on the details:
 * Express and Hono match the still-encoded path, a proxy may decode `%2F` into a separator, `..`
 * may be resolved by one layer and not by another. So the gate reads the path in the strictest way
 * and refuses what it cannot read in exactly one way, instead of guessing:
 *
 * - it must start with `/` (an absolute-form target such as `http://host/v1/x` that reaches core
 *   unreduced is refused, not split into `http:`, `host`, …);
 * - every `%XX` is decoded once; an escape that is malformed, or that decodes to a separator (`/`,
 *   `\`), a control character, or another escape of a separator or dot (double encoding), refuses;
 * - a `.` or `..` segment, raw or encoded, refuses (a layer that resolves it would route elsewhere);
 * - a raw `\`, control character or space refuses;
 * - `;` (raw or `%3B`) refuses, and so does a segment ending in `.` or a space once decoded: matrix
 *   parameters (`/v1/secrets;x`) and Windows-style trailing dots/spaces are stripped by some
 *   servers behind a proxy, which would then route to the admin resource the rule did not see;
 * - empty segments (doubled or trailing slashes) are dropped and letters lower-cased, as routers
 *   that ignore them or match case-insensitively would read the path.
 *
 * The result is the canonical path (`/v1/projects/1`), or null for "refuse with 400".
 */

/** What a refused path hears (400 `malformed_path`), on every adapter. */
export const MALFORMED_PATH_MESSAGE =
  'Malformed request path: encoded separators, dot segments and control characters are refused';

/** Longer paths are refused: no router of ours has a use for them and they cost cache slots. */
export const MAX_PATH_LENGTH = 4096;

// Characters a path may hold as they are in canonical form: lower-case unreserved, sub-delims, `:`, `@`, `/`.
const PLAIN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,=:@/") PLAIN[c.charCodeAt(0)] = 1;

/** The common case, one pass and no allocation: a plain lower-case path with nothing to decode or drop. */
function isCanonical(path: string): boolean {
  if (path.charCodeAt(0) !== 47 /* / */) return false;
  let previous = 47;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128 || PLAIN[c] === 0) return false;
    // `//` (an empty segment) and `/.` (a possible dot segment) need the full reading.
    if (previous === 47 && (c === 47 || c === 46)) return false;
    // A segment ending in `.` needs the full reading (it is refused there).
    if (c === 47 && previous === 46) return false;
    previous = c;
  }
  return path.length === 1 || (previous !== 47 && previous !== 46);
}
// After one decoding: a separator, a control character, or an escape that would decode to one.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused
const REFUSED_AFTER_DECODING = /[/\\;\x00-\x1f\x7f]|%(?:2f|5c|2e|25|00|3b)/i;
// eslint-disable-next-line no-control-regex -- as above, before decoding
const REFUSED_RAW = /[\\;\x00-\x20\x7f]/;

export function canonicalRequestPath(path: string): string | null {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_LENGTH) return null;
  if (isCanonical(path)) return path;
  if (path.charCodeAt(0) !== 47 /* / */ || REFUSED_RAW.test(path)) return null;
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let segment = raw;
    if (raw.includes('%')) {
      try {
        segment = decodeURIComponent(raw);
      } catch {
        return null;
      }
      if (REFUSED_AFTER_DECODING.test(segment)) return null;
    }
    if (segment === '.' || segment === '..' || segment.endsWith('.') || segment.endsWith(' ')) return null;
    segments.push(segment.toLowerCase());
  }
  return `/${segments.join('/')}`;
}

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The path of a request target without its query or fragment (`/a?b` → `/a`). An absolute-form
 * target (`http://host/a?b`, which HTTP/1.1 servers must accept) is reduced to its path, as
 * routers read it; anything else not starting with `/` is returned as is, for the gate to refuse.
 */
export function pathOfTarget(target: string): string {
  if (target.charCodeAt(0) !== 47 /* / */) {
    const authority = ABSOLUTE_FORM.exec(target);
    if (authority !== null) target = target.slice(authority[0].length) || '/';
  }
  let end = target.length;
  const query = target.indexOf('?');
  if (query !== -1) end = query;
  const fragment = target.indexOf('#');
  if (fragment !== -1 && fragment < end) end = fragment;
  return end === target.length ? target : target.slice(0, end);
}

/** `path` below `root` (`/` for the root itself), or null when it lies outside; `root` '' holds every path. */
export function below(root: string, path: string): string | null {
  if (!root) return path;
  if (path === root) return '/';
  return path.startsWith(`${root}/`) ? path.slice(root.length) : null;
}
