import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createArgon2Threads, defaultWorkerScript, type WorkerScript } from '../../src/crypto/argon2-threads.js';
import { createArgon2Hasher } from '../../src/crypto/index.js';
import {
  BACKGROUND_NICENESS,
  CHRT_PATHS,
  idleClassAvailable,
  lowerThreadPriority,
} from '../../src/crypto/thread-priority.js';

// Cheap parameters: these tests are about where argon2 runs, not what it costs.
const FAST = { memoryCost: 1024, timeCost: 1 };
const OPTIONS = { ...FAST, parallelism: 1, algorithm: 2 };
const worker = createArgon2Hasher(FAST, { threads: 'worker', workers: 2 });
const pool = createArgon2Hasher(FAST, { threads: 'pool' });

/** Nice value and scheduling policy (0 normal, 5 SCHED_IDLE) of each thread of this process (Linux), by thread id. */
function schedulingByThread(): Map<number, { nice: number; policy: number }> {
  const threads = new Map<number, { nice: number; policy: number }>();
  for (const task of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    threads.set(Number(task), { nice: Number(fields[16]), policy: Number(fields[38]) });
  }
  return threads;
}
const SCHED_IDLE = 5;

/**
 * The real worker entry, plus one listener registered before it that ends the thread the way a
 * crash would (`process.exit` in a worker ends that worker) when it receives the password `crash`.
 */
function crashingScript(): WorkerScript {
  const real = defaultWorkerScript();
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const entry = fileURLToPath(new URL('../../src/crypto/argon2-worker.ts', import.meta.url));
  expect(real.eval).toBe(true);
  return {
    eval: true,
    source: `require(${JSON.stringify(tsx)}).register();
      require('node:worker_threads').parentPort.on('message', (job) => { if (job.password === 'crash') process.exit(3); });
      require(${JSON.stringify(entry)});`,
  };
}

describe('argon2 on worker threads and on the pool', () => {
  it('make interchangeable hashes: one verifies what the other made, and both refuse the same', async () => {
    const [onWorker, onPool] = await Promise.all([worker.hash('correct horse'), pool.hash('correct horse')]);
    expect(onWorker).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect(onPool).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    for (const hasher of [worker, pool]) {
      for (const stored of [onWorker, onPool]) {
        await expect(hasher.verify(stored, 'correct horse')).resolves.toBe(true);
        await expect(hasher.verify(stored, 'correct horse ')).resolves.toBe(false);
        await expect(hasher.verify(stored, '')).resolves.toBe(false);
      }
      // Unparsable hashes are wrong passwords on both, never a throw.
      await expect(hasher.verify('$argon2id$v=19$m=1024,t=1,p=1$garbage', 'x')).resolves.toBe(false);
      await expect(hasher.verify('not-a-hash', 'x')).resolves.toBe(false);
      await expect(hasher.dummyVerify('correct horse')).resolves.toBe(false);
      expect(hasher.needsRehash(onWorker)).toBe(false);
      expect(hasher.needsRehash('$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA')).toBe(true);
    }
    // The default hasher's precomputed dummy hash is verified on the worker too.
    await expect(createArgon2Hasher({}, { workers: 1 }).dummyVerify('x')).resolves.toBe(false);
  });

  it('passwords that are not ASCII survive the trip to the worker', async () => {
    const password = 'pässwörd 🔑 \u0000 end';
    const stored = await worker.hash(password);
    await expect(pool.verify(stored, password)).resolves.toBe(true);
    await expect(worker.verify(await pool.hash(password), password)).resolves.toBe(true);
    await expect(worker.verify(stored, 'pässwörd 🔑 ')).resolves.toBe(false);
  });

  it('starts workers only as operations need them, up to the size, and keeps them', async () => {
    const threads = createArgon2Threads(2, OPTIONS);
    expect(threads.stats()).toEqual({ threads: 0, busy: 0, reniced: 0, idleClass: 0 });
    await threads.hash('one');
    expect(threads.stats().threads).toBe(1);
    // Four at once on two workers: two run, two wait inside the pool, none is lost.
    const hashes = await Promise.all(['a', 'b', 'c', 'd'].map((p) => threads.hash(p)));
    expect(threads.stats()).toMatchObject({ threads: 2, busy: 0 });
    await expect(Promise.all(hashes.map((h, i) => threads.verify(h, 'abcd'[i]!)))).resolves.toEqual([
      true,
      true,
      true,
      true,
    ]);
    await threads.terminate();
  });

  it('runs its workers at the lowest priority and leaves the main thread alone (Linux; elsewhere normal)', async () => {
    const threads = createArgon2Threads(2, OPTIONS);
    await Promise.all([threads.hash('a'), threads.hash('b')]);
    const linux = process.platform === 'linux';
    const idle = linux && idleClassAvailable();
    expect(threads.stats()).toMatchObject({ threads: 2, reniced: linux ? 2 : 0, idleClass: idle ? 2 : 0 });
    if (linux) {
      const scheduling = schedulingByThread();
      expect(scheduling.get(process.pid)).toEqual({ nice: 0, policy: 0 });
      const lowered = [...scheduling.values()].filter((t) => t.nice === BACKGROUND_NICENESS);
      expect(lowered.length).toBeGreaterThanOrEqual(2);
      // This machine has chrt (CI installs Debian's util-linux): the workers are in the idle class.
      if (idle) expect(lowered.filter((t) => t.policy === SCHED_IDLE).length).toBeGreaterThanOrEqual(2);
    }
    expect(getPriority(process.pid)).toBe(0);
    await threads.terminate();
  });

  it('a worker that dies fails its job with UnavailableError, is replaced, and the next job works', async () => {
    const threads = createArgon2Threads(1, OPTIONS, crashingScript());
    const before = await threads.hash('fine');
    await expect(threads.hash('crash')).rejects.toMatchObject({ code: 'unavailable', name: 'UnavailableError' });
    // A job queued behind the crash is not lost either: it runs on the replacement.
    const [crashed, queued] = await Promise.allSettled([
      threads.verify(before, 'crash'),
      threads.verify(before, 'fine'),
    ]);
    expect(crashed).toMatchObject({ status: 'rejected', reason: { code: 'unavailable' } });
    expect(queued).toEqual({ status: 'fulfilled', value: true });
    expect(threads.stats()).toMatchObject({ threads: 1, busy: 0 });
    await expect(threads.verify(await threads.hash('again'), 'again')).resolves.toBe(true);
    await threads.terminate();
  });

  it('a worker that cannot start (no native module) fails every waiting job, then retries on the next one', async () => {
    const broken: WorkerScript = { eval: true, source: "throw new Error('cannot open shared object file')" };
    const threads = createArgon2Threads(2, OPTIONS, broken);
    const results = await Promise.allSettled([
      threads.hash('pw-7f3a'),
      threads.hash('pw-8b1c'),
      threads.verify('$argon2id$x', 'pw-9d2e'),
    ]);
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { code: 'unavailable', message: 'Password hashing is unavailable' },
      });
      // The cause says why; the password is in no message.
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(String(reason.cause)).toContain('cannot open shared object file');
      expect(`${reason.message} ${String(reason.cause)}`).not.toMatch(/pw-/);
    }
    expect(threads.stats().threads).toBe(0);
    await expect(threads.hash('later')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('terminate fails what runs with UnavailableError; the next operation starts a new worker', async () => {
    const threads = createArgon2Threads(1, OPTIONS);
    await threads.hash('warm');
    const running = threads.hash('x');
    await threads.terminate();
    await expect(running).rejects.toMatchObject({ code: 'unavailable' });
    expect(threads.stats().threads).toBe(0);
    await expect(threads.hash('y')).resolves.toMatch(/^\$argon2id\$/);
    await threads.terminate();
  });
});

describe('lowerThreadPriority', () => {
  const calls: (readonly [number, number] | readonly [number, 'idle'])[] = [];
  const deps = (
    readlink: (path: string) => string,
    setPriority = (id: number, p: number) => void calls.push([id, p]),
    setIdleClass = (id: number) => void calls.push([id, 'idle']),
  ) => ({
    isMainThread: false,
    readlink,
    setPriority,
    setIdleClass,
  });
  const NONE = { reniced: false, idleClass: false };

  it('renices the thread /proc/thread-self names, to 19, then puts it in the idle class', () => {
    calls.length = 0;
    expect(lowerThreadPriority(deps(() => '4242/task/4250'))).toEqual({ reniced: true, idleClass: true });
    expect(calls).toEqual([
      [4250, 19],
      [4250, 'idle'],
    ]);
  });

  it('keeps nice 19 when the idle class is refused (no chrt, a sandbox), and tries the class when renicing is', () => {
    calls.length = 0;
    const noChrt = () => {
      throw new Error('chrt not found');
    };
    expect(lowerThreadPriority(deps(() => '1/task/7', undefined, noChrt))).toEqual({ reniced: true, idleClass: false });
    const refused = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(lowerThreadPriority(deps(() => '1/task/8', refused))).toEqual({ reniced: false, idleClass: true });
    expect(calls).toEqual([
      [7, 19],
      [8, 'idle'],
    ]);
  });

  it('counts on the idle class only on Linux with chrt at a fixed absolute path (never found through PATH)', () => {
    expect(CHRT_PATHS.length).toBeGreaterThan(0);
    for (const path of CHRT_PATHS) expect(path).toMatch(/^\/(usr\/)?bin\/chrt$/);
    expect(idleClassAvailable('linux')).toBe(CHRT_PATHS.some((path) => existsSync(path)));
    expect(idleClassAvailable('darwin')).toBe(false);
    expect(idleClassAvailable('win32')).toBe(false);
  });

  it('does nothing, silently, without /proc (macOS, Windows), with an odd link, or when refused', () => {
    calls.length = 0;
    const enoent = () => {
      throw Object.assign(new Error("ENOENT: no such file or directory, readlink '/proc/thread-self'"), {
        code: 'ENOENT',
      });
    };
    expect(lowerThreadPriority(deps(enoent))).toEqual(NONE);
    expect(lowerThreadPriority(deps(() => 'self'))).toEqual(NONE);
    expect(calls).toEqual([]);
    const refused = () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(lowerThreadPriority(deps(() => '1/task/2', refused, refused))).toEqual(NONE);
  });

  it('never touches the main thread (it would slow the event loop itself)', () => {
    calls.length = 0;
    expect(lowerThreadPriority({ ...deps(() => '1/task/1'), isMainThread: true })).toEqual(NONE);
    expect(lowerThreadPriority()).toEqual(NONE);
    expect(calls).toEqual([]);
    expect(getPriority(process.pid)).toBe(0);
  });
});
