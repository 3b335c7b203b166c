/**
 * The entry of one argon2 worker thread (started by argon2-threads.ts; its own build entry, so it
 * sits beside the package's chunks as dist/argon2-worker.{js,cjs}). It lowers its own scheduling
 * priority (nice 19 and the idle class), loads the native module, says it is ready, then answers one job at a time with the
 * synchronous binding: the thread is dedicated, so blocking it blocks nothing else, and argon2
 * never runs on libuv's pool. Nothing here logs: the messages carry passwords.
 */
import { hashSync, verifySync, type Options } from '@node-rs/argon2';
import { parentPort, workerData } from 'node:worker_threads';
import type { Argon2Job, Argon2Reply, Argon2WorkerData } from './argon2-protocol.js';
import { lowerThreadPriority } from './thread-priority.js';

const port = parentPort;
if (port === null) throw new Error('argon2-worker must run as a worker thread');
const { options } = workerData as Argon2WorkerData;
const hashOptions: Options = options;

function answer(job: Argon2Job): Argon2Reply {
  if (job.op === 'hash') {
    try {
      return { id: job.id, ok: true, value: hashSync(job.password, hashOptions) };
    } catch (error) {
      // The binding's message names a parameter, never the password.
      return { id: job.id, ok: false, message: error instanceof Error ? error.message : 'argon2 hash failed' };
    }
  }
  try {
    return { id: job.id, ok: true, value: verifySync(job.hash, job.password) };
  } catch {
    // A hash the binding cannot parse is a wrong password, as with the in-thread hasher.
    return { id: job.id, ok: true, value: false };
  }
}

const { reniced, idleClass } = lowerThreadPriority();
port.on('message', (job: Argon2Job) => port.postMessage(answer(job)));
port.postMessage({ ready: true, reniced, idleClass } satisfies Argon2Reply);
