import type { RouteDefinition } from './routes/context.js';

export interface RouteMatch {
  readonly route: RouteDefinition;
  readonly params: readonly string[];
}

export interface Router {
  /** The route for this method and path, `'method'` when the path exists with other methods only, or null. */
  match(method: string, path: string): RouteMatch | 'method' | null;
  /**
   * Whether any route has this path, whatever the method. The first two segments are checked
   * against the table's literals first: host paths (`/v1/projects`), the per-request case, leave
   * after two Set lookups without splitting the path.
   */
  hasPath(path: string): boolean;
}

/**
 * A malformed escape (`%E0%A4%A`) stays as written instead of throwing: `owns` and `handle` match
 * outside any error handler, and the route's id parser refuses the raw segment with a 422.
 */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

/** A pattern's segments, each `{name}` parameter as `{}`: the names document, matching ignores them. */
function patternSegments(pattern: string): string[] {
  return segments(pattern).map((s) => (s.startsWith('{') && s.endsWith('}') ? '{}' : s));
}

/**
 * Matches Gatehouse's own ~20 routes. Literal segments beat parameters, so `/v1/users/api_keys` is
 * never read as `/v1/users/{id}`. Not the per-request hot path: host routes never come here.
 */
export function createRouter(routes: readonly RouteDefinition[]): Router {
  const compiled = routes
    .map((route) => ({ route, parts: patternSegments(route.pattern) }))
    // more literal segments first
    .sort((a, b) => b.parts.filter((p) => p !== '{}').length - a.parts.filter((p) => p !== '{}').length);

  // First literal segment → the literal second segments under it (null: a parameter, anything goes).
  const heads = new Map<string, Set<string> | null>();
  for (const { parts } of compiled) {
    const [first = '', second] = parts;
    if (!heads.has(first)) heads.set(first, new Set());
    const seconds = heads.get(first);
    if (seconds === null || second === undefined) continue;
    if (second === '{}') heads.set(first, null);
    else seconds!.add(second);
  }

  const matchesAny = (parts: readonly string[]): boolean =>
    compiled.some(
      ({ parts: pattern }) => pattern.length === parts.length && pattern.every((p, i) => p === '{}' || p === parts[i]),
    );

  const segmentAt = (path: string, from: number): [string, number] => {
    const end = path.indexOf('/', from);
    return end === -1 ? [path.slice(from), path.length] : [path.slice(from, end), end];
  };

  return {
    hasPath(path) {
      // Empty segments (`//x`) take the slow path, which reads them exactly as `match` does.
      if (path.charCodeAt(0) !== 47 /* / */ || path.includes('//')) return matchesAny(segments(path));
      const [first, end] = segmentAt(path, 1);
      const seconds = heads.get(first);
      if (seconds === undefined) return false;
      if (seconds !== null && end < path.length) {
        const [second] = segmentAt(path, end + 1);
        if (second !== '' && !seconds.has(second)) return false;
      }
      return matchesAny(segments(path));
    },
    match(method, path) {
      const parts = segments(path);
      let pathExists = false;
      for (const { route, parts: pattern } of compiled) {
        if (pattern.length !== parts.length) continue;
        const params: string[] = [];
        let ok = true;
        for (let i = 0; i < pattern.length; i++) {
          const expected = pattern[i] as string;
          const actual = parts[i] as string;
          if (expected === '{}') params.push(decodeSegment(actual));
          else if (expected !== actual) {
            ok = false;
            break;
          }
        }
        if (!ok) continue;
        if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
        pathExists = true;
      }
      return pathExists ? 'method' : null;
    },
  };
}
