import { execFile as execFileCallback } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * The argon2 worker thread from the built package (what `npm run build` put in packages/core/dist),
 * through the ESM import and the CJS require, each in a fresh process: the worker's script is its
 * own build entry, found beside the chunk that starts it in that build's format; hashes made on the
 * worker and on libuv's pool verify with each other; the worker threads run at nice 19 in the idle
 * scheduling class (Linux with chrt) and the main thread at 0 in the normal class; and the process exits on its own once the work is done (idle workers are
 * unref'd), which the time-out would catch.
 */
const execFile = promisify(execFileCallback);
const repoRoot = resolve(import.meta.dirname, '../..');

const PROBE = `
  const fast = { memoryCost: 1024, timeCost: 1 };
  const worker = core.createArgon2Hasher(fast, { workers: 2 });
  const pool = core.createArgon2Hasher(fast, { threads: 'pool' });
  const [a, b] = await Promise.all([worker.hash('correct horse'), worker.hash('battery staple')]);
  const fromPool = await pool.hash('correct horse');
  const checks = [
    await worker.verify(a, 'correct horse'), await pool.verify(a, 'correct horse'), await worker.verify(fromPool, 'correct horse'),
    await worker.verify(b, 'battery staple'), await worker.verify(a, 'battery staple'), await worker.dummyVerify('x'),
  ];
  const { readdirSync, readFileSync } = await import('node:fs');
  const field = (task, i) => Number(readFileSync('/proc/self/task/' + task + '/stat', 'utf8').split(') ')[1].split(' ')[i]);
  const nice = (task) => field(task, 16);
  const policy = (task) => field(task, 38);
  const tasks = process.platform === 'linux' ? readdirSync('/proc/self/task') : [];
  const main = String(process.pid);
  console.log(JSON.stringify({ checks, mainNice: tasks.length ? nice(main) : 0, mainPolicy: tasks.length ? policy(main) : 0,
    niceThreads: tasks.filter((t) => nice(t) === 19).length, idleThreads: tasks.filter((t) => policy(t) === 5).length }));`;

async function probe(args: string[]): Promise<unknown> {
  const { stdout } = await execFile(process.execPath, args, { cwd: repoRoot, timeout: 60_000 });
  return JSON.parse(stdout);
}

describe('the argon2 worker in the built @gatehouse-auth/core', () => {
  it('is an entry of its own in both formats', () => {
    const dist = readdirSync(resolve(repoRoot, 'packages/core/dist'));
    expect(dist).toEqual(expect.arrayContaining(['argon2-worker.js', 'argon2-worker.cjs']));
  });

  it('hashes and verifies through import() and require(), on idle-class threads at nice 19, and lets the process exit', async () => {
    const [esm, cjs] = await Promise.all([
      probe(['--input-type=module', '-e', `const core = await import('@gatehouse-auth/core');${PROBE}`]),
      probe([
        '--input-type=commonjs',
        '-e',
        `(async () => { const core = require('@gatehouse-auth/core');${PROBE} })()`,
      ]),
    ]);
    const linux = process.platform === 'linux';
    // SCHED_IDLE is policy 5; the main thread keeps SCHED_OTHER (0).
    const idle = linux && existsSync('/usr/bin/chrt');
    const expected = {
      checks: [true, true, true, true, false, false],
      mainNice: 0,
      mainPolicy: 0,
      niceThreads: linux ? 2 : 0,
      idleThreads: idle ? 2 : 0,
    };
    expect(esm).toEqual(expected);
    expect(cjs).toEqual(expected);
  });
});
