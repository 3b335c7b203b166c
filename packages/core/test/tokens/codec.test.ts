import { describe, expect, it } from 'vitest';
import {
  createTokenCodec,
  isTokenKind,
  MAX_TOKEN_LENGTH,
  TOKEN_KINDS,
  tokenType,
  type TokenKind,
} from '../../src/tokens/index.js';
import {
  codecAt,
  decodeSegment,
  expectRefused,
  handToken,
  header,
  NOW_S,
  OTHER_SECRET,
  payload,
  SECRET,
  testClock,
} from './helpers.js';

describe('sign and verify', () => {
  it.each(TOKEN_KINDS)('round-trips a %s token', async (kind) => {
    const codec = codecAt(testClock());
    const token = await codec.sign(kind, { jti: '42', sub: '7', expiresAt: NOW_S + 600 });
    await expect(codec.verify(token, kind)).resolves.toEqual({
      kind,
      jti: '42',
      sub: '7',
      issuedAt: NOW_S,
      notBefore: NOW_S,
      expiresAt: NOW_S + 600,
    });
  });

  it('writes exactly the documented header and claims', async () => {
    const token = await codecAt(testClock()).sign('access', { jti: '42', sub: '7', expiresAt: NOW_S + 600 });
    expect(decodeSegment(token, 0)).toEqual({ alg: 'HS256', typ: 'gh-access+jwt' });
    expect(decodeSegment(token, 1)).toEqual({
      knd: 'access',
      iss: 'gatehouse',
      sub: '7',
      jti: '42',
      iat: NOW_S,
      nbf: NOW_S,
      exp: NOW_S + 600,
    });
  });

  it('accepts a hand-built token in our format (the attack tests below build tokens the same way)', async () => {
    const token = handToken(header('access'), payload('access'));
    await expect(codecAt(testClock()).verify(token, 'access')).resolves.toMatchObject({ kind: 'access', sub: '7' });
  });

  it('uses explicit issuedAt and notBefore', async () => {
    const codec = codecAt(testClock());
    const token = await codec.sign('refresh', {
      jti: 'r1',
      sub: 'u1',
      expiresAt: NOW_S + 60,
      issuedAt: NOW_S - 10,
      notBefore: NOW_S - 5,
    });
    await expect(codec.verify(token, 'refresh')).resolves.toMatchObject({ issuedAt: NOW_S - 10, notBefore: NOW_S - 5 });
  });

  it('lets an API key live without expiry', async () => {
    const codec = codecAt(testClock());
    const token = await codec.sign('api_key', { jti: '9', sub: '1', expiresAt: null });
    expect(decodeSegment(token, 1)).not.toHaveProperty('exp');
    await expect(codec.verify(token, 'api_key')).resolves.toMatchObject({ expiresAt: null });
  });

  it.each(['access', 'refresh', 'password_reset', 'mfa_challenge'] as const)(
    'refuses to sign a %s token without expiry',
    async (kind) => {
      await expect(codecAt(testClock()).sign(kind, { jti: '1', sub: '1', expiresAt: null })).rejects.toThrow(TypeError);
    },
  );

  it.each(['access', 'refresh', 'password_reset', 'mfa_challenge'] as const)(
    'refuses a %s token without exp even when validly signed',
    async (kind) => {
      const { exp: _exp, ...rest } = payload(kind);
      const token = handToken(header(kind), rest);
      await expectRefused(codecAt(testClock()).verify(token, kind), token);
    },
  );

  it.each([
    [{ jti: '', sub: '1', expiresAt: NOW_S }],
    [{ jti: '1', sub: '', expiresAt: NOW_S }],
    [{ jti: 1 as unknown as string, sub: '1', expiresAt: NOW_S }],
    [{ jti: '1', sub: '1', expiresAt: NOW_S + 0.5 }],
    [{ jti: '1', sub: '1', expiresAt: Number.NaN }],
    [{ jti: '1', sub: '1', expiresAt: NOW_S, issuedAt: -1 }],
  ])('refuses to sign bad claims %j', async (claims) => {
    await expect(codecAt(testClock()).sign('access', claims)).rejects.toThrow(TypeError);
  });

  it('refuses to sign an unknown kind', async () => {
    await expect(
      codecAt(testClock()).sign('admin' as TokenKind, { jti: '1', sub: '1', expiresAt: NOW_S }),
    ).rejects.toThrow(TypeError);
  });

  it('refuses to sign a token it could not verify for size', async () => {
    const claims = { jti: '1', sub: 'x'.repeat(MAX_TOKEN_LENGTH), expiresAt: NOW_S + 60 };
    await expect(codecAt(testClock()).sign('access', claims)).rejects.toThrow(RangeError);
  });

  it('takes one kind or a list of acceptable kinds', async () => {
    const codec = codecAt(testClock());
    const access = await codec.sign('access', { jti: '1', sub: '1', expiresAt: NOW_S + 60 });
    const key = await codec.sign('api_key', { jti: '2', sub: '1', expiresAt: null });
    const refresh = await codec.sign('refresh', { jti: '3', sub: '1', expiresAt: NOW_S + 60 });
    const credentials = ['access', 'api_key'] as const;
    await expect(codec.verify(access, credentials)).resolves.toMatchObject({ kind: 'access' });
    await expect(codec.verify(key, credentials)).resolves.toMatchObject({ kind: 'api_key' });
    await expectRefused(codec.verify(refresh, credentials), refresh);
    await expectRefused(codec.verify(access, []), access);
  });
});

describe('time', () => {
  it('refuses an expired token with expired_token', async () => {
    const clock = testClock();
    const codec = codecAt(clock);
    const token = await codec.sign('access', { jti: '1', sub: '1', expiresAt: NOW_S + 600 });
    clock.seconds = NOW_S + 700;
    await expectRefused(codec.verify(token, 'access'), token, 'expired_token');
  });

  it.each([
    [-4, 'accepted'],
    [-5, 'expired'],
    [-6, 'expired'],
    [10, 'accepted'],
  ])('with the default 5 s tolerance, exp at now%+d s is %s', async (offset, outcome) => {
    const codec = codecAt(testClock());
    const token = await codec.sign('access', { jti: '1', sub: '1', expiresAt: NOW_S + offset, issuedAt: NOW_S - 100 });
    if (outcome === 'accepted') await expect(codec.verify(token, 'access')).resolves.toMatchObject({ jti: '1' });
    else await expectRefused(codec.verify(token, 'access'), token, 'expired_token');
  });

  it('treats exp as inclusive (Phoenix: expired when exp <= now)', async () => {
    const codec = codecAt(testClock(), { clockToleranceSeconds: 0 });
    const token = await codec.sign('api_key', { jti: '1', sub: '1', expiresAt: NOW_S });
    await expectRefused(codec.verify(token, 'api_key'), token, 'expired_token');
    const later = await codec.sign('api_key', { jti: '1', sub: '1', expiresAt: NOW_S + 1 });
    await expect(codec.verify(later, 'api_key')).resolves.toMatchObject({ expiresAt: NOW_S + 1 });
  });

  it.each([
    [3, 'accepted'],
    [5, 'accepted'],
    [6, 'refused'],
    [3600, 'refused'],
  ])('with the default tolerance, nbf at now+%d s is %s', async (offset, outcome) => {
    const codec = codecAt(testClock());
    const token = await codec.sign('access', {
      jti: '1',
      sub: '1',
      expiresAt: NOW_S + 7200,
      notBefore: NOW_S + offset,
    });
    if (outcome === 'accepted') await expect(codec.verify(token, 'access')).resolves.toMatchObject({ jti: '1' });
    else await expectRefused(codec.verify(token, 'access'), token);
  });

  it('says invalid, not expired, for an expired token of the wrong kind', async () => {
    const clock = testClock();
    const codec = codecAt(clock);
    const token = await codec.sign('refresh', { jti: '1', sub: '1', expiresAt: NOW_S + 60 });
    clock.seconds += 3600;
    await expectRefused(codec.verify(token, 'access'), token);
    await expectRefused(codec.verify(token, 'refresh'), token, 'expired_token');
  });

  it('says invalid, not expired, for an expired token with a bad signature', async () => {
    const token = handToken(header('access'), payload('access', { exp: NOW_S - 3600 }), { secret: OTHER_SECRET });
    await expectRefused(codecAt(testClock()).verify(token, 'access'), token);
  });
});

describe('issuer and secrets', () => {
  it('refuses a token from another issuer', async () => {
    const clock = testClock();
    const token = await codecAt(clock, { issuer: 'elsewhere' }).sign('access', {
      jti: '1',
      sub: '1',
      expiresAt: NOW_S + 60,
    });
    await expectRefused(codecAt(clock).verify(token, 'access'), token);
    await expect(codecAt(clock, { issuer: 'elsewhere' }).verify(token, 'access')).resolves.toMatchObject({ jti: '1' });
  });

  it.each([
    ['missing', { iss: undefined }],
    ['a number', { iss: 1 }],
    ['different case', { iss: 'Gatehouse' }],
  ])('refuses an iss that is %s', async (_label, extra) => {
    const token = handToken(header('access'), payload('access', extra));
    await expectRefused(codecAt(testClock()).verify(token, 'access'), token);
  });

  it('refuses a token signed with another secret', async () => {
    const clock = testClock();
    const token = await codecAt(clock, { secret: OTHER_SECRET }).sign('access', {
      jti: '1',
      sub: '1',
      expiresAt: NOW_S + 60,
    });
    await expectRefused(codecAt(clock).verify(token, 'access'), token);
  });

  it('accepts a previous secret only when it is listed, and never signs with it', async () => {
    const clock = testClock();
    const old = codecAt(clock, { secret: OTHER_SECRET });
    const rotated = codecAt(clock, {
      secret: SECRET,
      previousSecrets: ['unrelated-secret-000000000000000000000', OTHER_SECRET],
    });
    const fresh = codecAt(clock, { secret: SECRET });

    const oldToken = await old.sign('api_key', { jti: '5', sub: '1', expiresAt: null });
    await expect(rotated.verify(oldToken, 'api_key')).resolves.toMatchObject({ jti: '5' });
    await expectRefused(fresh.verify(oldToken, 'api_key'), oldToken);

    const newToken = await rotated.sign('api_key', { jti: '6', sub: '1', expiresAt: null });
    await expect(fresh.verify(newToken, 'api_key')).resolves.toMatchObject({ jti: '6' });
    await expectRefused(old.verify(newToken, 'api_key'), newToken);
  });

  it('still refuses the wrong kind and expiry under a previous secret', async () => {
    const clock = testClock();
    const old = codecAt(clock, { secret: OTHER_SECRET });
    const rotated = codecAt(clock, { previousSecrets: [OTHER_SECRET] });
    const token = await old.sign('refresh', { jti: '5', sub: '1', expiresAt: NOW_S + 60 });
    await expectRefused(rotated.verify(token, 'access'), token);
    clock.seconds += 3600;
    await expectRefused(rotated.verify(token, 'refresh'), token, 'expired_token');
  });
});

describe('createTokenCodec options', () => {
  it.each([
    [{ secret: '' }, TypeError],
    [{ secret: SECRET, previousSecrets: [''] }, TypeError],
    [{ secret: SECRET, issuer: '' }, TypeError],
    [{ secret: SECRET, clockToleranceSeconds: -1 }, RangeError],
    [{ secret: SECRET, clockToleranceSeconds: Number.POSITIVE_INFINITY }, RangeError],
  ])('refuses %j', (options, type) => {
    expect(() => createTokenCodec(options)).toThrow(type);
  });

  it('never puts a secret in its errors', () => {
    expect(() => createTokenCodec({ secret: SECRET, previousSecrets: [OTHER_SECRET, ''] })).toThrow(
      'previousSecrets[1] must be a non-empty string',
    );
  });

  it('uses Date.now by default', async () => {
    const codec = createTokenCodec({ secret: SECRET });
    const before = Math.floor(Date.now() / 1000);
    const token = await codec.sign('access', { jti: '1', sub: '1', expiresAt: before + 60 });
    const { issuedAt } = await codec.verify(token, 'access');
    expect(issuedAt).toBeGreaterThanOrEqual(before);
    expect(issuedAt).toBeLessThanOrEqual(before + 1);
  });
});

describe('kinds', () => {
  it('lists the four kinds and their typ values', () => {
    expect(TOKEN_KINDS).toEqual(['access', 'refresh', 'password_reset', 'api_key', 'mfa_challenge']);
    expect(TOKEN_KINDS.map(tokenType)).toEqual([
      'gh-access+jwt',
      'gh-refresh+jwt',
      'gh-password_reset+jwt',
      'gh-api_key+jwt',
      'gh-mfa_challenge+jwt',
    ]);
  });

  it.each([
    ['access', true],
    ['api_key', true],
    ['Access', false],
    ['admin', false],
    [undefined, false],
  ])('isTokenKind(%j) is %s', (value, expected) => {
    expect(isTokenKind(value)).toBe(expected);
  });
});

describe('verification in process (docs/architecture.md#rule-8: never on the libuv thread pool)', () => {
  it('verifySync answers without a Promise, with the same claims and errors as verify', async () => {
    const clock = testClock();
    const codec = codecAt(clock, { previousSecrets: [OTHER_SECRET] });
    const token = await codec.sign('access', { jti: '42', sub: '7', expiresAt: NOW_S + 600 });
    const old = await codecAt(clock, { secret: OTHER_SECRET }).sign('api_key', { jti: '5', sub: '1', expiresAt: null });
    expect(codec.verifySync(token, 'access')).toEqual(await codec.verify(token, 'access'));
    expect(codec.verifySync(old, ['access', 'api_key'])).toMatchObject({ kind: 'api_key', jti: '5' });
    expect(() => codec.verifySync(token, 'refresh')).toThrow(
      expect.objectContaining({ code: 'invalid_token' }) as Error,
    );
    clock.seconds += 3600;
    expect(() => codec.verifySync(token, 'access')).toThrow(
      expect.objectContaining({ code: 'expired_token' }) as Error,
    );
  });

  it('settles verify within the same turn of the event loop, even with the thread pool busy', async () => {
    const codec = codecAt(testClock());
    const token = await codec.sign('access', { jti: '1', sub: '1', expiresAt: NOW_S + 60 });
    // Keep every libuv pool thread busy: a verify that hopped to the pool would wait behind these.
    const { pbkdf2 } = await import('node:crypto');
    const busy = Array.from(
      { length: 8 },
      () => new Promise((resolve) => pbkdf2('x', 'salt', 200_000, 32, 'sha256', resolve)),
    );
    let settled = 0;
    void codec.verify(token, 'access').then(() => settled++);
    void codec.verify('x.y.z', 'access').catch(() => settled++);
    // Microtasks only: nothing from the pool (or any I/O) can complete before these awaits return.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(settled).toBe(2);
    await Promise.all(busy);
  });
});
