import { availableParallelism } from 'node:os';
import { OverloadedError } from '../errors/index.js';
import type { PasswordHasher } from './password-hasher.js';

/**
 * At most `concurrency` password operations at once, the rest in one fair FIFO queue of at most
 * `maxQueue`, and past that an immediate `OverloadedError` (503 + `Retry-After`).
 *
 * Why (docs/architecture.md#rule-8): argon2 costs 19 MiB and ~15 ms of one core per operation.
 * Unbounded, a login storm fills every thread that hashes (libuv's 4-thread pool, whatever the core
 * count, for a hasher on the pool) and every core, and what else needs the pool or a core waits:
 * file and DNS work, token signing, and the event loop itself, i.e. every other request. This
 * module's default, one core less than the machine has, leaves the event loop a core of its own
 * (`createGatehouse` passes one per core for argon2 workers in the idle scheduling class, which
 * cannot take it); the queue bound turns a storm into quick 503s instead of logins that wait for
 * seconds and requests that pile up behind them. Even in the idle class, argon2 slows the threads
 * beside it (it sweeps 19 MiB through the caches the event loop works in; measured on 2 cores,
 * ~1.3 % of cached throughput per login/s), so while the event loop is busy a slot also pauses
 * between operations (`busyPercent`).
 */
export interface HashingLimits {
  /** Operations in flight at once. Default: one less than the cores (`os.availableParallelism()`), at least 1. */
  concurrency?: number;
  /** Operations waiting for a slot; one more is refused. Default {@link DEFAULT_HASH_QUEUE}. 0: none wait. */
  maxQueue?: number;
  /**
   * Called once when a burst of refusals starts (the first refusal after the queue was last
   * empty), never per request: log it there. Carries counts only, never a password or an e-mail.
   */
  onBurst?: (burst: HashingBurst) => void;
  /**
   * Percent of a slot's time hashing may take while the event loop is busy, 1 to 100. Default
   * {@link DEFAULT_BUSY_PERCENT}; 100: never pause. When the event loop has been working more than
   * three quarters of the time over the last few operations (a moving average of its utilization
   * during each), a slot that finishes one pauses before it takes the next (twice as long as
   * the operation took at 33 %, as long again at 50 %), so a storm of logins leaves the cores to the
   * requests the event loop is serving. The login that just finished is answered at once; only the
   * next one starts later, and only when every other slot is taken too. A loop with time to spare
   * (logins alone, or light traffic) never pauses a slot, so hashing capacity is untouched.
   */
  busyPercent?: number;
  /**
   * Starts a measurement of the event loop and returns what reads it: the share of the time since
   * then (0 to 1) it spent working. Default `performance.eventLoopUtilization`.
   */
  measureLoop?: () => () => number;
  /** Milliseconds, for the `Retry-After` estimate and the pause. Default `performance.now`. */
  now?: () => number;
}

export interface HashingBurst {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly retryAfterSeconds: number;
}

export interface HashingStats {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly inFlight: number;
  readonly queued: number;
  /** Refusals since the hasher was made. */
  readonly refused: number;
  /** See `HashingLimits.busyPercent`. */
  readonly busyPercent: number;
  /** Pauses a slot took because the event loop was busy (see `busyPercent`), since the hasher was made. */
  readonly paused: number;
}

export interface BoundedPasswordHasher extends PasswordHasher {
  readonly stats: () => HashingStats;
}

export const DEFAULT_HASH_QUEUE = 32;
/**
 * Measured on 2 cores, Hono, 100 logins in flight beside saturating GETs (quick runs of the
 * login-storm bench's phases): 50 % kept 0.69–0.72× of their throughput, 33 % 0.73–0.77×.
 */
export const DEFAULT_BUSY_PERCENT = 33;
/**
 * The loop counts as busy when its utilization, averaged over the last few operations (each
 * weighing a quarter), is above this. One operation's own window is noisy: logins alone at
 * saturation on 2 cores measured a median of 0.35 but a p99 of 0.97 per hash, from the handling of
 * the logins themselves; the average stayed under 0.67 there, and above 0.9 beside saturating GETs.
 */
const BUSY_LOOP = 0.75;
const BUSY_AVERAGE_WEIGHT = 1 / 4;
export const MAX_HASH_CONCURRENCY = 256;
export const MAX_HASH_QUEUE = 100_000;

// Until an operation has been timed: a little more than an OWASP argon2id verify on a slow core.
const INITIAL_ESTIMATE_MS = 25;

/** One less than the cores this process may use, at least 1: the event loop keeps a core. */
export function defaultHashConcurrency(cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores) - 1);
}

function measureEventLoop(): () => number {
  const from = performance.eventLoopUtilization();
  return () => performance.eventLoopUtilization(from).utilization;
}

function checkCount(value: number, name: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be an integer from ${min} to ${max}`);
}

/** Wraps a hasher (the argon2 one, or your own) so that at most `concurrency` operations run at once. */
export function createBoundedHasher(inner: PasswordHasher, limits: HashingLimits = {}): BoundedPasswordHasher {
  const concurrency = limits.concurrency ?? defaultHashConcurrency();
  const maxQueue = limits.maxQueue ?? DEFAULT_HASH_QUEUE;
  checkCount(concurrency, 'password hashing concurrency', 1, MAX_HASH_CONCURRENCY);
  checkCount(maxQueue, 'password hashing queue', 0, MAX_HASH_QUEUE);
  const busyPercent = limits.busyPercent ?? DEFAULT_BUSY_PERCENT;
  checkCount(busyPercent, 'password hashing busy percent', 1, 100);
  const now = limits.now ?? (() => performance.now());
  const measureLoop = limits.measureLoop ?? measureEventLoop;
  // Pause per millisecond of hashing while the loop is busy: 1 at 50 %, 0 at 100 %.
  const pausePerMs = 100 / busyPercent - 1;

  let inFlight = 0;
  // A FIFO of waiting starts; `head` advances instead of shifting, and the array is reset when empty.
  let waiting: (() => void)[] = [];
  let head = 0;
  let refused = 0;
  let paused = 0;
  let loopBusyAverage = 0;
  let inBurst = false;
  let averageMs = INITIAL_ESTIMATE_MS;

  const queued = () => waiting.length - head;

  function retryAfterSeconds(): number {
    // When the whole queue (and what runs now) will have gone through the slots.
    return Math.max(1, Math.ceil((((queued() + inFlight) / concurrency) * averageMs) / 1000));
  }

  function release(): void {
    if (head < waiting.length) {
      // The slot passes straight to the oldest waiter, so a newcomer can never overtake it.
      const next = waiting[head]!;
      waiting[head++] = undefined as unknown as () => void;
      if (head === waiting.length) {
        waiting = [];
        head = 0;
        inBurst = false;
      } else if (head > 1024 && head * 2 > waiting.length) {
        // A storm that never lets the queue empty must not grow the array by one per login.
        waiting = waiting.slice(head);
        head = 0;
      }
      next();
      return;
    }
    inFlight--;
    inBurst = false;
  }

  function start<T>(operation: () => Promise<T>): Promise<T> {
    const startedAt = now();
    const loopBusy = pausePerMs > 0 ? measureLoop() : null;
    // Through an async function, so a hasher that throws synchronously still frees its slot.
    const running = (async () => operation())();
    return running.finally(() => {
      const tookMs = now() - startedAt;
      if (loopBusy !== null) loopBusyAverage += (loopBusy() - loopBusyAverage) * BUSY_AVERAGE_WEIGHT;
      const pauseMs = loopBusyAverage > BUSY_LOOP ? tookMs * pausePerMs : 0;
      // A moving average of how long a slot stays taken: the estimate follows the machine's load
      // without one outlier swinging it.
      averageMs += (tookMs + pauseMs - averageMs) / 8;
      if (pauseMs < 1) return release();
      paused++;
      // Unref'd: a pause never keeps a process alive that has nothing else to do.
      setTimeout(release, pauseMs).unref();
    });
  }

  function limited<T>(operation: () => Promise<T>): Promise<T> {
    if (inFlight < concurrency) {
      inFlight++;
      return start(operation);
    }
    if (queued() >= maxQueue) {
      refused++;
      const error = new OverloadedError('Too many logins at once; retry shortly', {
        retryAfterSeconds: retryAfterSeconds(),
      });
      if (!inBurst) {
        inBurst = true;
        limits.onBurst?.({ concurrency, maxQueue, retryAfterSeconds: error.retryAfterSeconds });
      }
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        start(operation).then(resolve, reject);
      });
    });
  }

  return {
    hash: (password) => limited(() => inner.hash(password)),
    verify: (stored, password) => limited(() => inner.verify(stored, password)),
    // Pure parsing of the stored string: no hashing, so no slot.
    needsRehash: (stored) => inner.needsRehash(stored),
    // The same slot and the same queue as a real verify, so an unknown account costs, waits and is
    // refused exactly like a known one.
    dummyVerify: (password) => limited(() => inner.dummyVerify(password)),
    stats: () => ({ concurrency, maxQueue, busyPercent, inFlight, queued: queued(), refused, paused }),
  };
}
