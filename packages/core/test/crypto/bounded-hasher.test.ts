import { describe, expect, it } from 'vitest';
import {
  createBoundedHasher,
  defaultHashConcurrency,
  type HashingBurst,
  type PasswordHasher,
} from '../../src/crypto/index.js';
import { OverloadedError, isGatehouseError } from '../../src/errors/index.js';

/** A hasher whose operations finish only when the test says so, recording the order they started in. */
function heldHasher() {
  const started: string[] = [];
  const pending: { label: string; finish: (ok: boolean) => void; fail: (error: Error) => void }[] = [];
  const hold = <T>(label: string, value: (ok: boolean) => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      started.push(label);
      pending.push({ label, finish: (ok) => resolve(value(ok)), fail: reject });
    });
  const hasher: PasswordHasher = {
    hash: (password) => hold(`hash:${password}`, () => `$argon2id$${password}`),
    verify: (_stored, password) => hold(`verify:${password}`, (ok) => ok),
    needsRehash: () => false,
    dummyVerify: (password) => hold(`dummy:${password}`, () => false as const),
  };
  /** Finishes the oldest running operation. */
  const finishOldest = async (ok = true) => {
    const next = pending.shift();
    if (!next) throw new Error('nothing is running');
    next.finish(ok);
    // Let the bound hand the slot over (a few microtasks).
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { hasher, started, pending, finishOldest };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('createBoundedHasher', () => {
  it('runs at most `concurrency` operations, the rest in FIFO order, hash/verify/dummyVerify alike', async () => {
    const held = heldHasher();
    const bounded = createBoundedHasher(held.hasher, { concurrency: 2, maxQueue: 10 });
    const results = [
      bounded.verify('h', 'a'),
      bounded.dummyVerify('b'),
      bounded.hash('c'),
      bounded.verify('h', 'd'),
      bounded.dummyVerify('e'),
    ];
    await settle();
    expect(held.started).toEqual(['verify:a', 'dummy:b']);
    expect(bounded.stats()).toMatchObject({ inFlight: 2, queued: 3 });
    await held.finishOldest();
    expect(held.started).toEqual(['verify:a', 'dummy:b', 'hash:c']);
    // A newcomer while others wait goes to the back, even though a slot frees next.
    results.push(bounded.verify('h', 'late'));
    await held.finishOldest();
    await held.finishOldest();
    await held.finishOldest();
    await held.finishOldest();
    await held.finishOldest();
    expect(held.started).toEqual(['verify:a', 'dummy:b', 'hash:c', 'verify:d', 'dummy:e', 'verify:late']);
    await expect(Promise.all(results)).resolves.toEqual([true, false, '$argon2id$c', true, false, true]);
    expect(bounded.stats()).toMatchObject({ inFlight: 0, queued: 0, refused: 0 });
  });

  it('refuses past the queue bound at once with a typed 503 carrying Retry-After, and logs once per burst', async () => {
    const held = heldHasher();
    const bursts: HashingBurst[] = [];
    let clock = 0;
    const bounded = createBoundedHasher(held.hasher, {
      concurrency: 1,
      maxQueue: 2,
      onBurst: (burst) => bursts.push(burst),
      now: () => clock,
    });
    const admitted = [bounded.verify('h', 'a'), bounded.verify('h', 'b'), bounded.verify('h', 'c')];
    const refusals = await Promise.allSettled([bounded.verify('h', 'x'), bounded.dummyVerify('y'), bounded.hash('z')]);
    for (const refusal of refusals) {
      expect(refusal.status).toBe('rejected');
      const error = (refusal as PromiseRejectedResult).reason as OverloadedError;
      expect(error).toBeInstanceOf(OverloadedError);
      expect(isGatehouseError(error) && error.status).toBe(503);
      expect(error.toJSON()).toEqual({
        error: { code: 'overloaded', message: 'Too many logins at once; retry shortly' },
      });
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    // Refused work never reached the hasher; the burst was reported once, with counts only.
    expect(held.started).toEqual(['verify:a']);
    expect(bursts).toEqual([{ concurrency: 1, maxQueue: 2, retryAfterSeconds: 1 }]);
    expect(bounded.stats()).toMatchObject({ inFlight: 1, queued: 2, refused: 3 });

    // Slow operations (4 s each, on the injected clock) make the estimate grow.
    clock += 4000;
    await held.finishOldest();
    clock += 4000;
    await held.finishOldest();
    clock += 4000;
    await held.finishOldest();
    await expect(Promise.all(admitted)).resolves.toEqual([true, true, true]);

    // The queue drained: the next overflow is a new burst, reported again.
    const more = [bounded.verify('h', 'd'), bounded.verify('h', 'e'), bounded.verify('h', 'f')];
    const refused = await bounded.verify('h', 'g').catch((error: unknown) => error as OverloadedError);
    expect(refused).toBeInstanceOf(OverloadedError);
    expect((refused as OverloadedError).retryAfterSeconds).toBeGreaterThan(1);
    expect(bursts).toHaveLength(2);
    for (let i = 0; i < 3; i++) await held.finishOldest();
    await Promise.all(more);
  });

  it('with a queue of 0, refuses whenever every slot is busy', async () => {
    const held = heldHasher();
    const bounded = createBoundedHasher(held.hasher, { concurrency: 1, maxQueue: 0 });
    const first = bounded.verify('h', 'a');
    await expect(bounded.verify('h', 'b')).rejects.toBeInstanceOf(OverloadedError);
    await held.finishOldest();
    await expect(first).resolves.toBe(true);
    const again = bounded.verify('h', 'c');
    await held.finishOldest();
    await expect(again).resolves.toBe(true);
  });

  it('frees the slot when an operation fails or throws synchronously', async () => {
    const held = heldHasher();
    let throwNext = false;
    const flaky: PasswordHasher = {
      ...held.hasher,
      verify: (stored, password) => {
        if (throwNext) {
          throwNext = false;
          throw new Error('native module missing');
        }
        return held.hasher.verify(stored, password);
      },
    };
    const bounded = createBoundedHasher(flaky, { concurrency: 1, maxQueue: 5 });
    const failing = bounded.verify('h', 'a');
    const next = bounded.verify('h', 'b');
    await settle();
    held.pending.shift()!.fail(new Error('boom'));
    await expect(failing).rejects.toThrow('boom');
    await settle();
    expect(held.started).toEqual(['verify:a', 'verify:b']);
    await held.finishOldest();
    await expect(next).resolves.toBe(true);
    throwNext = true;
    await expect(bounded.verify('h', 'c')).rejects.toThrow('native module missing');
    expect(bounded.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('passes needsRehash through without a slot', () => {
    const held = heldHasher();
    const bounded = createBoundedHasher(
      { ...held.hasher, needsRehash: (stored) => stored === 'old' },
      { concurrency: 1, maxQueue: 0 },
    );
    void bounded.verify('h', 'busy');
    expect(bounded.needsRehash('old')).toBe(true);
    expect(bounded.needsRehash('new')).toBe(false);
  });

  it('defaults to one less than the cores, at least 1, and checks its limits', () => {
    expect(defaultHashConcurrency(1)).toBe(1);
    expect(defaultHashConcurrency(2)).toBe(1);
    expect(defaultHashConcurrency(8)).toBe(7);
    const held = heldHasher();
    expect(createBoundedHasher(held.hasher).stats()).toMatchObject({
      concurrency: defaultHashConcurrency(),
      maxQueue: 32,
    });
    for (const limits of [
      { concurrency: 0 },
      { concurrency: 1.5 },
      { concurrency: 257 },
      { maxQueue: -1 },
      { maxQueue: Number.NaN },
    ]) {
      expect(() => createBoundedHasher(held.hasher, limits)).toThrow(RangeError);
    }
  });
});
