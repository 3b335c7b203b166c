// What every bench server shares: the answer of the measured route, the Gatehouse world (a real
// SQLite file in a temp dir), the HS256 secret of the frameworks' own JWT middleware, and the IPC
// protocol with bench/http.bench.mjs. Stats travel over IPC rather than an HTTP route so the app
// being measured is the same in every case.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createGatehouse, parseAuthEnv } from '../../packages/core/dist/index.js';
import { internalsOf } from '../../packages/core/dist/internal.js';
import { createSqliteStore } from '../../packages/db/dist/index.js';

/** The small JSON `GET /v1/projects` answers in every case. */
export const PROJECTS = Object.freeze({ data: [{ id: 'UHJvamVjdDox', name: 'default', description: null }] });

/** Shared with the parent, which signs the tokens the framework JWT middlewares verify. */
export const JWT_SECRET = 'bench-jwt-secret-0123456789-abcdefghijklmnop';

const GATEHOUSE_SECRET = 'bench-secret-0123456789-abcdefghijklmnop';

const MODES = [
  'none',
  'presence',
  'presence-middleware',
  'gatehouse',
  'gatehouse-middleware',
  'jwt',
  'better-auth-session',
  'better-auth-apikey',
];

/**
 * From the command line: `none`, `presence` (a middleware that only checks that an Authorization
 * header is there: what any auth layer costs on this framework before verifying anything),
 * `gatehouse`, `jwt`, or better-auth's two ways in (`better-auth-session`: a bearer session token
 * checked with `getSession`; `better-auth-apikey`: a key checked with `verifyApiKey`).
 */
export function modeFromArgv() {
  const mode = process.argv[2];
  if (!MODES.includes(mode)) throw new Error(`bench server: unknown mode ${String(mode)}`);
  return mode;
}

/** The hashing bound of the Gatehouse this server opened, if it opened one; sent with `listening`. */
let hashing = null;

/**
 * A Gatehouse over a fresh SQLite file. Rate limiting of the auth routes is off: the event-loop
 * measurement keeps 20 logins in flight from one address, which the limiter would (rightly) refuse
 * after a few, and a refused login never reaches argon2. The guard of host routes never spends it.
 */
export async function openGatehouse() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-http-'));
  const store = await createSqliteStore({ filename: join(dir, 'gatehouse.sqlite') });
  const config = parseAuthEnv({
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: GATEHOUSE_SECRET,
    PHOENIX_DISABLE_RATE_LIMIT: 'true',
    // The hashing bound, when a bench sets it (bench/login-storm.bench.mjs compares bounds).
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('GATEHOUSE_PASSWORD_HASH_'))),
  });
  // Where argon2 runs: worker threads (the default) or, with BENCH_HASH_THREADS=pool, libuv's pool
  // (the design before the argon2 worker threads; bench/login-storm.bench.mjs compares the two).
  const threads = process.env.BENCH_HASH_THREADS === 'pool' ? 'pool' : 'worker';
  const gh = await createGatehouse({ config, store, passwordHashing: { threads } });
  // The bound the library chose (its default depends on the platform), for the parent's report.
  const { concurrency, maxQueue, busyPercent } = internalsOf(gh).deps.hasher.stats();
  hashing = { concurrency, maxQueue, busyPercent };
  return {
    gh,
    async close() {
      await gh.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The histogram records whole sampling intervals; the delay is what exceeds the resolution. A fine
// resolution also catches short blocks that a coarse timer would sleep through. Off unless asked
// for: idle bench servers sit next to the measured one and should not wake 1000 times a second.
const ELD_RESOLUTION_MS = 1;
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
let cpuMark = process.cpuUsage();
let timeMark = performance.now();

const delayMs = (ns) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);

/** Event-loop delay (if monitored) and CPU use since the previous call, then opens a new window. */
function statsAndReset(monitorLoop) {
  const cpu = process.cpuUsage(cpuMark);
  const wallMs = performance.now() - timeMark;
  const stats = {
    eld:
      eld.count > 0
        ? {
            p50: delayMs(eld.percentile(50)),
            p99: delayMs(eld.percentile(99)),
            max: delayMs(eld.max),
            mean: delayMs(eld.mean),
          }
        : null,
    // Share of one core the server process used (main thread + libuv pool + GC threads), and the
    // CPU time in µs behind it, user and kernel (loopback TCP writes are charged to the kernel).
    cpu: (cpu.user + cpu.system) / 1000 / wallMs,
    userUs: cpu.user,
    systemUs: cpu.system,
  };
  eld.disable();
  eld.reset();
  if (monitorLoop) eld.enable();
  cpuMark = process.cpuUsage();
  timeMark = performance.now();
  return stats;
}

/**
 * Tells the parent the port (and the hashing bound, when the server opened a Gatehouse), then answers its `stats` requests (`monitorLoop` turns the event-loop
 * monitor on for the next window) and stops on `stop`, exiting normally so that `--cpu-prof` gets
 * to write its profile. `headers`: the credential a client should send, when the server made it.
 */
export function announce(port, close, { headers } = {}) {
  process.on('message', (message) => {
    if (message?.type === 'stats') process.send({ type: 'stats', stats: statsAndReset(message.monitorLoop === true) });
    else if (message?.type === 'stop') {
      Promise.resolve()
        .then(close)
        .catch((error) => console.error('[bench server] close failed', error))
        .finally(() => process.exit(0));
    }
  });
  process.send({ type: 'listening', port, headers, hashing });
}
