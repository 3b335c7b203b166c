// Apart from discovery.ts so that the public declarations (GatehouseOptions.discovery) do not
// import oauth4webapi, an ESM-only package a CommonJS TypeScript project under node16 cannot load.
export interface DiscoveryOptions {
  /** Per request to the IdP (discovery, token, UserInfo, JWKS). Default 10 000 ms. */
  timeoutMs?: number;
  /** How long a fetched document is reused. Default one hour; failures are never cached. */
  ttlMs?: number;
  now?: () => number;
}
