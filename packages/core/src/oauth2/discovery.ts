import * as oauth from 'oauth4webapi';
import type { IdpConfig } from '../config/index.js';
import { UnavailableError } from '../errors/index.js';

import type { DiscoveryOptions } from './discovery-options.js';

export type { DiscoveryOptions };

export interface IdpEndpoint {
  readonly as: oauth.AuthorizationServer;
  /** Options every oauth4webapi call to this IdP takes: timeout, and http only for loopback. */
  readonly requestOptions: { readonly signal: () => AbortSignal; readonly [oauth.allowInsecureRequests]?: true };
}

export interface Discovery {
  /** The IdP's metadata, or `UnavailableError` when it cannot be fetched or is not valid. */
  get(idp: IdpConfig): Promise<IdpEndpoint>;
}

const WELL_KNOWN = '/.well-known/openid-configuration';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Plain http only to a loopback host (tests, local IdPs); https everywhere else. */
export function isAllowedIdpUrl(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname);
}

export function createDiscovery(options: DiscoveryOptions = {}): Discovery {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { endpoint: Promise<IdpEndpoint>; expiresAt: number }>();

  async function fetchEndpoint(idp: IdpConfig): Promise<IdpEndpoint> {
    const configUrl = new URL(idp.oidcConfigUrl);
    if (!isAllowedIdpUrl(configUrl))
      throw new UnavailableError(`IdP ${idp.name}: discovery URL must be https (http only on loopback)`);
    const insecure = configUrl.protocol === 'http:';
    const requestOptions = {
      signal: () => AbortSignal.timeout(timeoutMs),
      ...(insecure ? { [oauth.allowInsecureRequests]: true as const } : {}),
    };
    try {
      const response = await fetch(configUrl, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Every ID token's `iss` and the callback's `iss` parameter are compared against this issuer.
      const body = (await response
        .clone()
        .json()
        .catch(() => null)) as { issuer?: unknown } | null;
      if (!response.ok || typeof body?.issuer !== 'string') throw new Error(`discovery answered ${response.status}`);
      const issuer = new URL(body.issuer);
      if (!isAllowedIdpUrl(issuer) || (issuer.protocol === 'http:') !== insecure)
        throw new Error('issuer scheme not allowed');
      // The well-known URL names its issuer exactly; any other URL must at least be served by it.
      if (
        configUrl.pathname.endsWith(WELL_KNOWN)
          ? `${issuer.href.replace(/\/$/, '')}${WELL_KNOWN}` !== configUrl.href
          : issuer.origin !== configUrl.origin
      ) {
        throw new Error('issuer does not match the discovery URL');
      }
      const as = await oauth.processDiscoveryResponse(issuer, response);
      if (!as.authorization_endpoint || !as.token_endpoint || !as.jwks_uri)
        throw new Error('discovery document lacks an endpoint');
      return { as, requestOptions };
    } catch (error) {
      throw new UnavailableError(`IdP ${idp.name}: discovery failed`, { code: 'unavailable', cause: error });
    }
  }

  return {
    get(idp) {
      const key = `${idp.name}\n${idp.oidcConfigUrl}`;
      const cached = cache.get(key);
      if (cached && cached.expiresAt > now()) return cached.endpoint;
      const endpoint = fetchEndpoint(idp);
      cache.set(key, { endpoint, expiresAt: now() + ttlMs });
      endpoint.catch(() => {
        if (cache.get(key)?.endpoint === endpoint) cache.delete(key);
      });
      return endpoint;
    },
  };
}
