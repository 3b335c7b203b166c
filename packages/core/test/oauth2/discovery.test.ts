import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthEnv, type IdpConfig } from '../../src/config/index.js';
import { UnavailableError } from '../../src/errors/index.js';
import { createDiscovery, isAllowedIdpUrl } from '../../src/oauth2/discovery.js';

let server: Server;
let base: string;
let requests = 0;
let mode: 'ok' | 'wrong_issuer' | 'broken' | 'slow' = 'ok';

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (mode === 'slow') return; // never answers
    if (mode === 'broken') return void res.writeHead(500).end('oops');
    const issuer = mode === 'wrong_issuer' ? 'http://127.0.0.1:1' : base;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        issuer,
        authorization_endpoint: `${base}/auth`,
        token_endpoint: `${base}/token`,
        jwks_uri: `${base}/jwks`,
        response_types_supported: ['code'],
      }),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
});

function idp(configUrl: string): IdpConfig {
  const config = parseAuthEnv({
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: 'discovery0secret0abcdefghijklmnop0123',
    PHOENIX_OAUTH2_T_CLIENT_ID: 'c',
    PHOENIX_OAUTH2_T_CLIENT_SECRET: 's',
    PHOENIX_OAUTH2_T_OIDC_CONFIG_URL: configUrl,
  });
  return config.oauth2.idps[0]!;
}

describe('IdP discovery', () => {
  it('fetches, validates and caches the document', async () => {
    mode = 'ok';
    const discovery = createDiscovery();
    const before = requests;
    const endpoint = await discovery.get(idp(`${base}/.well-known/openid-configuration`));
    expect(endpoint.as.issuer).toBe(base);
    await discovery.get(idp(`${base}/.well-known/openid-configuration`));
    expect(requests - before).toBe(1);
  });

  it('refetches after the TTL', async () => {
    mode = 'ok';
    let now = 0;
    const discovery = createDiscovery({ ttlMs: 1000, now: () => now });
    const before = requests;
    await discovery.get(idp(`${base}/.well-known/openid-configuration`));
    now = 2000;
    await discovery.get(idp(`${base}/.well-known/openid-configuration`));
    expect(requests - before).toBe(2);
  });

  it('refuses a document whose issuer is not the discovery URL’s, and does not cache the failure', async () => {
    mode = 'wrong_issuer';
    const discovery = createDiscovery();
    await expect(discovery.get(idp(`${base}/.well-known/openid-configuration`))).rejects.toBeInstanceOf(
      UnavailableError,
    );
    mode = 'ok';
    await expect(discovery.get(idp(`${base}/.well-known/openid-configuration`))).resolves.toBeTruthy();
  });

  it('fails closed on a server error and on a timeout', async () => {
    mode = 'broken';
    await expect(createDiscovery().get(idp(`${base}/.well-known/openid-configuration`))).rejects.toBeInstanceOf(
      UnavailableError,
    );
    mode = 'slow';
    const started = Date.now();
    await expect(
      createDiscovery({ timeoutMs: 200 }).get(idp(`${base}/.well-known/openid-configuration`)),
    ).rejects.toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
    mode = 'ok';
  });

  it('allows plain http only on loopback', () => {
    expect(isAllowedIdpUrl(new URL('https://idp.example.com'))).toBe(true);
    expect(isAllowedIdpUrl(new URL('http://127.0.0.1:8080'))).toBe(true);
    expect(isAllowedIdpUrl(new URL('http://localhost'))).toBe(true);
    expect(isAllowedIdpUrl(new URL('http://[::1]:9'))).toBe(true);
    expect(isAllowedIdpUrl(new URL('http://idp.example.com'))).toBe(false);
    expect(isAllowedIdpUrl(new URL('http://127.0.0.1.nip.io'))).toBe(false);
  });
});
