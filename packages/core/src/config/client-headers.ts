import { ConfigError, type ConfigIssue } from '../errors/index.js';

export interface ClientAuthHeadersOptions {
  readonly prefix?: string;
}

// The OpenTelemetry exporter header syntax (W3C baggage without properties): an RFC 7230 token,
// `=`, and a value of baggage octets — anything else must be percent-encoded.
const ITEM = /^[ \t]*([!#-'*+\-.0-9A-Z^-z|~]+)[ \t]*=[ \t]*([!#-+\--:<-[\]-~]*)[ \t]*$/;

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text).trim();
  } catch {
    return null;
  }
}

/**
 * The headers a client (SDK, exporter, CLI) sends to a Gatehouse-protected server:
 * `<PREFIX>CLIENT_HEADERS` (`key=value,key2=value2`, values percent-decoded, names lower-cased),
 * plus `authorization: Bearer <PREFIX>API_KEY` unless an authorization header is already given
 * or no key is set. Malformed items throw a `ConfigError`; their content is never echoed, since
 * headers usually carry credentials.
 */
export function clientAuthHeaders(
  env: Readonly<Record<string, string | undefined>>,
  { prefix = 'PHOENIX_' }: ClientAuthHeadersOptions = {},
): Record<string, string> {
  const variable = `${prefix}CLIENT_HEADERS`;
  const own = (name: string) => (Object.hasOwn(env, name) ? env[name]?.trim() : undefined);
  const headers = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  const items = (own(variable) ?? '').split(',');
  items.forEach((item, index) => {
    if (item.trim() === '') return;
    const match = ITEM.exec(item);
    const name = match?.[1] === undefined ? null : decode(match[1]);
    const value = match?.[2] === undefined ? null : decode(match[2]);
    if (name === null || name === '' || value === null) {
      issues.push({
        variable,
        message:
          `item ${index + 1} of ${items.length} is not a valid header: expected name=value pairs separated by ',' ` +
          'with the value percent-encoded (e.g. x-team=a%20b)',
      });
      return;
    }
    headers.set(name.toLowerCase(), value);
  });
  if (issues.length > 0) throw new ConfigError(issues);

  const apiKey = own(`${prefix}API_KEY`);
  if (apiKey && !headers.has('authorization')) headers.set('authorization', `Bearer ${apiKey}`);
  // fromEntries defines properties, so a header named "__proto__" stays an ordinary key.
  return Object.fromEntries(headers);
}
