import { isIP } from 'node:net';
import type { AuthConfig } from '../config/index.js';
import { ValidationError } from '../errors/index.js';

/**
 * The DNS-rebinding defence: a page on `rebind.evil.example` whose name the attacker points at
 * 127.0.0.1 is same-origin with itself, so the browser sends it our answers and the CSRF check sees
 * matching `Host` and `Origin`. Refusing requests for names we do not serve closes that: allowed are
 * the public URL's host, `localhost` (and `*.localhost`, which browsers resolve to loopback), the
 * names in `GATEHOUSE_ALLOWED_HOSTS`, and every IP literal (rebinding needs a name, and
 * `http://10.0.0.5:6006` in a container must keep working without configuration).
 *
 * Returns the check and the one error it refuses with; null when `GATEHOUSE_ALLOWED_HOSTS=*`
 * turned it off.
 */
export interface HostCheck {
  /** Whether a request with this `Host` header may go on. */
  allows(host: string | null | undefined): boolean;
  readonly error: ValidationError;
}

export function createHostCheck(config: AuthConfig): HostCheck | null {
  if (config.allowedHosts === null) return null;
  const exact = new Set<string>(['localhost']);
  const suffixes: string[] = ['.localhost'];
  const own = hostnameOf(config.publicUrl);
  if (own !== null) exact.add(own);
  for (const name of config.allowedHosts) {
    if (name.startsWith('.')) suffixes.push(name);
    else exact.add(name);
  }
  const error = new ValidationError(
    `This server does not answer for that host name (DNS-rebinding defence): set ${config.prefix}ROOT_URL to the public URL, or list the name in GATEHOUSE_ALLOWED_HOSTS`,
    { code: 'host_not_allowed' },
  );
  // Hosts seen so far and whether they passed: a deployment sees a handful, so the hot path is one lookup.
  const seen = new Map<string, boolean>();
  const MAX_SEEN = 256;

  const allowed = (header: string): boolean => {
    const name = hostOfHeader(header);
    if (name === null) return false;
    if (isIP(name) !== 0 || exact.has(name)) return true;
    return suffixes.some((suffix) => name.endsWith(suffix));
  };

  return {
    error,
    allows(host) {
      // No Host at all (HTTP/1.0, some probes) is no browser: rebinding always carries the name.
      if (host === null || host === undefined || host === '') return true;
      let ok = seen.get(host);
      if (ok === undefined) {
        ok = allowed(host);
        if (seen.size >= MAX_SEEN) seen.clear();
        seen.set(host, ok);
      }
      return ok;
    },
  };
}

/** `Host` header → lower-case name without port or trailing dot (IPv6 without brackets); null when malformed. */
export function hostOfHeader(header: string): string | null {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end === -1) return null;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    const address = value.slice(1, end);
    return isIP(address) === 6 ? address : null;
  }
  const match = /^([a-z0-9._-]+?)\.?(?::\d{1,5})?$/.exec(value);
  return match?.[1] ?? null;
}

function hostnameOf(url: string): string | null {
  try {
    const name = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
    return name.startsWith('[') ? name.slice(1, -1) : name;
  } catch {
    return null;
  }
}
