import { z } from 'zod';
import { isIP } from 'node:net';
import { type RawSchema, hostnameOf, urlWithHost } from './schemas.js';
import { commaItems, shown, unique } from './text.js';

export interface RootUrlParts {
  /** The address the server binds, e.g. `0.0.0.0`, `localhost`, `example.com`. */
  readonly host: string;
  readonly port: number;
  /** `""` or `/sub/path` (no trailing slash). */
  readonly rootPath: string;
  /** Whether the HTTP server itself terminates TLS. */
  readonly tls: boolean;
}

/**
 * The browser-facing root URL when `PHOENIX_ROOT_URL` is unset: `http(s)://<host>:<port><root path>`.
 * A wildcard bind address is not something a browser can open, so `0.0.0.0` is shown as
 * `127.0.0.1` (and `::` as `::1`); IPv6 literals are bracketed.
 */
export function deriveRootUrl({ host, port, rootPath, tls }: RootUrlParts): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const authority = reachable.includes(':') && !reachable.startsWith('[') ? `[${reachable}]` : reachable;
  return `${tls ? 'https' : 'http'}://${authority}:${port}${rootPath}`;
}

/** `PHOENIX_HOST_ROOT_PATH`: `""` when unset, otherwise `/…` without a trailing slash. */
export function rootPathVar(variable: string): RawSchema<string> {
  const invalid = (rule: string) => (issue: { input?: unknown }) =>
    `Invalid value for environment variable ${variable}: ${shown(String(issue.input))}. Value ${rule}`;
  return z
    .string()
    .optional()
    .transform((value) => value ?? '')
    .pipe(
      z
        .string()
        .refine((value) => value === '' || value.startsWith('/'), {
          error: invalid("must start with '/'"),
          abort: true,
        })
        .refine((value) => !value.endsWith('/'), { error: invalid("cannot end with '/'") }),
    );
}

/** `PHOENIX_ROOT_URL`: null when unset, else a URL with scheme and host, kept verbatim. */
export function rootUrlVar(variable: string): RawSchema<string | null> {
  const valid = urlWithHost(
    (value) => `The environment variable \`${variable}\` must be a valid URL. Got: '${shown(value)}'`,
  );
  return z
    .string()
    .optional()
    .transform((value) => (value ? value : null))
    .pipe(valid.nullable());
}

/**
 * `PHOENIX_CSRF_TRUSTED_ORIGINS`: comma-separated URLs of which only the hostname counts.
 * Empty entries are skipped; the result is lower-cased, de-duplicated and sorted.
 */
export function csrfTrustedOriginsVar(variable: string): RawSchema<string[]> {
  const missingHostname = (value: string) =>
    `The environment variable \`${variable}\` contains a url with missing hostname. ` +
    `Please ensure that each url has a valid hostname. Got: '${shown(value)}'`;
  const entry = urlWithHost(missingHostname);
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const hostnames: string[] = [];
      for (const item of commaItems(raw ?? '')) {
        const parsed = entry.safeParse(item);
        const hostname = parsed.success ? hostnameOf(parsed.data) : null;
        if (hostname === null) {
          ctx.addIssue({ code: 'custom', message: missingHostname(item) });
          continue;
        }
        hostnames.push(hostname);
      }
      return unique(hostnames).sort();
    });
}

/**
 * `PHOENIX_ALLOWED_ORIGINS`: the CORS allow-list. Items are trimmed and empty ones dropped
 * (Phoenix keeps surrounding spaces, which then never match an `Origin` header).
 */
export function allowedOriginsVar(): RawSchema<string[]> {
  return z
    .string()
    .optional()
    .transform((raw) => unique(commaItems(raw ?? '')));
}

/** `PHOENIX_HOST`: the address the server binds (default `0.0.0.0`); only used to derive the public URL. */
export function bindHostVar(variable: string): RawSchema<string> {
  return z
    .string()
    .optional()
    .transform((value) => value || '0.0.0.0')
    .pipe(
      z.string().refine((value) => isIP(value) !== 0 || HOSTNAME.test(value), {
        error: (issue) =>
          `${variable} must be a host name or an IP address (the address the server binds). Got: '${shown(String(issue.input))}'`,
      }),
    );
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * `GATEHOUSE_ALLOWED_HOSTS`: comma-separated DNS names (a leading `.` allows every subdomain), or
 * `*` alone to turn the host check off (null). Lower-cased, a trailing dot dropped, de-duplicated.
 */
export function allowedHostsVar(variable: string): RawSchema<string[] | null> {
  const expected =
    'host names without scheme or port (e.g. `phoenix.example.com,.internal.example`), or `*` alone to turn the host check off';
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const items = commaItems(raw ?? '');
      if (items.length === 1 && items[0] === '*') return null;
      const names: string[] = [];
      for (const item of items) {
        const name = item.toLowerCase().replace(/\.$/, '');
        const bare = name.startsWith('.') ? name.slice(1) : name;
        if (item === '*' || !HOSTNAME.test(bare)) {
          ctx.addIssue({ code: 'custom', message: `${variable} must list ${expected}. Got: '${shown(item)}'` });
          continue;
        }
        names.push(name);
      }
      return unique(names).sort();
    });
}
