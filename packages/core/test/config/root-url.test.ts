import { describe, expect, it } from 'vitest';
import { type RootUrlParts, deriveRootUrl, parseAuthEnv } from '../../src/config/index.js';
import { issuesOf } from './helpers.js';

describe('deriveRootUrl (reference TestGetEnvRootUrl, ROOT_URL unset)', () => {
  it.each<[string, RootUrlParts, string]>([
    [
      'constructed_url_with_root_path',
      { host: 'localhost', port: 8080, rootPath: '/phoenix', tls: false },
      'http://localhost:8080/phoenix',
    ],
    [
      'constructed_url_with_0.0.0.0_host',
      { host: '0.0.0.0', port: 6006, rootPath: '', tls: false },
      'http://127.0.0.1:6006',
    ],
    [
      'constructed_url_with_domain',
      { host: 'example.com', port: 443, rootPath: '/app', tls: false },
      'http://example.com:443/app',
    ],
    ['tls', { host: 'example.com', port: 8443, rootPath: '', tls: true }, 'https://example.com:8443'],
    ['ipv6 wildcard', { host: '::', port: 6006, rootPath: '', tls: false }, 'http://[::1]:6006'],
    ['ipv6 literal', { host: '2001:db8::1', port: 80, rootPath: '/x', tls: false }, 'http://[2001:db8::1]:80/x'],
    ['bracketed ipv6', { host: '[::1]', port: 80, rootPath: '', tls: false }, 'http://[::1]:80'],
  ])('%s', (_id, parts, url) => {
    expect(deriveRootUrl(parts)).toBe(url);
  });

  it('an explicit ROOT_URL wins and is kept verbatim (explicit_root_url, explicit_root_url_with_trailing_slash)', () => {
    const config = parseAuthEnv({ PHOENIX_ROOT_URL: 'https://example.com/', PHOENIX_HOST_ROOT_PATH: '/phoenix' });
    const rootUrl =
      config.rootUrl ?? deriveRootUrl({ host: '0.0.0.0', port: 6006, rootPath: config.rootPath, tls: false });
    expect(rootUrl).toBe('https://example.com/');
  });

  it('without ROOT_URL the derived URL carries the root path', () => {
    const config = parseAuthEnv({ PHOENIX_HOST_ROOT_PATH: '/phoenix' });
    expect(config.rootUrl).toBeNull();
    expect(deriveRootUrl({ host: 'localhost', port: 8080, rootPath: config.rootPath, tls: false })).toBe(
      'http://localhost:8080/phoenix',
    );
  });
});

describe('config.publicUrl: the one base of public URLs, from configuration only', () => {
  it('is PHOENIX_ROOT_URL without trailing slashes when set', () => {
    expect(
      parseAuthEnv({ PHOENIX_ROOT_URL: 'https://example.com/phoenix//', PHOENIX_HOST: 'other', PHOENIX_PORT: '1' })
        .publicUrl,
    ).toBe('https://example.com/phoenix');
  });

  it('is derived from PHOENIX_HOST, PHOENIX_PORT and the root path otherwise (0.0.0.0 shown as 127.0.0.1)', () => {
    expect(parseAuthEnv({}).publicUrl).toBe('http://127.0.0.1:6006');
    expect(
      parseAuthEnv({ PHOENIX_HOST: 'phoenix.lan', PHOENIX_PORT: '8080', PHOENIX_HOST_ROOT_PATH: '/app' }).publicUrl,
    ).toBe('http://phoenix.lan:8080/app');
    expect(parseAuthEnv({ PHOENIX_HOST: '::' }).publicUrl).toBe('http://[::1]:6006');
  });

  it('refuses a bad PHOENIX_HOST or PHOENIX_PORT with the variable named, together', () => {
    const issues = issuesOf({ PHOENIX_HOST: 'http://x', PHOENIX_PORT: '-1' });
    expect(issues.map((i) => i.variable).sort()).toEqual(['PHOENIX_HOST', 'PHOENIX_PORT']);
    expect(issues.find((i) => i.variable === 'PHOENIX_HOST')?.message).toContain('host name or an IP address');
  });
});

describe('GATEHOUSE_ALLOWED_HOSTS', () => {
  it('lists lower-cased names, trailing dots dropped, de-duplicated; `*` alone turns the check off', () => {
    expect(
      parseAuthEnv({ GATEHOUSE_ALLOWED_HOSTS: 'B.example., a.example, .Corp.example, a.example' }).allowedHosts,
    ).toEqual(['.corp.example', 'a.example', 'b.example']);
    expect(parseAuthEnv({ GATEHOUSE_ALLOWED_HOSTS: '*' }).allowedHosts).toBeNull();
    expect(parseAuthEnv({}).allowedHosts).toEqual([]);
  });

  it('is read with the GATEHOUSE_ prefix whatever the Phoenix prefix is', () => {
    expect(parseAuthEnv({ GATEHOUSE_ALLOWED_HOSTS: 'x.example' }, { prefix: 'MY_' }).allowedHosts).toEqual([
      'x.example',
    ]);
  });

  it('refuses schemes, ports, paths and `*` among names, every one named', () => {
    const issues = issuesOf({
      GATEHOUSE_ALLOWED_HOSTS: 'https://a.example, b.example:8080, c.example/x, *, ok.example',
    });
    expect(issues).toHaveLength(4);
    for (const issue of issues) {
      expect(issue.variable).toBe('GATEHOUSE_ALLOWED_HOSTS');
      expect(issue.message).toContain('host names without scheme or port');
    }
  });
});
