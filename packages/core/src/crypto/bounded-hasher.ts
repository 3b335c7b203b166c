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
 * seconds and requests that pile up behind them.
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
  /** Milliseconds, for the `Retry-After` estimate. Default `performance.now`. */
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
}

export interface BoundedPasswordHasher extends PasswordHasher {
  readonly stats: () => HashingStats;
}

export const DEFAULT_HASH_QUEUE = 32;
export const MAX_HASH_CONCURRENCY = 256;
export const MAX_HASH_QUEUE = 100_000;

// Until an operation has been timed: a little more than an OWASP argon2id verify on a slow core.
const INITIAL_ESTIMATE_MS = 25;

/** One less than the cores this process may use, at least 1: the event loop keeps a core. */
export function defaultHashConcurrency(cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores) - 1);
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
  const now = limits.now ?? (() => performance.now());

  let inFlight = 0;
  // A FIFO of waiting starts; `head` advances instead of shifting, and the array is reset when empty.
  let waiting: (() => void)[] = [];
  let head = 0;
  let refused = 0;
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
    // Through an async function, so a hasher that throws synchronously still frees its slot.
    const running = (async () => operation())();
    return running.finally(() => {
      // A moving average: the estimate follows the machine's load without one outlier swinging it.
      averageMs += (now() - startedAt - averageMs) / 8;
      release();
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
    stats: () => ({ concurrency, maxQueue, inFlight, queued: queued(), refused }),
  };
}
