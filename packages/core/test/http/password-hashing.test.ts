import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultHashConcurrency, type PasswordHasher } from '../../src/crypto/index.js';
import { idleClassAvailable } from '../../src/crypto/thread-priority.js';
import { boundedLoginHasher } from '../../src/http/password-hashing.js';
import type { Logger } from '../../src/services/index.js';

const inner: PasswordHasher = {
  hash: () => Promise.resolve('h'),
  verify: () => Promise.resolve(true),
  needsRehash: () => false,
  dummyVerify: () => Promise.resolve(false as const),
};

function logger() {
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = { info() {}, error() {}, warn: (message, fields) => warnings.push({ message, fields }) };
  return { log, warnings };
}

describe('boundedLoginHasher (the bound createGatehouse puts around the hasher)', () => {
  it('defaults to one less than the cores, and to one less than the libuv pool when that is smaller (a hasher of yours)', () => {
    const { log, warnings } = logger();
    const config = { concurrency: null, maxQueue: 32, busyPercent: 33 };
    expect(boundedLoginHasher(inner, config, {}, log, { UV_THREADPOOL_SIZE: '64' }).stats().concurrency).toBe(
      defaultHashConcurrency(),
    );
    expect(boundedLoginHasher(inner, config, {}, log, { UV_THREADPOOL_SIZE: '2' }).stats().concurrency).toBe(1);
    expect(boundedLoginHasher(inner, config, {}, log, {}).stats().concurrency).toBe(
      Math.min(defaultHashConcurrency(), 3),
    );
    expect(warnings).toEqual([]);
  });

  it('takes the option over the variable, and warns once when the bound can fill the whole pool', () => {
    const { log, warnings } = logger();
    const hasher = boundedLoginHasher(
      inner,
      { concurrency: 2, maxQueue: 5, busyPercent: 33 },
      { concurrency: 4, maxQueue: 0, busyPercent: 100 },
      log,
      {},
    );
    expect(hasher.stats()).toMatchObject({ concurrency: 4, maxQueue: 0, busyPercent: 100 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({ concurrency: 4, threadPoolSize: 4 });
    expect(
      boundedLoginHasher(inner, { concurrency: 2, maxQueue: 5, busyPercent: 33 }, {}, log, {}).stats(),
    ).toMatchObject({
      concurrency: 2,
      maxQueue: 5,
      busyPercent: 33,
    });
    expect(warnings).toHaveLength(1);
  });

  it('with the default argon2 hasher on worker threads: one slot per core in the idle class, no pool cap, no pool warning', async () => {
    const { log, warnings } = logger();
    const config = { concurrency: null, maxQueue: 32, busyPercent: 33 };
    const onWorkers = boundedLoginHasher(null, config, {}, log, { UV_THREADPOOL_SIZE: '2' });
    // Idle-class workers never take the event loop's CPU, so no core is kept back for it (Linux
    // with chrt, as here and in CI); without the class, one less than the cores.
    expect(onWorkers.stats().concurrency).toBe(
      idleClassAvailable() ? availableParallelism() : defaultHashConcurrency(),
    );
    expect(
      boundedLoginHasher(null, { concurrency: 8, maxQueue: 32, busyPercent: 33 }, {}, log, {}).stats().concurrency,
    ).toBe(8);
    expect(warnings).toEqual([]);
    // It is the real argon2 hasher, behind the bound.
    const stored = await onWorkers.hash('correct horse');
    await expect(onWorkers.verify(stored, 'correct horse')).resolves.toBe(true);
    // `threads: 'pool'` hashes on libuv's pool again, so the cap and the warning are back.
    expect(
      boundedLoginHasher(null, config, { threads: 'pool' }, log, { UV_THREADPOOL_SIZE: '2' }).stats().concurrency,
    ).toBe(1);
    boundedLoginHasher(null, { concurrency: 4, maxQueue: 32, busyPercent: 33 }, { threads: 'pool' }, log, {});
    expect(warnings).toHaveLength(1);
    // close() ends the worker threads it made (what createGatehouse's close() calls); a later
    // operation starts new ones.
    await onWorkers.close();
    await expect(onWorkers.verify(stored, 'correct horse')).resolves.toBe(true);
    await onWorkers.close();
  });

  it('close() leaves a hasher you passed in alone', async () => {
    let closed = false;
    const yours = { ...inner, close: () => Promise.resolve(void (closed = true)) };
    await boundedLoginHasher(yours, { concurrency: 1, maxQueue: 0, busyPercent: 33 }, {}, logger().log, {}).close();
    expect(closed).toBe(false);
  });
});
