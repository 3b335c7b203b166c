import { z } from 'zod';
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
        .refine((value) => value === '' || value.startsWith('/'), { error: invalid("must start with '/'"), abort: true })
        .refine((value) => !value.endsWith('/'), { error: invalid("cannot end with '/'") }),
    );
}

/** `PHOENIX_ROOT_URL`: null when unset, else a URL with scheme and host, kept verbatim. */
export function rootUrlVar(variable: string): RawSchema<string | null> {
  const valid = urlWithHost((value) => `The environment variable \`${variable}\` must be a valid URL. Got: '${shown(value)}'`);
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
 * (the reference keeps surrounding spaces, which then never match an `Origin` header).
 */
export function allowedOriginsVar(): RawSchema<string[]> {
  return z
    .string()
    .optional()
    .transform((raw) => unique(commaItems(raw ?? '')));
}
