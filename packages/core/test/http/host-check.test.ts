import { describe, expect, it } from 'vitest';
import { parseAuthEnv } from '../../src/config/index.js';
import { createHostCheck, hostOfHeader } from '../../src/http/host-check.js';

const check = (env: Record<string, string> = {}) => createHostCheck(parseAuthEnv(env));

describe('hostOfHeader', () => {
  it.each([
    ['example.com', 'example.com'],
    ['Example.COM:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]:6006', '::1'],
    ['[::1]', '::1'],
    ['10.0.0.5:6006', '10.0.0.5'],
  ])('%s → %s', (header, name) => {
    expect(hostOfHeader(header)).toBe(name);
  });

  it.each(['not a host', '[::1', '[::1]x', '[zz]:1', 'a:b:c', 'host:99999999', ''])('refuses %j', (header) => {
    expect(hostOfHeader(header)).toBeNull();
  });
});

describe('createHostCheck', () => {
  it('allows IP literals, localhost, *.localhost and the public URL host by default; refuses other names', () => {
    const hosts = check({ PHOENIX_HOST: 'phoenix.lan' })!;
    for (const host of [
      '127.0.0.1',
      '10.0.0.5:1',
      '[::1]:2',
      'localhost',
      'x.localhost:3',
      'phoenix.lan:6006',
      undefined,
      null,
      '',
    ]) {
      expect(hosts.allows(host), String(host)).toBe(true);
    }
    for (const host of ['rebind.evil.example', 'localhost.evil.example', 'phoenix.lan.evil', 'lan']) {
      expect(hosts.allows(host), host).toBe(false);
    }
  });

  it('GATEHOUSE_ALLOWED_HOSTS adds exact names and, with a leading dot, subdomains', () => {
    const hosts = check({
      PHOENIX_ROOT_URL: 'https://phoenix.example.com',
      GATEHOUSE_ALLOWED_HOSTS: 'alias.example.com,.corp.example',
    })!;
    expect(hosts.allows('phoenix.example.com')).toBe(true);
    expect(hosts.allows('alias.example.com')).toBe(true);
    expect(hosts.allows('deep.a.corp.example')).toBe(true);
    expect(hosts.allows('corp.example')).toBe(false);
    expect(hosts.allows('xcorp.example')).toBe(false);
    expect(hosts.allows('example.com')).toBe(false);
  });

  it('is off with GATEHOUSE_ALLOWED_HOSTS=*', () => {
    expect(check({ GATEHOUSE_ALLOWED_HOSTS: '*' })).toBeNull();
  });

  it("answers the same for a host seen many times, and past the memo's bound", () => {
    const hosts = check()!;
    for (let i = 0; i < 1000; i++) expect(hosts.allows(`h${i}.evil.example`)).toBe(false);
    expect(hosts.allows('localhost')).toBe(true);
    expect(hosts.allows('h1.evil.example')).toBe(false);
  });
});
