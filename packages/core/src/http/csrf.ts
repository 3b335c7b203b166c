import type { AuthConfig } from '../config/index.js';
import { AuthenticationError } from '../errors/index.js';

export interface OriginHeaders {
  origin?: string | null;
  referer?: string | null;
  /** The request's own Host header: the deployment's origin when PHOENIX_ROOT_URL is unset. */
  host?: string | null;
}

function hostnameOf(value: string): string | null {
  try {
    const host = new URL(value).hostname.toLowerCase();
    return host || null;
  } catch {
    return null;
  }
}

function hostnameOfHostHeader(host: string): string | null {
  return hostnameOf(`http://${host}`);
}

/**
 * Phoenix's CSRF check (docs/phoenix-contract.md#csrf): when PHOENIX_CSRF_TRUSTED_ORIGINS is set, every request whose
 * `Origin` or `Referer` names a host outside the trusted set is refused (401 `untrusted origin` /
 * `untrusted referer`); a request with neither passes. Gatehouse always trusts the deployment's own
 * host (PHOENIX_ROOT_URL's, else the request's Host), so forgetting to list it cannot lock the UI out.
 * Returns a checker, or null when the check is off.
 */
export function createCsrfCheck(
  config: AuthConfig,
): ((headers: OriginHeaders, referrerExempt?: boolean) => AuthenticationError | null) | null {
  if (config.csrfTrustedOrigins.length === 0) return null;
  const trusted = new Set(config.csrfTrustedOrigins);
  const ownFromConfig = config.rootUrl ? hostnameOf(config.rootUrl) : null;
  if (ownFromConfig) trusted.add(ownFromConfig);

  const isTrusted = (hostname: string | null, host: string | null | undefined): boolean => {
    if (hostname === null) return false;
    if (trusted.has(hostname)) return true;
    return ownFromConfig === null && !!host && hostnameOfHostHeader(host) === hostname;
  };

  return ({ origin, referer, host }, referrerExempt = false) => {
    if (origin && !isTrusted(hostnameOf(origin), host))
      return new AuthenticationError('untrusted origin', { code: 'untrusted_origin' });
    // The OAuth callback arrives from the IdP's page: its Referer is the IdP. The callback is
    // protected by state, nonce and PKCE instead.
    if (referer && !referrerExempt && !isTrusted(hostnameOf(referer), host)) {
      return new AuthenticationError('untrusted referer', { code: 'untrusted_origin' });
    }
    return null;
  };
}
