import fc from 'fast-check';
import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../src/errors/index.js';
import { MAX_TOKEN_LENGTH, TOKEN_KINDS, type TokenKind } from '../../src/tokens/index.js';
import { b64url, codecAt, expectRefused, handToken, header, NOW_S, payload, SECRET, testClock } from './helpers.js';

const codec = codecAt(testClock());
const sign = (kind: TokenKind): Promise<string> => codec.sign(kind, { jti: '42', sub: '7', expiresAt: NOW_S + 600 });

describe('kind confusion', () => {
  const pairs = TOKEN_KINDS.flatMap((signed) =>
    TOKEN_KINDS.filter((other) => other !== signed).map((expected) => [signed, expected] as const),
  );

  it.each(pairs)('a %s token is refused where %s is expected', async (signed, expected) => {
    const token = await sign(signed);
    await expectRefused(codec.verify(token, expected), token);
  });

  it('an API key is refused where only access tokens are accepted', async () => {
    const token = await codec.sign('api_key', { jti: '1', sub: '1', expiresAt: null });
    await expectRefused(codec.verify(token, ['access']), token);
  });

  it.each([
    ['typ says access, knd says refresh', header('access'), payload('refresh')],
    ['typ says refresh, knd says access', header('refresh'), payload('access')],
    ['typ says access, knd says api_key', header('access'), payload('api_key')],
    ['knd missing', header('access'), payload('access', { knd: undefined })],
    ['knd in another case', header('access'), payload('access', { knd: 'ACCESS' })],
    ['typ missing', { alg: 'HS256' }, payload('access')],
    ['typ is plain JWT', { alg: 'HS256', typ: 'JWT' }, payload('access')],
    ['typ in upper case', { alg: 'HS256', typ: 'GH-ACCESS+JWT' }, payload('access')],
    ['typ with media type prefix', { alg: 'HS256', typ: 'application/gh-access+jwt' }, payload('access')],
    ['typ not a string', { alg: 'HS256', typ: ['gh-access+jwt'] }, payload('access')],
    ['typ of an unknown kind', { alg: 'HS256', typ: 'gh-admin+jwt' }, payload('access', { knd: 'admin' })],
  ])('a validly signed token is refused when %s', async (_label, head, body) => {
    const token = handToken(head, body);
    await expectRefused(codec.verify(token, 'access'), token);
    await expectRefused(codec.verify(token, TOKEN_KINDS), token);
  });
});

describe('algorithm attacks', () => {
  it.each([
    ['none', ''],
    ['none', 'AAAA'],
    ['None', ''],
    ['NONE', ''],
  ])('refuses alg %s with signature %j', async (alg, signature) => {
    const token = `${b64url({ alg, typ: 'gh-access+jwt' })}.${b64url(payload('access'))}.${signature}`;
    await expectRefused(codec.verify(token, 'access'), token);
  });

  it.each([
    ['HS384', 'sha384'],
    ['HS512', 'sha512'],
    ['HS256', 'sha384'],
    ['HS384', 'sha256'],
  ])('refuses alg %s signed with HMAC-%s and the right secret', async (alg, hash) => {
    const token = handToken({ alg, typ: 'gh-access+jwt' }, payload('access'), { hash });
    await expectRefused(codec.verify(token, 'access'), token);
  });

  it('refuses an RS256 token', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(payload('access'))
      .setProtectedHeader({ alg: 'RS256', typ: 'gh-access+jwt' })
      .sign(privateKey);
    await expectRefused(codec.verify(token, 'access'), token);
  });

  it('refuses an RS256 header over an HMAC of the secret', async () => {
    const token = handToken({ alg: 'RS256', typ: 'gh-access+jwt' }, payload('access'));
    await expectRefused(codec.verify(token, 'access'), token);
  });

  it('refuses alg missing or not a string', async () => {
    for (const head of [
      { typ: 'gh-access+jwt' },
      { alg: ['HS256'], typ: 'gh-access+jwt' },
      { alg: null, typ: 'gh-access+jwt' },
    ]) {
      const token = handToken(head, payload('access'));
      await expectRefused(codec.verify(token, 'access'), token);
    }
  });
});

describe('header injection', () => {
  it.each([
    ['jku', { jku: 'https://attacker.example/jwks.json' }],
    ['jwk', { jwk: { kty: 'oct', k: b64url('attacker') } }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['x5c', { x5c: ['MIIB'] }],
    ['kid', { kid: '../../dev/null' }],
    ['crit', { crit: ['exp'] }],
    ['b64 with crit', { b64: false, crit: ['b64'] }],
    ['cty', { cty: 'JWT' }],
    ['__proto__', JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>],
  ])('refuses a validly signed token whose header carries %s', async (_label, extra) => {
    const token = handToken(header('access', extra), payload('access'));
    await expectRefused(codec.verify(token, 'access'), token);
  });
});

describe('signature and payload tampering', () => {
  it('refuses a stripped signature', async () => {
    const token = await sign('access');
    const [h, p] = token.split('.');
    for (const stripped of [`${h}.${p}.`, `${h}.${p}`, `${h}.${p}..`])
      await expectRefused(codec.verify(stripped, 'access'), stripped);
  });

  it('refuses a truncated or altered signature', async () => {
    const token = await sign('access');
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    for (const altered of [token.slice(0, -1), token.slice(0, -4), token.slice(0, -1) + last, `${token}A`]) {
      await expectRefused(codec.verify(altered, 'access'), altered);
    }
  });

  it('refuses every non-canonical spelling of the signature (base64 malleability)', async () => {
    const token = await sign('access');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const base = alphabet.indexOf(token.at(-1)!);
    expect(base % 4).toBe(0);
    for (let bits = 1; bits < 4; bits++) {
      const variant = token.slice(0, -1) + alphabet[base + bits]!;
      await expectRefused(codec.verify(variant, 'access'), variant);
    }
    await expect(codec.verify(token, 'access')).resolves.toMatchObject({ jti: '42' });
  });

  it("refuses another token's signature", async () => {
    const [h, p] = (await sign('access')).split('.');
    const other = await codec.sign('access', { jti: '43', sub: '8', expiresAt: NOW_S + 600 });
    const spliced = `${h}.${p}.${other.split('.')[2]}`;
    await expectRefused(codec.verify(spliced, 'access'), spliced);
  });

  it.each([
    ['sub', { sub: '1' }],
    ['jti', { jti: '1' }],
    ['exp', { exp: NOW_S + 10 ** 9 }],
    ['knd', { knd: 'api_key' }],
  ])('refuses a payload re-encoded with a changed %s', async (_label, change) => {
    const [h, p, s] = (await sign('access')).split('.');
    const original = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = `${h}.${b64url({ ...original, ...change })}.${s}`;
    await expectRefused(codec.verify(tampered, 'access'), tampered);
  });

  it('refuses a header re-encoded to another kind', async () => {
    const [, p, s] = (await sign('refresh')).split('.');
    const tampered = `${b64url(header('access'))}.${p}.${s}`;
    await expectRefused(codec.verify(tampered, 'access'), tampered);
  });
});

describe('claims, validly signed', () => {
  it.each([
    ['jti missing', { jti: undefined }],
    ['jti a number', { jti: 42 }],
    ['jti empty', { jti: '' }],
    ['sub missing', { sub: undefined }],
    ['sub a number', { sub: 7 }],
    ['sub empty', { sub: '' }],
    ['iat missing', { iat: undefined }],
    ['iat a string', { iat: String(NOW_S) }],
    ['nbf missing', { nbf: undefined }],
    ['nbf null', { nbf: null }],
    ['exp a string', { exp: String(NOW_S + 600) }],
    ['exp null', { exp: null }],
  ])('refuses a token whose %s', async (_label, change) => {
    const token = handToken(header('access'), payload('access', change));
    await expectRefused(codec.verify(token, 'access'), token);
  });

  it('refuses an API key whose exp is null rather than absent', async () => {
    const token = handToken(header('api_key'), payload('api_key', { exp: null }));
    await expectRefused(codec.verify(token, 'api_key'), token);
  });

  it.each([
    ['an array', [payload('access')]],
    ['null', null],
    ['a number', 42],
    ['a string', 'access'],
  ])('refuses a payload that is %s', async (_label, body) => {
    const token = handToken(header('access'), b64url(JSON.stringify(body)));
    await expectRefused(codec.verify(token, 'access'), token);
  });

  it.each([
    ['not JSON', b64url('{"knd":"access"')],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')],
    ['not base64url', 'eyJ!!!'],
    ['padded base64', `${b64url(payload('access'))}==`],
  ])('refuses a payload that is %s', async (_label, encoded) => {
    const token = handToken(header('access'), encoded);
    await expectRefused(codec.verify(token, 'access'), token);
  });
});

describe('size and garbage', () => {
  it('refuses a token over the size limit even when validly signed', async () => {
    const token = handToken(header('access'), payload('access', { sub: 'x'.repeat(MAX_TOKEN_LENGTH) }));
    expect(token.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    await expectRefused(codec.verify(token, 'access'), token);
  });

  it('refuses a huge token without parsing it', async () => {
    const segment = b64url({ alg: 'HS256', typ: 'gh-access+jwt', pad: 'x'.repeat(5_000_000) });
    const token = `${segment}.${segment}.${segment}`;
    const start = performance.now();
    for (let i = 0; i < 100; i++) await expectRefused(codec.verify(token, 'access'), undefined);
    expect(performance.now() - start).toBeLessThan(500);
  });

  it('accepts a token of exactly the limit and refuses one character more', async () => {
    const build = (n: number): string =>
      handToken(header('password_reset'), payload('password_reset', { sub: 'x'.repeat(n) }));
    let n = 1;
    while (build(n).length < MAX_TOKEN_LENGTH) n++;
    const atLimit = build(n);
    const over = build(n + 1);
    expect([atLimit.length, over.length]).toEqual([MAX_TOKEN_LENGTH, MAX_TOKEN_LENGTH + 1]);
    await expect(codec.verify(atLimit, 'password_reset')).resolves.toMatchObject({ sub: 'x'.repeat(n) });
    await expectRefused(codec.verify(over, 'password_reset'), over);
  });

  it.each([
    '',
    '.',
    '..',
    '...',
    'a.b.c',
    'a.b.c.d',
    'Bearer x.y.z',
    '\u0000\u0001\u0002',
    '\u0000.\u0000.\u0000',
    'eyJ\u0000.eyJ.',
    'ë.ü.ö',
    '🔑.🔑.🔑',
    '\ud800.\udfff.x',
    '\r\n.\t.\u2028',
    'null',
    '{}',
  ])('refuses garbage %j with invalid_token', async (garbage) => {
    await expectRefused(codec.verify(garbage, 'access'), garbage);
  });

  it.each([undefined, null, 42, {}, ['a.b.c']])('refuses a non-string %j', async (value) => {
    await expectRefused(codec.verify(value as string, 'access'), undefined);
  });

  it('never throws anything but AuthenticationError for arbitrary input', async () => {
    const segment = fc.string({ unit: 'binary', maxLength: 60 });
    const arbitraryToken = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'binary-ascii', maxLength: 200 }),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc
        .tuple(fc.jsonValue(), fc.jsonValue(), fc.string({ maxLength: 50 }))
        .map(([h, p, s]) => `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(p) ?? '')}.${s}`),
      fc
        .tuple(fc.jsonValue(), fc.jsonValue())
        .map(([h, p]) => handToken({ ...header('access'), x: h }, JSON.stringify(p) ?? '')),
    );
    await fc.assert(
      fc.asyncProperty(arbitraryToken, async (token) => {
        try {
          await codec.verify(token, ['access', 'api_key']);
          return false;
        } catch (error) {
          return (
            error instanceof AuthenticationError && error.code === 'invalid_token' && error.message === 'Invalid token'
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is not confused by a correctly signed token with the secret as the key material in jwk', async () => {
    const token = handToken(header('access', { jwk: { kty: 'oct', k: b64url(SECRET) } }), payload('access'));
    await expectRefused(codec.verify(token, 'access'), token);
  });
});
