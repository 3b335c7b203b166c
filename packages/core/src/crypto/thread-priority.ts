import { execFileSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

/** The lowest scheduling priority (highest nice value) a thread can ask for without privileges. */
export const BACKGROUND_NICENESS = 19;

/**
 * Where util-linux's `chrt` is looked for: fixed paths, never `PATH`, so nothing the environment
 * names runs in its place.
 */
export const CHRT_PATHS: readonly string[] = ['/usr/bin/chrt', '/bin/chrt'];

/** What {@link lowerThreadPriority} touches; injectable so a test can play a platform without /proc. */
export interface ThreadPriorityDeps {
  readonly isMainThread: boolean;
  readonly readlink: (path: string) => string;
  readonly setPriority: (id: number, priority: number) => void;
  /** Puts one thread in the kernel's idle scheduling class (`SCHED_IDLE`); throws when it cannot. */
  readonly setIdleClass: (threadId: number) => void;
}

/** What {@link lowerThreadPriority} achieved for the calling thread. */
export interface LoweredPriority {
  /** Nice 19. */
  readonly reniced: boolean;
  /** `SCHED_IDLE`: runs only when no normal thread wants the CPU, and yields the moment one does. */
  readonly idleClass: boolean;
}

function chrtPath(): string | undefined {
  return CHRT_PATHS.find((path) => existsSync(path));
}

/**
 * True where {@link lowerThreadPriority} can be expected to reach the idle class: Linux with
 * `chrt` installed (a sandbox may still refuse it; the thread then keeps nice 19).
 */
export function idleClassAvailable(platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && chrtPath() !== undefined;
}

function setIdleClassWithChrt(threadId: number): void {
  const chrt = chrtPath();
  if (chrt === undefined) throw new Error('chrt not found');
  // `chrt --idle --pid 0 <tid>`: sched_setscheduler(tid, SCHED_IDLE), which Linux allows any user
  // for their own threads. Node has no binding for it, so one short child process per worker, once,
  // before the worker takes its first job.
  execFileSync(chrt, ['--idle', '--pid', '0', String(threadId)], { stdio: 'ignore', timeout: 5_000 });
}

const NODE_DEPS: ThreadPriorityDeps = {
  isMainThread,
  readlink: readlinkSync,
  setPriority,
  setIdleClass: setIdleClassWithChrt,
};

/**
 * Lowers the calling worker thread, and only it, as far as an unprivileged process can: nice
 * {@link BACKGROUND_NICENESS}, then the idle scheduling class. Why both: on a machine with few
 * cores an argon2 thread at the event loop's priority takes half its CPU time. At nice 19 the fair
 * scheduler still lets it finish its time slice when the event loop wakes up (measured on Linux
 * 6.18 with 2 cores: cached requests at 0.4× of alone during a login storm); in the idle class the
 * event loop preempts it at once (0.7×), and argon2 keeps every cycle nothing else wants, so
 * hashing capacity on an otherwise idle machine is unchanged.
 *
 * Linux only: `/proc/thread-self` names the thread (`<pid>/task/<tid>`), and `setpriority` /
 * `sched_setscheduler` applied to a thread id change that thread alone. Elsewhere (macOS, Windows,
 * no /proc, no `chrt`, a sandbox that refuses it) whatever fails is skipped silently and the thread
 * keeps what it got. Never on the main thread: that would slow the event loop itself.
 */
export function lowerThreadPriority(deps: ThreadPriorityDeps = NODE_DEPS): LoweredPriority {
  const none: LoweredPriority = { reniced: false, idleClass: false };
  if (deps.isMainThread) return none;
  let threadId: number;
  try {
    const match = /^\d+\/task\/(\d+)$/.exec(deps.readlink('/proc/thread-self'));
    if (match === null) return none;
    threadId = Number(match[1]);
  } catch {
    return none;
  }
  let reniced = false;
  try {
    deps.setPriority(threadId, BACKGROUND_NICENESS);
    reniced = true;
  } catch {
    // keep going: the idle class does not depend on the nice value
  }
  try {
    deps.setIdleClass(threadId);
    return { reniced, idleClass: true };
  } catch {
    return { reniced, idleClass: false };
  }
}
