import type * as Argon2 from '@node-rs/argon2';
import { UnavailableError } from '../errors/index.js';
import { createArgon2Threads, type Argon2Threads } from './argon2-threads.js';
import { defaultHashConcurrency } from './bounded-hasher.js';
import { randomPassword } from './random.js';

/**
 * The port services hash and check passwords through. Tests and hosts with other requirements can
 * supply their own; {@link createArgon2Hasher} is the default.
 */
export interface PasswordHasher {
  /** A self-describing hash string (PHC format) to store. */
  hash(password: string): Promise<string>;
  /** `false` for a wrong password and for a hash that cannot be parsed; never throws for those. */
  verify(hash: string, password: string): Promise<boolean>;
  /** Whether a stored hash was made with weaker settings than the current ones (rehash after login). */
  needsRehash(hash: string): boolean;
  /**
   * Does the work of a real `verify` and resolves `false`. Call it when the account does not exist
   * (or has no password) so that the response time does not tell which e-mails are registered.
   */
  dummyVerify(password: string): Promise<false>;
}

export interface Argon2Params {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Passes over the memory. */
  timeCost: number;
  /** Lanes. */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet, argon2id option 2: m=19 MiB, t=2, p=1. */
export const DEFAULT_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

// A hash of a random password nobody kept, made with DEFAULT_ARGON2_PARAMS. Being precomputed,
// the first unknown-account login costs the same as every later one.
const DEFAULT_DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$VCDa12jGg7e9Q5yOOflgyw$PiJ6hVKrYxV8MnzBFJAOwjRb6EXQSY4mUP2YhbUzrP8';

// `Algorithm.Argon2id` is a `const enum` in the typings, which isolated modules cannot read.
const ARGON2ID = 2 as Argon2.Algorithm;
const ARGON2_VERSION = 19;
const MIN_SALT_BYTES = 16;
const MIN_OUTPUT_BYTES = 32;

type Argon2Module = typeof Argon2;
let loading: Promise<Argon2Module> | undefined;

/**
 * The native module is loaded on first use, not when core is imported: a platform without a
 * working prebuilt binary can still import core and verify tokens, and only password operations
 * report the problem.
 */
function loadArgon2(): Promise<Argon2Module> {
  loading ??= import('@node-rs/argon2').catch((cause: unknown) => {
    loading = undefined;
    throw new UnavailableError('Password hashing is unavailable', { code: 'unavailable', cause });
  });
  return loading;
}

interface ParsedHash {
  variant: string;
  version: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  saltBytes: number;
  outputBytes: number;
}

const PHC =
  /^\$(argon2(?:id|i|d))\$v=(\d{1,3})\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parseArgon2Hash(hash: string): ParsedHash | null {
  const match = PHC.exec(hash);
  if (match === null) return null;
  const [, variant = '', version = '', m = '', t = '', p = '', salt = '', output = ''] = match;
  return {
    variant,
    version: Number(version),
    memoryCost: Number(m),
    timeCost: Number(t),
    parallelism: Number(p),
    // Unpadded base64: every 4 characters carry 3 bytes.
    saltBytes: Math.floor((salt.length * 3) / 4),
    outputBytes: Math.floor((output.length * 3) / 4),
  };
}

function checkParams(params: Argon2Params): void {
  const { memoryCost, timeCost, parallelism } = params;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 255) {
    throw new RangeError('argon2 parallelism must be an integer between 1 and 255');
  }
  if (!Number.isInteger(timeCost) || timeCost < 1 || timeCost > 0xffff_ffff) {
    throw new RangeError('argon2 timeCost must be a positive integer');
  }
  if (!Number.isInteger(memoryCost) || memoryCost < 8 * parallelism || memoryCost > 0xffff_ffff) {
    throw new RangeError('argon2 memoryCost must be an integer of at least 8 KiB per lane');
  }
}

/**
 * Where argon2 runs. `'worker'` (default): a pool of dedicated worker threads at the lowest
 * scheduling priority, so hashing yields the CPU to the event loop. `'pool'`: the async binding on
 * libuv's thread pool, at normal priority, next to file, DNS and Web Crypto work; for a host that
 * cannot start worker threads or that bundles core into one file (the worker is a file of its own
 * in dist).
 */
export type Argon2Threading = 'worker' | 'pool';

export interface Argon2HasherOptions {
  /** Default `'worker'`. */
  threads?: Argon2Threading;
  /**
   * Worker threads (with `'worker'`): started one by one as operations need them, then kept. Match
   * the hashing bound in front (`createGatehouse` does). Default: one less than the cores, at least 1
   * (`createGatehouse` passes one per core when the idle scheduling class is available).
   */
  workers?: number;
}

/** The argon2 hasher: the port, and a way to end its worker threads. */
export interface Argon2Hasher extends PasswordHasher {
  /**
   * Ends the worker threads (`'worker'`; nothing to do with `'pool'`); operations running then fail
   * with `UnavailableError`, a later one starts new threads. Idle workers never hold the process
   * open, so this is tidiness: `createGatehouse`'s `close()` calls it for the hasher it made.
   */
  close(): Promise<void>;
}

export function createArgon2Hasher(
  overrides: Partial<Argon2Params> = {},
  hasherOptions: Argon2HasherOptions = {},
): Argon2Hasher {
  const params: Argon2Params = { ...DEFAULT_ARGON2_PARAMS, ...overrides };
  checkParams(params);
  const threads = hasherOptions.threads ?? 'worker';
  if (threads !== 'worker' && threads !== 'pool') throw new RangeError("argon2 threads must be 'worker' or 'pool'");
  const workers = hasherOptions.workers ?? defaultHashConcurrency();
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > 256)
    throw new RangeError('argon2 workers must be an integer from 1 to 256');
  const options: Argon2.Options = { ...params, algorithm: ARGON2ID };
  // Made on the first operation: creating it starts nothing, but keeps construction free of side effects.
  let pool: Argon2Threads | undefined;
  const workerPool = () => (pool ??= createArgon2Threads(workers, options));
  const usesDefaults =
    params.memoryCost === DEFAULT_ARGON2_PARAMS.memoryCost &&
    params.timeCost === DEFAULT_ARGON2_PARAMS.timeCost &&
    params.parallelism === DEFAULT_ARGON2_PARAMS.parallelism;
  let dummyHash: Promise<string> | undefined = usesDefaults ? Promise.resolve(DEFAULT_DUMMY_HASH) : undefined;

  async function hash(password: string): Promise<string> {
    if (threads === 'worker') return workerPool().hash(password);
    const argon2 = await loadArgon2();
    // The async binding hashes on libuv's thread pool, so the event loop keeps serving requests.
    return argon2.hash(password, options);
  }

  async function verify(stored: string, password: string): Promise<boolean> {
    if (typeof stored !== 'string' || !stored.startsWith('$argon2')) return false;
    if (threads === 'worker') return workerPool().verify(stored, password);
    const argon2 = await loadArgon2();
    try {
      return await argon2.verify(stored, password);
    } catch {
      return false;
    }
  }

  function needsRehash(stored: string): boolean {
    const parsed = typeof stored === 'string' ? parseArgon2Hash(stored) : null;
    if (parsed === null) return true;
    return (
      parsed.variant !== 'argon2id' ||
      parsed.version !== ARGON2_VERSION ||
      parsed.memoryCost < params.memoryCost ||
      parsed.timeCost < params.timeCost ||
      parsed.parallelism < params.parallelism ||
      parsed.saltBytes < MIN_SALT_BYTES ||
      parsed.outputBytes < MIN_OUTPUT_BYTES
    );
  }

  async function dummyVerify(password: string): Promise<false> {
    // With custom parameters the stand-in hash is made once, with those parameters, so that it
    // costs what a real verification costs.
    dummyHash ??= hash(randomPassword()).catch((error: unknown) => {
      dummyHash = undefined;
      throw error;
    });
    await verify(await dummyHash, password);
    return false;
  }

  async function close(): Promise<void> {
    await pool?.terminate();
  }

  return { hash, verify, needsRehash, dummyVerify, close };
}
