import { describe, expect, it } from 'vitest';
import { parseAuthEnv } from '../../src/config/index.js';
import {
  createCsrfCheck,
  deleteCookie,
  fromGlobalId,
  readCookie,
  readJsonObject,
  resolveClientAddress,
  serializeCookie,
  toGlobalId,
} from '../../src/http/index.js';
import { isGatehouseError } from '../../src/errors/index.js';

const SECRET = 'test-secret-0123456789-abcdefghijklmn';

describe('readCookie', () => {
  const header = 'a=1; phoenix-access-token=tok; xphoenix-access-token=evil; phoenix-refresh-token=r';
  it.each([
    ['phoenix-access-token', 'tok'],
    ['phoenix-refresh-token', 'r'],
    ['a', '1'],
    ['missing', null],
  ])('%s → %s', (name, value) => {
    expect(readCookie(header, name)).toBe(value);
  });
  it('does not match a cookie whose name merely ends with the wanted one', () => {
    expect(readCookie('xphoenix-access-token=evil', 'phoenix-access-token')).toBeNull();
  });
  it("does not read a name=value inside another cookie's value (a space alone is no boundary)", () => {
    expect(readCookie('theme=dark phoenix-access-token=evil', 'phoenix-access-token')).toBeNull();
    expect(readCookie('q="a phoenix-access-token=evil"', 'phoenix-access-token')).toBeNull();
    expect(readCookie('theme=dark phoenix-access-token=evil; phoenix-access-token=real', 'phoenix-access-token')).toBe(
      'real',
    );
    expect(readCookie(' \tphoenix-access-token=lead', 'phoenix-access-token')).toBe('lead');
  });
  it('handles empty and absent headers', () => {
    expect(readCookie(null, 'a')).toBeNull();
    expect(readCookie('', 'a')).toBeNull();
    expect(readCookie('a=', 'a')).toBeNull();
  });
});

describe('cookie attributes', () => {
  const config = parseAuthEnv({
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: SECRET,
    PHOENIX_USE_SECURE_COOKIES: 'true',
    PHOENIX_COOKIES_PATH: '/app',
  });
  it('sets HttpOnly, SameSite, Path, Max-Age, Secure and never a Domain', () => {
    const cookie = serializeCookie(config.cookies, 'phoenix-access-token', 'v', { maxAge: 600, sameSite: 'Strict' });
    expect(cookie).toBe('phoenix-access-token=v; Path=/app; Max-Age=600; HttpOnly; SameSite=Strict; Secure');
  });
  it('deletes with the configured path', () => {
    expect(deleteCookie(config.cookies, 'phoenix-access-token')).toBe(
      'phoenix-access-token=; Path=/app; Max-Age=0; HttpOnly; SameSite=Strict; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure',
    );
  });
});

describe('resolveClientAddress', () => {
  const proxies = new Set(['10.0.0.1']);
  it.each([
    ['198.51.100.7', '203.0.113.9', new Set<string>(), '198.51.100.7'],
    ['10.0.0.1', '203.0.113.9', proxies, '203.0.113.9'],
    ['10.0.0.1', '1.1.1.1, 203.0.113.9, 10.0.0.1', proxies, '203.0.113.9'],
    ['198.51.100.7', '203.0.113.9', proxies, '198.51.100.7'],
    ['::ffff:10.0.0.1', '203.0.113.9', proxies, '203.0.113.9'],
    ['10.0.0.1', 'not-an-ip', proxies, '10.0.0.1'],
    [null, '203.0.113.9', proxies, null],
  ] as const)('peer %s, XFF %s → %s', (peer, xff, trusted, expected) => {
    expect(resolveClientAddress(peer, xff, trusted)).toBe(expected);
  });
});

describe('CSRF check (docs/phoenix-contract.md#csrf)', () => {
  const config = parseAuthEnv({
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: SECRET,
    PHOENIX_CSRF_TRUSTED_ORIGINS: ',http://localhost,',
  });
  const check = createCsrfCheck(config)!;
  it.each([
    [{}, null],
    [{ origin: 'http://localhost' }, null],
    [{ referer: 'http://localhost/xyz' }, null],
    [{ origin: 'http://evil.example' }, 'untrusted origin'],
    [{ referer: 'http://evil.example/x' }, 'untrusted referer'],
    [{ origin: 'http://evil.example', referer: 'http://localhost/' }, 'untrusted origin'],
    [{ origin: 'http://localhost', referer: 'http://evil.example/' }, 'untrusted referer'],
    [{ origin: 'null' }, 'untrusted origin'],
    [{ origin: 'http://app.example:8080', host: 'app.example:8080' }, null],
    [{ origin: 'http://evil.example', host: 'app.example' }, 'untrusted origin'],
  ])('%j → %s', (headers, message) => {
    const error = check(headers);
    expect(error?.message ?? null).toBe(message);
    if (error) expect(error.status).toBe(401);
  });
  it('is off when no origin is configured', () => {
    expect(createCsrfCheck(parseAuthEnv({}))).toBeNull();
  });
  it('with PHOENIX_ROOT_URL set, trusts that host and not the Host header', () => {
    const withRoot = createCsrfCheck(
      parseAuthEnv({
        PHOENIX_ENABLE_AUTH: 'true',
        PHOENIX_SECRET: SECRET,
        PHOENIX_CSRF_TRUSTED_ORIGINS: 'http://localhost',
        PHOENIX_ROOT_URL: 'https://auth.example.com/app',
      }),
    )!;
    expect(withRoot({ origin: 'https://auth.example.com' })).toBeNull();
    expect(withRoot({ origin: 'http://evil.example', host: 'evil.example' })?.message).toBe('untrusted origin');
  });
  it('lets a Referer through on the OAuth callback only when asked to', () => {
    expect(check({ referer: 'https://idp.example.com/' }, true)).toBeNull();
    expect(check({ origin: 'https://idp.example.com' }, true)?.message).toBe('untrusted origin');
  });
});

describe('GlobalIDs', () => {
  it('round-trips and matches the Phoenix encoding (base64 of Type:id)', () => {
    expect(toGlobalId('User', 2)).toBe('VXNlcjoy');
    expect(fromGlobalId('User', 'VXNlcjoy')).toBe(2);
  });
  it.each([
    '',
    'garbage',
    toGlobalId('UserApiKey', 2),
    Buffer.from('User:0').toString('base64'),
    Buffer.from('User:-1').toString('base64'),
    Buffer.from('User:1e3').toString('base64'),
  ])('rejects %j as a User id with a 422', (id) => {
    let error: unknown;
    try {
      fromGlobalId('User', id);
    } catch (e) {
      error = e;
    }
    expect(isGatehouseError(error) && error.status).toBe(422);
  });
});

describe('readJsonObject', () => {
  const post = (
    body: string | Uint8Array | null,
    type: string | null = 'application/json',
    extra: Record<string, string> = {},
  ) =>
    new Request('http://x/auth/login', {
      method: 'POST',
      body,
      headers: { ...(type ? { 'content-type': type } : {}), ...extra },
    });
  const codeOf = async (request: Request) => {
    try {
      await readJsonObject(request);
      return 'ok';
    } catch (e) {
      return isGatehouseError(e) ? `${e.status} ${e.code}` : String(e);
    }
  };
  it.each([
    [post('{"a":1}'), 'ok'],
    [post('{"a":1}', 'application/json; charset=utf-8'), 'ok'],
    [post('{"a":1}', 'text/plain'), '415 unsupported_media_type'],
    [post('{"a":1}', null), '415 unsupported_media_type'],
    [post('{bad'), '400 malformed_json'],
    [post(''), '400 malformed_json'],
    [post('[1,2]'), '422 invalid_input'],
    [post('"str"'), '422 invalid_input'],
    [post('null'), '422 invalid_input'],
    [post(new Uint8Array([0xff, 0xfe])), '400 malformed_json'],
    [post(`{"a":"${'x'.repeat(70_000)}"}`), '413 payload_too_large'],
    [post('{}', 'application/json', { 'content-length': '9999999' }), '413 payload_too_large'],
  ])('%#: %s', async (request, expected) => {
    expect(await codeOf(request)).toBe(expected);
  });
});
