import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/** The lowest scheduling priority (highest nice value) a thread can ask for without privileges. */
export const BACKGROUND_NICENESS = 19;

/** What {@link lowerThreadPriority} touches; injectable so a test can play a platform without /proc. */
export interface ThreadPriorityDeps {
  readonly isMainThread: boolean;
  readonly readlink: (path: string) => string;
  readonly setPriority: (id: number, priority: number) => void;
}

const NODE_DEPS: ThreadPriorityDeps = { isMainThread, readlink: readlinkSync, setPriority };

/**
 * Renices the calling worker thread, and only it, to {@link BACKGROUND_NICENESS}; true when that
 * worked. Why: on a machine with few cores an argon2 thread at the event loop's priority takes half
 * its CPU time; at nice 19 the kernel's fair scheduler gives the event loop ~98 % of a contended
 * core, and argon2 everything the event loop leaves idle, so hashing capacity is kept.
 *
 * Linux only: `/proc/thread-self` names the thread (`<pid>/task/<tid>`), and `setpriority` applied
 * to a thread id changes that thread alone. Elsewhere (macOS, Windows, no /proc, a sandbox that
 * refuses it) nothing happens and the thread keeps its normal priority. Never on the main thread:
 * that would slow the event loop itself.
 */
export function lowerThreadPriority(deps: ThreadPriorityDeps = NODE_DEPS): boolean {
  if (deps.isMainThread) return false;
  try {
    const match = /^\d+\/task\/(\d+)$/.exec(deps.readlink('/proc/thread-self'));
    if (match === null) return false;
    deps.setPriority(Number(match[1]), BACKGROUND_NICENESS);
    return true;
  } catch {
    return false;
  }
}
