import { describe, expect, it } from 'vitest';
import { createArgon2Hasher, DEFAULT_ARGON2_PARAMS } from '../../src/crypto/index.js';

// Cheap parameters where the test is about behaviour, not cost.
const fast = createArgon2Hasher({ memoryCost: 1024, timeCost: 1 });

describe('createArgon2Hasher', () => {
  it('defaults to OWASP argon2id m=19456, t=2, p=1 in PHC form', async () => {
    expect(DEFAULT_ARGON2_PARAMS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const hash = await createArgon2Hasher().hash('correct horse');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('round-trips a password and refuses a wrong one', async () => {
    const hash = await fast.hash('correct horse');
    await expect(fast.verify(hash, 'correct horse')).resolves.toBe(true);
    await expect(fast.verify(hash, 'correct horse ')).resolves.toBe(false);
    await expect(fast.verify(hash, 'Correct horse')).resolves.toBe(false);
    await expect(fast.verify(hash, '')).resolves.toBe(false);
  });

  it('handles non-ASCII passwords', async () => {
    const hash = await fast.hash('비밀번호🔑');
    await expect(fast.verify(hash, '비밀번호🔑')).resolves.toBe(true);
    await expect(fast.verify(hash, '비밀번호')).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    expect(await fast.hash('same')).not.toBe(await fast.hash('same'));
  });

  it('verifies hashes made with other parameters (they carry their own)', async () => {
    const old = await createArgon2Hasher({ memoryCost: 512, timeCost: 1 }).hash('pw');
    await expect(createArgon2Hasher().verify(old, 'pw')).resolves.toBe(true);
  });

  it.each([
    ['empty', ''],
    ['not a hash', 'password'],
    ['hex PBKDF2 digest', 'a'.repeat(64)],
    ['bcrypt', '$2b$10$abcdefghijklmnopqrstuuJ0c1y5Zr5w8G9H6C8S3bXb7ffm3CqO'],
    ['truncated', '$argon2id$v=19$m=1024,t=1,p=1$'],
    ['bad base64', '$argon2id$v=19$m=1024,t=1,p=1$abc$def'],
    [
      'unknown variant',
      '$argon2x$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    ],
  ])('verify is false, not an exception, for a malformed hash (%s)', async (_label, hash) => {
    await expect(fast.verify(hash, 'password')).resolves.toBe(false);
  });

  it('dummyVerify always resolves false, with default and custom parameters', async () => {
    await expect(createArgon2Hasher().dummyVerify('anything')).resolves.toBe(false);
    await expect(fast.dummyVerify('anything')).resolves.toBe(false);
    await expect(fast.dummyVerify('anything')).resolves.toBe(false);
  });

  it('dummyVerify costs about as much as a real verification', async () => {
    const hasher = createArgon2Hasher();
    const hash = await hasher.hash('pw');
    await hasher.dummyVerify('warm-up');
    const time = async (fn: () => Promise<unknown>): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < 5; i++) await fn();
      return performance.now() - start;
    };
    const real = await time(() => hasher.verify(hash, 'wrong'));
    const dummy = await time(() => hasher.dummyVerify('wrong'));
    // Generous bounds: the point is that no argon2 work is skipped (which would make it ~1000x faster).
    expect(dummy).toBeGreaterThan(real / 10);
    expect(dummy).toBeLessThan(real * 10);
  });

  it.each([
    [{ parallelism: 0 }],
    [{ parallelism: 256 }],
    [{ timeCost: 0 }],
    [{ memoryCost: 7 }],
    [{ memoryCost: 1.5 }],
    [{ memoryCost: Number.NaN }],
  ])('refuses parameters %j', (params) => {
    expect(() => createArgon2Hasher(params)).toThrow(RangeError);
  });
});

describe('needsRehash', () => {
  const hasher = createArgon2Hasher();
  const salt = 'c2FsdHNhbHRzYWx0c2FsdA'; // 16 bytes
  const out = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'; // 32 bytes

  it('is false for a hash made with the current parameters', async () => {
    expect(hasher.needsRehash(await hasher.hash('pw'))).toBe(false);
  });

  it.each([
    ['current', `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${out}`],
    ['more memory', `$argon2id$v=19$m=65536,t=2,p=1$${salt}$${out}`],
    ['more passes', `$argon2id$v=19$m=19456,t=3,p=1$${salt}$${out}`],
    ['more lanes', `$argon2id$v=19$m=19456,t=2,p=4$${salt}$${out}`],
  ])('is false when the stored hash is not weaker (%s)', (_label, hash) => {
    expect(hasher.needsRehash(hash)).toBe(false);
  });

  it.each([
    ['less memory', `$argon2id$v=19$m=4096,t=2,p=1$${salt}$${out}`],
    ['fewer passes', `$argon2id$v=19$m=19456,t=1,p=1$${salt}$${out}`],
    ['old version', `$argon2id$v=16$m=19456,t=2,p=1$${salt}$${out}`],
    ['argon2i', `$argon2i$v=19$m=19456,t=2,p=1$${salt}$${out}`],
    ['argon2d', `$argon2d$v=19$m=19456,t=2,p=1$${salt}$${out}`],
    ['short salt', `$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$${out}`],
    ['short output', `$argon2id$v=19$m=19456,t=2,p=1$${salt}$aGFzaGhhc2hoYXNo`],
    ['bcrypt', '$2b$10$abcdefghijklmnopqrstuuJ0c1y5Zr5w8G9H6C8S3bXb7ffm3CqO'],
    ['PBKDF2 hex', 'ab'.repeat(32)],
    ['empty', ''],
    ['garbage', '$argon2id$nonsense'],
  ])('is true for %s', (_label, hash) => {
    expect(hasher.needsRehash(hash)).toBe(true);
  });

  it('compares against the configured parameters, not the defaults', () => {
    const stronger = createArgon2Hasher({ memoryCost: 65536, timeCost: 3 });
    expect(stronger.needsRehash(`$argon2id$v=19$m=19456,t=2,p=1$${salt}$${out}`)).toBe(true);
    expect(stronger.needsRehash(`$argon2id$v=19$m=65536,t=3,p=1$${salt}$${out}`)).toBe(false);
  });
});
