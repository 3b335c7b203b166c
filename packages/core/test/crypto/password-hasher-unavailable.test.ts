import { afterEach, describe, expect, it, vi } from 'vitest';

afterEach(() => {
  vi.doUnmock('@node-rs/argon2');
  vi.resetModules();
});

describe('a broken native argon2 build', () => {
  it('does not break importing crypto; password operations report unavailable', async () => {
    vi.resetModules();
    vi.doMock('@node-rs/argon2', () => {
      throw new Error('cannot open shared object file');
    });
    const crypto = await import('../../src/crypto/index.js');
    // On libuv's pool the module is imported in this thread, where the mock stands in for a broken
    // binary. On worker threads it is imported in the worker: that case is in argon2-threads.test.ts.
    const hasher = crypto.createArgon2Hasher({}, { threads: 'pool' });
    // Making the default (worker) hasher touches neither the module nor a thread.
    expect(crypto.createArgon2Hasher().needsRehash('$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA')).toBe(true);

    await expect(hasher.hash('pw')).rejects.toMatchObject({
      code: 'unavailable',
      message: 'Password hashing is unavailable',
    });
    await expect(hasher.verify('$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', 'pw')).rejects.toMatchObject({
      code: 'unavailable',
    });
    // Synchronous helpers never touch the native module.
    expect(hasher.needsRehash('$argon2i$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA')).toBe(true);
    expect(crypto.passwordProblems('abcd', 'default')).toBeNull();
  });
});
