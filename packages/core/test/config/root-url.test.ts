import { describe, expect, it } from 'vitest';
import { type RootUrlParts, deriveRootUrl, parseAuthEnv } from '../../src/config/index.js';

describe('deriveRootUrl (reference TestGetEnvRootUrl, ROOT_URL unset)', () => {
  it.each<[string, RootUrlParts, string]>([
    ['constructed_url_with_root_path', { host: 'localhost', port: 8080, rootPath: '/phoenix', tls: false }, 'http://localhost:8080/phoenix'],
    ['constructed_url_with_0.0.0.0_host', { host: '0.0.0.0', port: 6006, rootPath: '', tls: false }, 'http://127.0.0.1:6006'],
    ['constructed_url_with_domain', { host: 'example.com', port: 443, rootPath: '/app', tls: false }, 'http://example.com:443/app'],
    ['tls', { host: 'example.com', port: 8443, rootPath: '', tls: true }, 'https://example.com:8443'],
    ['ipv6 wildcard', { host: '::', port: 6006, rootPath: '', tls: false }, 'http://[::1]:6006'],
    ['ipv6 literal', { host: '2001:db8::1', port: 80, rootPath: '/x', tls: false }, 'http://[2001:db8::1]:80/x'],
    ['bracketed ipv6', { host: '[::1]', port: 80, rootPath: '', tls: false }, 'http://[::1]:80'],
  ])('%s', (_id, parts, url) => {
    expect(deriveRootUrl(parts)).toBe(url);
  });

  it('an explicit ROOT_URL wins and is kept verbatim (explicit_root_url, explicit_root_url_with_trailing_slash)', () => {
    const config = parseAuthEnv({ PHOENIX_ROOT_URL: 'https://example.com/', PHOENIX_HOST_ROOT_PATH: '/phoenix' });
    const rootUrl = config.rootUrl ?? deriveRootUrl({ host: '0.0.0.0', port: 6006, rootPath: config.rootPath, tls: false });
    expect(rootUrl).toBe('https://example.com/');
  });

  it('without ROOT_URL the derived URL carries the root path', () => {
    const config = parseAuthEnv({ PHOENIX_HOST_ROOT_PATH: '/phoenix' });
    expect(config.rootUrl).toBeNull();
    expect(deriveRootUrl({ host: 'localhost', port: 8080, rootPath: config.rootPath, tls: false })).toBe('http://localhost:8080/phoenix');
  });
});
