/**
 * Bounded password hashing over real HTTP (docs/architecture.md#rule-8), on every adapter:
 * with one hashing slot and a queue of two, logins wait their turn in arrival order, the next ones
 * get 503 `overloaded` with Retry-After and the JSON error body (the same for a known and an
 * unknown e-mail), the burst is logged once and without a secret, and an unknown e-mail still costs
 * an argon2 verify. A refused login never counts toward the account lockout, and a right password
 * whose hash upgrade meets a full queue still logs in (the upgrade waits for a later login). The
 * hasher is the real argon2 one; the test only holds each operation until it has seen the queue in
 * the state it wants, so nothing depends on timing.
 */
import {
  createArgon2Hasher,
  createMemoryRateLimitStore,
  type BoundedPasswordHasher,
  type Logger,
  type PasswordHasher,
  type RateLimitStore,
} from '@gatehouse-auth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, DEFAULT_ADMIN, NO_RATE_LIMIT, startServer, type TestServer } from './support.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

const WRONG_PASSWORD = 'wrong-password-9f1c';
const UNKNOWN_EMAIL = 'nobody-7d2a@example.com';

/**
 * The real argon2 hasher, each verify held until `release()` (held again after `hold()`); records
 * what reached it, in order.
 */
function gatedArgon2() {
  const real = createArgon2Hasher();
  const reached: string[] = [];
  let open: () => void = () => {};
  let gate = Promise.resolve();
  const hold = () => {
    gate = new Promise<void>((resolve) => (open = resolve));
  };
  hold();
  const held =
    <A extends unknown[], T>(label: string, run: (...args: A) => Promise<T>) =>
    async (...args: A): Promise<T> => {
      reached.push(label);
      await gate;
      return run(...args);
    };
  const hasher: PasswordHasher = {
    hash: (password) => real.hash(password),
    verify: held('verify', (stored: string, password: string) => real.verify(stored, password)),
    needsRehash: (stored) => real.needsRehash(stored),
    dummyVerify: held('dummyVerify', (password: string) => real.dummyVerify(password)),
  };
  return { hasher, reached, hold, release: () => open() };
}

/**
 * The memory rate-limit store, counting recorded login failures per key; `holdClear(key)` makes the
 * next clearFailures of that key (a right password's) wait until `openClear()`.
 */
function watchedRateLimits() {
  const inner = createMemoryRateLimitStore();
  const failures = new Map<string, number>();
  let held: { key: string; reached: boolean; gate: Promise<void> } | undefined;
  const store: RateLimitStore = {
    consume: (key, rule, now) => inner.consume(key, rule, now),
    recordFailure: (key, rule, now) => {
      failures.set(key, (failures.get(key) ?? 0) + 1);
      return inner.recordFailure(key, rule, now);
    },
    blockedUntil: (key, now) => inner.blockedUntil(key, now),
    clearFailures: async (key) => {
      const hold = held?.key === key ? held : undefined;
      if (hold) {
        held = undefined;
        hold.reached = true;
        await hold.gate;
      }
      return inner.clearFailures(key);
    },
  };
  return {
    store,
    failures: (key: string) => failures.get(key) ?? 0,
    holdClear(key: string) {
      let open: () => void = () => {};
      const hold = { key, reached: false, gate: new Promise<void>((resolve) => (open = resolve)) };
      held = hold;
      return { reached: () => hold.reached, open: () => open() };
    },
  };
}

function recordingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    info: (message, fields) => lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => lines.push({ level: 'error', message, fields }),
  };
  return { logger, lines };
}

/**
 * Waits until the condition holds: a few event-loop turns, then polls that let the process sleep
 * in between. Argon2 runs on a worker thread at nice 19, which gets the CPU only when this
 * process's other threads leave it idle: a loop that never slept would starve the very hash it
 * waits for. The bound on polls only ends a wait that would never end; nothing asserts a time.
 */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 10_100; turn++) {
    if (condition()) return;
    await new Promise((resolve) => (turn < 100 ? setImmediate(resolve) : setTimeout(resolve, 1)));
  }
  throw new Error(`never happened: ${what}`);
}

function login(server: TestServer, email: string, password: string): Promise<Response> {
  return fetch(`${server.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
}

describe.each(ADAPTERS)('bounded password hashing over HTTP (%s)', (adapter) => {
  let server: TestServer;
  const gated = gatedArgon2();
  const log = recordingLogger();
  const limits = watchedRateLimits();

  beforeAll(async () => {
    server = await startServer(
      adapter,
      // The account lockout stays on (5 failures); only the per-address limiters are off.
      { ...NO_RATE_LIMIT, GATEHOUSE_PASSWORD_HASH_CONCURRENCY: '1', GATEHOUSE_PASSWORD_HASH_QUEUE: '2' },
      { hasher: gated.hasher, logger: log.logger, gatehouse: { rateLimits: limits.store } },
    );
  });
  afterAll(async () => {
    gated.release();
    await server.close();
  });

  it('queues in arrival order up to the bound, answers 503 + Retry-After past it, logs the burst once, no secret', async () => {
    const bounded = internalsOf(server.gatehouse).deps!.hasher as BoundedPasswordHasher;
    // Start-up lines (bootstrap) are not this test's business.
    const fromLine = log.lines.length;
    expect(bounded.stats()).toMatchObject({ concurrency: 1, maxQueue: 2, inFlight: 0, queued: 0 });

    const first = login(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
    await until(() => gated.reached.length === 1, 'the first login reached the hasher');
    const second = login(server, UNKNOWN_EMAIL, WRONG_PASSWORD);
    await until(() => bounded.stats().queued === 1, 'the second login queued');
    const third = login(server, DEFAULT_ADMIN.email, WRONG_PASSWORD);
    await until(() => bounded.stats().queued === 2, 'the third login queued');

    // The queue is full: a known and an unknown e-mail get the same immediate refusal.
    const refusals = await Promise.all([
      login(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password),
      login(server, UNKNOWN_EMAIL, WRONG_PASSWORD),
    ]);
    const bodies = await Promise.all(refusals.map((response) => response.text()));
    for (const [index, response] of refusals.entries()) {
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
      expect(JSON.parse(bodies[index]!)).toEqual({
        error: { code: 'overloaded', message: 'Too many logins at once; retry shortly' },
      });
      expect(response.headers.get('set-cookie')).toBeNull();
    }
    expect(bodies[0]).toBe(bodies[1]);
    expect(bounded.stats()).toMatchObject({ inFlight: 1, queued: 2, refused: 2 });

    // Once per burst, counts only: no e-mail, no password.
    const lines = log.lines.slice(fromLine);
    expect(lines.filter((line) => line.message.includes('queue full'))).toHaveLength(1);
    expect(lines.find((line) => line.message.includes('queue full'))).toMatchObject({
      level: 'warn',
      fields: { concurrency: 1, maxQueue: 2 },
    });
    const logged = JSON.stringify(lines);
    for (const secret of [DEFAULT_ADMIN.password, WRONG_PASSWORD, UNKNOWN_EMAIL, DEFAULT_ADMIN.email])
      expect(logged).not.toContain(secret);

    gated.release();
    const answers = await Promise.all([first, second, third]);
    expect(answers.map((response) => response.status)).toEqual([204, 401, 401]);
    // FIFO: the operations reached argon2 in arrival order, and the unknown e-mail still ran a
    // (dummy) argon2 verify, so it cost what a known one costs.
    expect(gated.reached).toEqual(['verify', 'dummyVerify', 'verify']);
    expect(bounded.stats()).toMatchObject({ inFlight: 0, queued: 0, refused: 2 });

    // Drained: logins are served again.
    expect((await login(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password)).status).toBe(204);
  });

  it('refused logins (503) never count toward the account lockout', async () => {
    const bounded = internalsOf(server.gatehouse).deps!.hasher as BoundedPasswordHasher;
    const adminKey = `login:${DEFAULT_ADMIN.email}`;
    const failuresBefore = limits.failures(adminKey);
    gated.hold();
    const reachedBefore = gated.reached.length;
    const running = [login(server, DEFAULT_ADMIN.email, WRONG_PASSWORD)];
    await until(() => gated.reached.length === reachedBefore + 1, 'the first wrong password reached the hasher');
    running.push(
      login(server, DEFAULT_ADMIN.email, WRONG_PASSWORD),
      login(server, DEFAULT_ADMIN.email, WRONG_PASSWORD),
    );
    await until(() => bounded.stats().queued === 2, 'two more queued');

    // Six more wrong passwords for the same account while the queue is full: refused, not counted.
    const refused = await Promise.all(
      Array.from({ length: 6 }, () => login(server, DEFAULT_ADMIN.email, WRONG_PASSWORD)),
    );
    expect(refused.map((response) => response.status)).toEqual([503, 503, 503, 503, 503, 503]);
    expect(limits.failures(adminKey)).toBe(failuresBefore);

    gated.release();
    expect((await Promise.all(running)).map((response) => response.status)).toEqual([401, 401, 401]);
    expect(limits.failures(adminKey)).toBe(failuresBefore + 3);
    // Three failures of five: the right password still logs in. Had the 503s counted (nine), it
    // would be locked out (429).
    expect((await login(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password)).status).toBe(204);
  });

  it('a right password whose hash upgrade meets a full queue logs in; the upgrade waits for a later login', async () => {
    const bounded = internalsOf(server.gatehouse).deps!.hasher as BoundedPasswordHasher;
    const email = 'weak-hash@example.com';
    const password = 'weak-hash-password-31';
    // A hash with weaker parameters than the current ones: the next login upgrades it.
    const weakHash = await createArgon2Hasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 }).hash(password);
    expect(createArgon2Hasher().needsRehash(weakHash)).toBe(true);
    await server.store.insertUser({
      username: 'weak-hash',
      email,
      role: 'MEMBER',
      authMethod: 'LOCAL',
      passwordHash: weakHash,
      resetPassword: false,
      createdAt: Date.now(),
    });

    // The login verifies, then waits (in clearFailures) just before the upgrade...
    gated.release();
    const clear = limits.holdClear(`login:${email}`);
    const upgrading = login(server, email, password);
    await until(clear.reached, 'the right password was verified');
    // ...while the hashing slot and queue fill up.
    gated.hold();
    const reachedBefore = gated.reached.length;
    const others = [login(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password)];
    await until(() => gated.reached.length === reachedBefore + 1, 'another login holds the slot');
    others.push(login(server, UNKNOWN_EMAIL, WRONG_PASSWORD), login(server, UNKNOWN_EMAIL, WRONG_PASSWORD));
    await until(() => bounded.stats().queued === 2, 'the queue is full');
    const refusedBefore = bounded.stats().refused;

    clear.open();
    const response = await upgrading;
    // Logged in, not 503: the upgrade was refused a slot and skipped.
    expect(response.status).toBe(204);
    expect(bounded.stats().refused).toBe(refusedBefore + 1);
    expect((await server.store.findUserByEmail(email))?.passwordHash).toBe(weakHash);

    gated.release();
    expect((await Promise.all(others)).map((r) => r.status)).toEqual([204, 401, 401]);
    // The next login, with a free slot, upgrades the hash.
    expect((await login(server, email, password)).status).toBe(204);
    const upgraded = (await server.store.findUserByEmail(email))?.passwordHash;
    expect(upgraded).not.toBe(weakHash);
    expect(createArgon2Hasher().needsRehash(upgraded!)).toBe(false);
  });
});
