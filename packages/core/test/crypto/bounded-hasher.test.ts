import { describe, expect, it, vi } from 'vitest';
import {
  createBoundedHasher,
  defaultHashConcurrency,
  type BoundedPasswordHasher,
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

/** An event loop with time to spare: no slot ever pauses (the pause has its own tests below). */
const calm = { measureLoop: () => () => 0 };

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('createBoundedHasher', () => {
  it('runs at most `concurrency` operations, the rest in FIFO order, hash/verify/dummyVerify alike', async () => {
    const held = heldHasher();
    const bounded = createBoundedHasher(held.hasher, { ...calm, concurrency: 2, maxQueue: 10 });
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
      ...calm,
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
    const bounded = createBoundedHasher(held.hasher, { ...calm, concurrency: 1, maxQueue: 0 });
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
    const bounded = createBoundedHasher(flaky, { ...calm, concurrency: 1, maxQueue: 5 });
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
      busyPercent: 33,
      paused: 0,
    });
    for (const limits of [
      { concurrency: 0 },
      { concurrency: 1.5 },
      { concurrency: 257 },
      { maxQueue: -1 },
      { maxQueue: Number.NaN },
      { busyPercent: 0 },
      { busyPercent: 101 },
      { busyPercent: 33.5 },
    ]) {
      expect(() => createBoundedHasher(held.hasher, limits)).toThrow(RangeError);
    }
  });
});

describe('createBoundedHasher: a slot pauses while the event loop is busy', () => {
  /** A loop as busy as the test says, and a clock the test moves. */
  function scripted(utilization: number) {
    const clock = { ms: 0 };
    const limits = { measureLoop: () => () => utilization, now: () => clock.ms };
    return { clock, limits };
  }

  /**
   * Instant operations (no time passes, so none pauses) with the loop as scripted, until the moving
   * average of its utilization is where five of them take it (above 0.75 for a loop always working);
   * what they started is then forgotten.
   */
  async function warmUp(bounded: BoundedPasswordHasher, held: ReturnType<typeof heldHasher>): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const warming = bounded.verify('h', `w${i}`);
      await settle();
      await held.finishOldest();
      await warming;
    }
    expect(bounded.stats().paused).toBe(0);
    held.started.length = 0;
  }

  /** Two operations on one slot, the first taking `ms`: the second must start the moment the first ends. */
  async function expectBackToBack(
    bounded: BoundedPasswordHasher,
    held: ReturnType<typeof heldHasher>,
    clock: { ms: number },
    ms: number,
    [first, second]: [string, string],
  ): Promise<void> {
    const before = held.started.length;
    const results = [bounded.verify('h', first), bounded.verify('h', second)];
    await settle();
    clock.ms += ms;
    await held.finishOldest();
    expect(held.started.slice(before)).toEqual([`verify:${first}`, `verify:${second}`]);
    await held.finishOldest();
    await Promise.all(results);
  }

  it('does not pause for one busy hash: the loop must have been busy over the last few', async () => {
    const held = heldHasher();
    const { clock, limits } = scripted(1);
    const bounded = createBoundedHasher(held.hasher, { ...limits, concurrency: 1, maxQueue: 5 });
    await expectBackToBack(bounded, held, clock, 20, ['a', 'b']);
    expect(bounded.stats().paused).toBe(0);
  });

  it('pauses a slot twice as long as the hash took at the default 33 %, FIFO kept, the finished login answered at once', async () => {
    vi.useFakeTimers();
    try {
      const held = heldHasher();
      const { clock, limits } = scripted(1);
      const bounded = createBoundedHasher(held.hasher, { ...limits, concurrency: 1, maxQueue: 5 });
      await warmUp(bounded, held);
      const first = bounded.verify('h', 'a');
      const second = bounded.verify('h', 'b');
      const third = bounded.verify('h', 'c');
      await settle();
      clock.ms += 20;
      await held.finishOldest();
      // The finished one is answered; the next waits out the pause (2 × 20 ms) in the queue.
      await expect(first).resolves.toBe(true);
      expect(held.started).toEqual(['verify:a']);
      expect(bounded.stats()).toMatchObject({ inFlight: 1, queued: 2, paused: 1 });
      await vi.advanceTimersByTimeAsync(39);
      expect(held.started).toEqual(['verify:a']);
      await vi.advanceTimersByTimeAsync(1);
      expect(held.started).toEqual(['verify:a', 'verify:b']);
      // Still in order, still paused after each while the loop stays busy.
      clock.ms += 10;
      await held.finishOldest();
      await expect(second).resolves.toBe(true);
      await vi.advanceTimersByTimeAsync(20);
      expect(held.started).toEqual(['verify:a', 'verify:b', 'verify:c']);
      // The slot rests even with nobody waiting: a login arriving now waits for it like the queue did.
      clock.ms += 5;
      await held.finishOldest();
      await expect(third).resolves.toBe(true);
      const late = bounded.verify('h', 'late');
      await settle();
      expect(bounded.stats()).toMatchObject({ inFlight: 1, queued: 1 });
      await vi.advanceTimersByTimeAsync(10);
      expect(held.started.at(-1)).toBe('verify:late');
      await held.finishOldest();
      await expect(late).resolves.toBe(true);
      await vi.runAllTimersAsync();
      expect(bounded.stats()).toMatchObject({ inFlight: 0, queued: 0, paused: 3 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('pauses as long as the hash took at 50 %, and counts the pause in the Retry-After estimate', async () => {
    vi.useFakeTimers();
    try {
      const held = heldHasher();
      const { clock, limits } = scripted(1);
      const bounded = createBoundedHasher(held.hasher, { ...limits, busyPercent: 50, concurrency: 1, maxQueue: 1 });
      await warmUp(bounded, held);
      void bounded.verify('h', 'a');
      const waiting = bounded.verify('h', 'b');
      await settle();
      clock.ms += 3000;
      await held.finishOldest();
      await vi.advanceTimersByTimeAsync(2999);
      expect(held.started).toEqual(['verify:a']);
      await vi.advanceTimersByTimeAsync(1);
      expect(held.started).toEqual(['verify:a', 'verify:b']);
      // The slot was taken 6 s (3 s hashing + 3 s pause): the estimate moved toward that, not 3 s.
      void bounded.verify('h', 'c');
      const refused = await bounded.verify('h', 'd').catch((error: unknown) => error as OverloadedError);
      expect(refused).toBeInstanceOf(OverloadedError);
      // The five instant warm-up operations took the 25 ms first guess to ~13 ms; then
      // 13 + (6000 − 13) / 8 ≈ 761 ms per operation, 2 ahead (one running, one queued): 2 s.
      expect((refused as OverloadedError).retryAfterSeconds).toBe(2);
      await held.finishOldest();
      await expect(waiting).resolves.toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never pauses while the loop has time to spare, nor at 100 % (the loop is then not even measured)', async () => {
    const held = heldHasher();
    const { clock, limits } = scripted(0.5);
    const spare = createBoundedHasher(held.hasher, { ...limits, concurrency: 1, maxQueue: 5 });
    await expectBackToBack(spare, held, clock, 50, ['a', 'b']);
    expect(spare.stats().paused).toBe(0);

    let measured = 0;
    const never = createBoundedHasher(held.hasher, {
      busyPercent: 100,
      measureLoop: () => {
        measured++;
        return () => 1;
      },
      now: () => clock.ms,
      concurrency: 1,
      maxQueue: 5,
    });
    await expectBackToBack(never, held, clock, 50, ['c', 'd']);
    expect({ measured, paused: never.stats().paused }).toEqual({ measured: 0, paused: 0 });
  });

  it('measures the real event loop by default: a loop kept busy pauses the slot, an idle one does not', async () => {
    const held = heldHasher();
    const bounded = createBoundedHasher(held.hasher, { concurrency: 1, maxQueue: 5 });
    /** One operation from start to end, the loop sleeping or blocked meanwhile. */
    const once = async (label: string, loop: 'idle' | 'blocked') => {
      const result = bounded.verify('h', label);
      // It may wait out a pause first.
      await vi.waitFor(() => expect(held.started.at(-1)).toBe(`verify:${label}`), { timeout: 2000, interval: 2 });
      if (loop === 'idle') await new Promise((resolve) => setTimeout(resolve, 30));
      else {
        const until = performance.now() + 30;
        while (performance.now() < until) {
          // a request handler keeping the loop working
        }
      }
      await held.finishOldest();
      return result;
    };
    for (let i = 0; i < 6; i++) await once(`idle${i}`, 'idle');
    expect(bounded.stats().paused).toBe(0);
    // Eight blocked in a row take the average past 0.75 (after five or six of them).
    for (let i = 0; i < 8; i++) await once(`busy${i}`, 'blocked');
    expect(bounded.stats().paused).toBeGreaterThanOrEqual(2);
    // The last one paused the slot (~60 ms): the next waits, then starts on its own.
    const next = bounded.verify('h', 'next');
    await settle();
    expect(bounded.stats()).toMatchObject({ inFlight: 1, queued: 1 });
    await vi.waitFor(() => expect(held.started.at(-1)).toBe('verify:next'), { timeout: 2000, interval: 2 });
    await held.finishOldest();
    await expect(next).resolves.toBe(true);
  });
});
