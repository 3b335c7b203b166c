import { describe, expect, it } from 'vitest';
import { parseAuthEnv } from '../../src/config/index.js';
import { createGatehouse } from '../../src/gatehouse.js';
import type { AuthStore } from '../../src/ports.js';
import { startExpiredSweep } from '../../src/services/expired-sweep.js';
import type { Logger } from '../../src/services/index.js';
import { FakeClock, fastHasher, SECRET } from '../support/harness.js';
import { createMemoryStore } from '../support/memory-store.js';

const HOUR = 3_600_000;

function recordingLogger() {
  const lines: { level: string; message: string; fields: unknown }[] = [];
  const logger: Logger = {
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
  return { logger, lines };
}

/** A store with one expired session (and its tokens) and one live one. */
async function storeWithExpiredRows(clock: FakeClock) {
  const store = createMemoryStore();
  const user = await store.insertUser({
    role: 'MEMBER',
    username: 'm',
    email: 'm@example.com',
    authMethod: 'LOCAL',
    passwordHash: 'x',
    resetPassword: false,
    createdAt: clock.now(),
  });
  const dead = await store.insertSession({
    signInMethod: 'password',
    userId: user.id,
    createdAt: clock.now() - 2 * HOUR,
    expiresAt: clock.now() - HOUR,
  });
  const live = await store.insertSession({
    signInMethod: 'password',
    userId: user.id,
    createdAt: clock.now(),
    expiresAt: clock.now() + HOUR,
  });
  return { store, dead, live };
}

const waitUntil = async (what: string, predicate: () => Promise<boolean>, timeoutMs = 2000) => {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('startExpiredSweep', () => {
  it('runOnce deletes what expired and keeps what lives', async () => {
    const clock = new FakeClock();
    const { store, dead, live } = await storeWithExpiredRows(clock);
    const sweep = startExpiredSweep({ store, clock, logger: recordingLogger().logger, intervalMs: 0 });
    expect(await sweep.runOnce()).toBe(1);
    expect(await store.findSession(dead.id)).toBeNull();
    expect(await store.findSession(live.id)).toEqual(live);
    expect(await sweep.runOnce()).toBe(0);
    await sweep.stop();
  });

  it('sweeps on its timer, and stops sweeping once stopped', async () => {
    const clock = new FakeClock();
    const { store, dead } = await storeWithExpiredRows(clock);
    const sweep = startExpiredSweep({ store, clock, logger: recordingLogger().logger, intervalMs: 10 });
    await waitUntil('the timer to sweep', async () => (await store.findSession(dead.id)) === null);
    await sweep.stop();
    const user = (await store.findUserByEmail('m@example.com'))!;
    const later = await store.insertSession({
      signInMethod: 'password',
      userId: user.id,
      createdAt: clock.now() - 2 * HOUR,
      expiresAt: clock.now() - HOUR,
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await store.findSession(later.id)).toEqual(later);
  });

  it('never runs two sweeps at once, and stop waits for the one in progress', async () => {
    let calls = 0;
    let finish: (n: number) => void = () => {};
    const store: Pick<AuthStore, 'deleteExpired'> = {
      deleteExpired: () => {
        calls++;
        return new Promise<number>((resolve) => (finish = resolve));
      },
    };
    const sweep = startExpiredSweep({ store, clock: new FakeClock(), logger: recordingLogger().logger, intervalMs: 0 });
    const first = sweep.runOnce();
    const second = sweep.runOnce();
    expect(calls).toBe(1);
    let stopped = false;
    const stopping = sweep.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stopped).toBe(false);
    finish(3);
    expect(await first).toBe(3);
    expect(await second).toBeNull();
    await stopping;
    expect(stopped).toBe(true);
  });

  it('a failing store is logged without the error text and retried by the next sweep', async () => {
    let fail = true;
    const store: Pick<AuthStore, 'deleteExpired'> = {
      deleteExpired: () =>
        fail
          ? Promise.reject(new TypeError('connection to postgres://gatehouse:s3cret@db failed'))
          : Promise.resolve(2),
    };
    const { logger, lines } = recordingLogger();
    const sweep = startExpiredSweep({ store, clock: new FakeClock(), logger, intervalMs: 0 });
    expect(await sweep.runOnce()).toBeNull();
    expect(lines).toEqual([
      { level: 'warn', message: 'expired-row sweep failed; the next one retries', fields: { error: 'TypeError' } },
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
    fail = false;
    expect(await sweep.runOnce()).toBe(2);
    await sweep.stop();
  });
});

describe('createGatehouse sweeps expired rows', () => {
  const config = parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET });

  it('sweepExpired runs a sweep now; close stops the timer', async () => {
    const clock = new FakeClock();
    const { store, dead, live } = await storeWithExpiredRows(clock);
    const gh = await createGatehouse({ config, store, clock, hasher: fastHasher, sweepIntervalMs: 0 });
    expect(await gh.sweepExpired()).toBe(1);
    expect(await store.findSession(dead.id)).toBeNull();
    expect(await store.findSession(live.id)).toEqual(live);
    await gh.close();
  });

  it('sweeps on its own with a timer', async () => {
    const clock = new FakeClock();
    const { store, dead } = await storeWithExpiredRows(clock);
    const gh = await createGatehouse({ config, store, clock, hasher: fastHasher, sweepIntervalMs: 10 });
    await waitUntil('the sweep timer', async () => (await store.findSession(dead.id)) === null);
    await gh.close();
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])(
    'refuses sweepIntervalMs %s',
    async (sweepIntervalMs) => {
      await expect(
        createGatehouse({ config, store: createMemoryStore(), hasher: fastHasher, sweepIntervalMs }),
      ).rejects.toThrow('createGatehouse: sweepIntervalMs must be an integer from 0 to 2147483647 (0: no timer)');
    },
  );

  it('with auth disabled there is nothing to sweep', async () => {
    const gh = await createGatehouse({ config: parseAuthEnv({}), store: createMemoryStore() });
    expect(await gh.sweepExpired()).toBe(0);
    await gh.close();
  });
});
