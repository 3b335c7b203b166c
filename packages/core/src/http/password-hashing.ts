import { availableParallelism } from 'node:os';
import type { PasswordHashingConfig } from '../config/index.js';
import {
  createArgon2Hasher,
  createBoundedHasher,
  defaultHashConcurrency,
  type Argon2Threading,
  type BoundedPasswordHasher,
  type PasswordHasher,
} from '../crypto/index.js';
import { idleClassAvailable } from '../crypto/thread-priority.js';
import type { Logger } from '../services/deps.js';

/** Overrides of `GATEHOUSE_PASSWORD_HASH_CONCURRENCY`, `_QUEUE` and `_BUSY_PERCENT`. */
export interface PasswordHashingOptions {
  /**
   * Hashes in flight at once. Default: the variable, else one per core for argon2 worker threads in
   * the idle scheduling class (Linux with `chrt`), else one less than the cores (at least 1).
   */
  concurrency?: number;
  /** Logins waiting for a slot before the next gets 503. Default: the variable, else 32. */
  maxQueue?: number;
  /**
   * Percent of a slot's time hashing may take while the event loop is busy (see
   * `HashingLimits.busyPercent`). Default: the variable, else 33; 100: never pause.
   */
  busyPercent?: number;
  /**
   * Where the default argon2 hasher runs (ignored with your own `hasher`): `'worker'` (default),
   * one low-priority worker thread per slot; `'pool'`, libuv's thread pool (see docs/performance.md).
   */
  threads?: Argon2Threading;
}

/** libuv's pool size as this process started it (read once by libuv, at the pool's first use). */
function threadPoolSize(env: NodeJS.ProcessEnv): number {
  const size = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(size) && size > 0 ? Math.min(size, 1024) : 4;
}

/**
 * The default bound for argon2 on our worker threads. In the idle scheduling class they never take
 * CPU time the event loop wants (the kernel preempts them the moment it wakes), so keeping a core
 * free for it would only cost hashing capacity (on 2 cores: one slot hashes at ~0.85× of the old
 * 4-thread pool, two at ~1.1×): one slot per core. Without the idle class (nice 19 only, or no
 * Linux) the event loop keeps a core: one less than the cores, at least 1.
 */
function workerDefault(): number {
  return idleClassAvailable() ? availableParallelism() : defaultHashConcurrency();
}

/**
 * The hasher services use: the given one, or (null) argon2 in one worker thread per slot, behind
 * the bound. Logs once at start-up when the bound leaves no libuv pool thread for anything else,
 * and once per burst of refusals.
 */
export function boundedLoginHasher(
  given: PasswordHasher | null,
  config: PasswordHashingConfig,
  options: PasswordHashingOptions,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): BoundedPasswordHasher & { readonly close: () => Promise<void> } {
  const pool = threadPoolSize(env);
  const chosen = options.concurrency ?? config.concurrency;
  // Argon2 in worker threads leaves libuv's pool alone. Anything else may hash on the pool (a
  // hasher we did not write, or `threads: 'pool'`): there the default also leaves one pool thread
  // free, so file, DNS and Web Crypto work never queues behind logins, and on more than 4 cores it
  // is capped by the pool (raise UV_THREADPOOL_SIZE to use them).
  const onPool = given !== null || options.threads === 'pool';
  const concurrency = chosen ?? (onPool ? Math.max(1, Math.min(defaultHashConcurrency(), pool - 1)) : workerDefault());
  const maxQueue = options.maxQueue ?? config.maxQueue;
  // Exactly one worker per slot: the bound decides what runs, and nothing waits behind it twice.
  const made =
    given === null ? createArgon2Hasher({}, { threads: options.threads ?? 'worker', workers: concurrency }) : null;
  const inner = given ?? made!;
  if (onPool && chosen !== null && chosen >= pool) {
    logger.warn(
      'password hashing may occupy every libuv thread-pool thread; file, DNS and crypto work will wait behind logins',
      {
        concurrency,
        threadPoolSize: pool,
        fix: 'set GATEHOUSE_PASSWORD_HASH_CONCURRENCY below UV_THREADPOOL_SIZE, or raise UV_THREADPOOL_SIZE',
      },
    );
  }
  const bounded = createBoundedHasher(inner, {
    concurrency,
    maxQueue,
    busyPercent: options.busyPercent ?? config.busyPercent,
    onBurst: (burst) =>
      logger.warn('password hashing queue full: refusing logins with 503 until it drains (logged once per burst)', {
        ...burst,
      }),
  });
  // Ends the worker threads of a hasher made here; one you passed in is yours to close.
  return { ...bounded, close: async () => made?.close() };
}
