import type { Options } from '@node-rs/argon2';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UnavailableError } from '../errors/index.js';
import type { Argon2Job, Argon2Reply, Argon2WorkerData } from './argon2-protocol.js';

/**
 * A fixed-size pool of argon2 worker threads (docs/architecture.md#rule-8): each runs one hash or verify at a
 * time, synchronously, at the lowest scheduling priority (nice 19 and the idle class,
 * thread-priority.ts), so a login storm takes CPU time the event loop leaves idle rather than the
 * event loop's own.
 *
 * Workers start on the first password operation, not at import (core stays importable where the
 * native module or worker threads are missing), one at a time as operations need them, up to
 * `size`, and then stay: idle ones are unref'd and never hold the process open, busy ones are
 * ref'd so an awaited hash finishes before a script exits. A worker that dies fails its job with
 * `UnavailableError` (503, never a hang) and is replaced at once when it had been healthy; one
 * that dies before it was ready (the native module does not load) fails every waiting job too and
 * is retried by the next operation, never in a loop.
 */
export interface Argon2Threads {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /**
   * Threads running now, and how many of them could lower their priority (nice 19) and enter the
   * idle scheduling class. For tests and diagnostics.
   */
  stats(): { readonly threads: number; readonly busy: number; readonly reniced: number; readonly idleClass: number };
  /** Ends every worker; their jobs fail with `UnavailableError`. The pool starts new ones on the next operation. */
  terminate(): Promise<void>;
}

/** Where a worker's code comes from: a script file, or (TypeScript sources only) a bootstrap to eval. */
export interface WorkerScript {
  readonly source: URL | string;
  readonly eval: boolean;
}

type Job = Argon2Job extends infer J ? (J extends Argon2Job ? Omit<J, 'id'> : never) : never;

interface Pending {
  readonly job: Job;
  readonly resolve: (value: string | boolean) => void;
  readonly reject: (error: unknown) => void;
}

interface Thread {
  readonly worker: Worker;
  ready: boolean;
  reniced: boolean;
  idleClass: boolean;
  current: (Pending & { readonly id: number }) | null;
  cause: unknown;
}

/**
 * The worker entry beside this module, in this module's own format: in dist every chunk and entry
 * sits in one folder (tsup, `splitting`), so `./argon2-worker.js` (ESM) or `.cjs` (CJS, where the
 * build's shim turns `import.meta.url` into this file's URL) is found from any of them. Run from the
 * TypeScript sources (the monorepo's own tests), the entry is TypeScript too and is loaded through
 * tsx, a development dependency that is then installed.
 */
export function defaultWorkerScript(moduleUrl: string = import.meta.url): WorkerScript {
  if (moduleUrl.endsWith('.ts')) {
    const resolve = createRequire(moduleUrl).resolve;
    const entry = fileURLToPath(new URL('./argon2-worker.ts', moduleUrl));
    const bootstrap = `require(${JSON.stringify(resolve('tsx/cjs/api'))}).register();require(${JSON.stringify(entry)});`;
    return { source: bootstrap, eval: true };
  }
  return {
    source: new URL(moduleUrl.endsWith('.cjs') ? './argon2-worker.cjs' : './argon2-worker.js', moduleUrl),
    eval: false,
  };
}

function unavailable(cause: unknown): UnavailableError {
  return new UnavailableError('Password hashing is unavailable', { code: 'unavailable', cause });
}

export function createArgon2Threads(
  size: number,
  options: Options,
  script: WorkerScript = defaultWorkerScript(),
): Argon2Threads {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError('argon2 worker count must be a positive integer');
  const threads = new Set<Thread>();
  // Operations waiting for a free thread: only when more run at once than there are threads (the
  // bounded hasher in front normally lets exactly `size` through, so this stays empty).
  let waiting: Pending[] = [];
  let nextId = 1;
  const workerData: Argon2WorkerData = { options };

  function failWaiting(error: unknown): void {
    const failed = waiting;
    waiting = [];
    for (const pending of failed) pending.reject(error);
  }

  function spawn(): Thread | null {
    let worker: Worker;
    try {
      // No inherited `execArgv`: the host's flags are not all valid for a worker (`--input-type`
      // makes it fail to start), and the script needs none.
      worker = new Worker(script.source, { eval: script.eval, workerData, execArgv: [] });
    } catch (cause) {
      failWaiting(unavailable(cause));
      return null;
    }
    worker.unref();
    const thread: Thread = {
      worker,
      ready: false,
      reniced: false,
      idleClass: false,
      current: null,
      cause: undefined,
    };
    worker.on('message', (reply: Argon2Reply) => {
      if ('ready' in reply) {
        thread.ready = true;
        thread.reniced = reply.reniced;
        thread.idleClass = reply.idleClass;
        return;
      }
      const current = thread.current;
      if (current === null || current.id !== reply.id) return;
      thread.current = null;
      worker.unref();
      if (reply.ok) current.resolve(reply.value);
      else current.reject(new Error(reply.message));
      dispatch();
    });
    // An uncaught exception in the worker (the native module failed to load, say); 'exit' follows.
    worker.on('error', (cause) => {
      thread.cause ??= cause;
    });
    worker.on('exit', (code) => {
      threads.delete(thread);
      const error = unavailable(thread.cause ?? new Error(`argon2 worker exited with code ${code}`));
      const current = thread.current;
      thread.current = null;
      current?.reject(error);
      if (!thread.ready) {
        // It never started, so the next one would fail the same way: fail the queue, retry later.
        failWaiting(error);
        return;
      }
      // Keep the pool warm: a healthy worker that died is replaced now, not at the next login.
      if (threads.size < size && waiting.length === 0) {
        const replacement = spawn();
        if (replacement !== null) threads.add(replacement);
      }
      dispatch();
    });
    return thread;
  }

  function dispatch(): void {
    while (waiting.length > 0) {
      let thread: Thread | undefined;
      for (const candidate of threads) {
        if (candidate.current === null) {
          thread = candidate;
          break;
        }
      }
      if (thread === undefined) {
        if (threads.size >= size) return;
        const spawned = spawn();
        if (spawned === null) return;
        threads.add(spawned);
        thread = spawned;
      }
      const pending = waiting.shift()!;
      const id = nextId++;
      thread.current = { ...pending, id };
      // Busy: hold the process open until the answer is in.
      thread.worker.ref();
      // A job posted before the worker is ready waits in its port; passwords are never logged.
      thread.worker.postMessage({ ...pending.job, id });
    }
  }

  function run(job: Job): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      waiting.push({ job, resolve, reject });
      dispatch();
    });
  }

  return {
    hash: async (password) => (await run({ op: 'hash', password })) as string,
    verify: async (hash, password) => (await run({ op: 'verify', hash, password })) === true,
    stats: () => {
      let busy = 0;
      let reniced = 0;
      let idleClass = 0;
      for (const thread of threads) {
        if (thread.current !== null) busy++;
        if (thread.reniced) reniced++;
        if (thread.idleClass) idleClass++;
      }
      return { threads: threads.size, busy, reniced, idleClass };
    },
    terminate: async () => {
      const all = [...threads];
      for (const thread of all) thread.ready = false;
      await Promise.all(all.map((thread) => thread.worker.terminate()));
    },
  };
}
