// A login storm must not slow anyone else down. The demo-shaped server (createGatehouse
// on a SQLite file, the Hono and Fastify adapters, bench/servers/*.mjs in a child process) is
// measured alone and with 20 and 100 password logins in flight, in interleaved rounds: cached
// authenticated GETs (autocannon), first-sight requests (an API key the server has not seen yet,
// one fresh key per request), the server's event-loop delay, logins/s, login latency and 503s.
// Then, in process: codec.verify against the raw HMAC floor, and the uncached API-key check on
// SQLite and PostgreSQL.
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  bootstrap,
  createAuthenticator,
  createTokenCodec,
  createUserApiKey,
  login,
  systemClock,
} from '../packages/core/dist/index.js';
import { benchServiceDeps } from './service-deps.mjs';
import { createPostgresStore, createSqliteStore } from '../packages/db/dist/index.js';
import { hmacFloor, markdownTable, measureGroup } from './lib.mjs';
import { createDatabase, startPostgres } from './postgres.mjs';

export const title = 'A login storm: first sight, cached throughput and the event loop while logins hash';

const here = dirname(fileURLToPath(import.meta.url));
const ADMIN = { email: 'admin@localhost', password: 'admin' };
const FRAMEWORKS = (process.env.BENCH_STORM_FRAMEWORKS ?? 'hono,fastify').split(',');
const ROUNDS = Number(process.env.BENCH_STORM_ROUNDS ?? 3);
const WINDOW_S = Number(process.env.BENCH_STORM_WINDOW_S ?? 4);
const LEAD_S = 1;
const FIRST_SIGHT_PAUSE_MS = 10;
const GET_CONNECTIONS = 10;
const PHASES = [0, 20, 100];
// Paired rounds of token verification against the HMAC floor.
const PAIRED_ROUNDS = 31;
const PAIRED_CALLS = 20_000;
const TARGET = { firstSightP99Ms: 20, cachedRatio: 0.7, eldP99Ms: 20, verifyVsFloor: 0.5, uncachedSqliteUs: 60 };

const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const met = (ok) => (ok ? '**met**' : '**missed**');

// ---------------------------------------------------------------------------------------------
// A bench server in a child process (the protocol of bench/servers/common.mjs).

async function startServer(framework, env = {}) {
  const child = fork(join(here, 'servers', `${framework}.mjs`), ['gatehouse'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port, hashing } = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server ${framework} exited (${code}) before listening`)));
    child.on('message', (message) => message?.type === 'listening' && resolve(message));
  });
  child.removeAllListeners('exit');
  return {
    host: '127.0.0.1',
    port,
    /** The bound the server's Gatehouse chose: `{ concurrency, maxQueue, busyPercent }`. */
    hashing,
    url: `http://127.0.0.1:${port}`,
    stats: (monitorLoop = false) =>
      new Promise((resolve) => {
        child.on('message', function onMessage(message) {
          if (message?.type !== 'stats') return;
          child.off('message', onMessage);
          resolve(message.stats);
        });
        child.send({ type: 'stats', monitorLoop });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.send({ type: 'stop' });
      }),
  };
}

/** One HTTP request on a keep-alive agent: status, headers, body and the latency in ms. */
function send(agent, server, { method = 'GET', path, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        agent,
        host: server.host,
        port: server.port,
        method,
        path,
        headers: body
          ? { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
          : headers,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function credentials(server, keyCount) {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const login = await send(agent, server, { method: 'POST', path: '/auth/login', body: JSON.stringify(ADMIN) });
  if (login.status !== 204) throw new Error(`bench setup: login answered ${login.status}`);
  const cookie = [].concat(login.headers['set-cookie'] ?? []).find((c) => /^[^=]*-access-token=/.test(c));
  const access = `Bearer ${cookie.slice(cookie.indexOf('=') + 1).split(';')[0]}`;
  // Keys the server creates but has never authenticated: each is a first sight, used once.
  const keys = [];
  for (let i = 0; i < keyCount; i++) {
    const created = await send(agent, server, {
      method: 'POST',
      path: '/v1/user/api_keys',
      headers: { authorization: access },
      body: JSON.stringify({ data: { name: `storm-${i}` } }),
    });
    if (created.status !== 201) throw new Error(`bench setup: creating an API key answered ${created.status}`);
    keys.push(`Bearer ${JSON.parse(created.body).data.key}`);
  }
  agent.destroy();
  return { access, keys };
}

/**
 * `inFlight` clients, each logging in back to back. A 503 is counted, and the client waits what
 * `Retry-After` says before trying again, as a well-behaved client does (one that ignores it is a
 * plain request flood, the per-address limiter's job, which the bench servers turn off).
 */
function startLogins(server, inFlight) {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const tally = { ok: 0, refused: 0, other: 0, latency: createHistogram(), counting: false };
  let running = true;
  const body = JSON.stringify(ADMIN);
  const client = async () => {
    while (running) {
      const answer = await send(agent, server, { method: 'POST', path: '/auth/login', body });
      if (answer.status === 204) {
        if (tally.counting) {
          tally.ok++;
          tally.latency.record(Math.max(1, Math.round(answer.ms * 1000)));
        }
      } else if (answer.status === 503) {
        if (tally.counting) tally.refused++;
        const seconds = Number(answer.headers['retry-after']);
        await sleep(Number.isFinite(seconds) ? seconds * 1000 : 1000);
      } else {
        tally.other++;
      }
    }
  };
  const clients = Array.from({ length: inFlight }, client);
  return {
    tally,
    async stop() {
      running = false;
      await Promise.all(clients);
      agent.destroy();
    },
  };
}

/** First-sight requests back to back on one connection, each with a key never used before. */
function startFirstSight(server, keys) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies = [];
  let running = true;
  const loop = (async () => {
    while (running && keys.length > 0) {
      const answer = await send(agent, server, { path: '/v1/projects', headers: { authorization: keys.pop() } });
      if (answer.status !== 200) throw new Error(`bench: a first-sight request answered ${answer.status}`);
      latencies.push(answer.ms);
      // A new credential every ~10 ms, not a flood of them.
      await sleep(FIRST_SIGHT_PAUSE_MS);
    }
  })();
  return {
    latencies,
    async stop() {
      running = false;
      await loop;
      agent.destroy();
    },
  };
}

/** One measured window of a phase: GETs, first sights and (when asked) logins together. */
async function measurePhase(server, creds, inFlight) {
  const logins = inFlight > 0 ? startLogins(server, inFlight) : null;
  if (logins) await sleep(LEAD_S * 1000); // let the hashing slots and the queue fill first
  await server.stats(true);
  if (logins) logins.tally.counting = true;
  const started = performance.now();
  const firstSight = startFirstSight(server, creds.keys);
  let ok = 0;
  let bad = 0;
  await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${server.url}/v1/projects`,
        headers: { authorization: creds.access },
        connections: GET_CONNECTIONS,
        duration: WINDOW_S,
      },
      (error) => (error ? reject(error) : resolve()),
    );
    instance.on('response', (_client, status) => (status === 200 ? ok++ : bad++));
  });
  const seconds = (performance.now() - started) / 1000;
  await firstSight.stop();
  if (logins) logins.tally.counting = false;
  const stats = await server.stats();
  if (logins) await logins.stop();
  if (bad > 0 || (logins && logins.tally.other > 0))
    throw new Error(`bench: unexpected statuses (${bad} GETs, ${logins?.tally.other ?? 0} logins)`);
  const sorted = [...firstSight.latencies].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    rps: ok / seconds,
    firstSight: sorted,
    firstSightP50: at(0.5),
    firstSightP99: at(0.99),
    eldP99: stats.eld?.p99 ?? Number.NaN,
    loginsPerSecond: logins ? logins.tally.ok / seconds : null,
    loginP99Ms: logins && logins.tally.ok > 0 ? logins.tally.latency.percentile(99) / 1000 : null,
    refused: logins ? logins.tally.refused : null,
  };
}

async function stormOn(framework) {
  const server = await startServer(framework);
  try {
    const keysNeeded = ROUNDS * PHASES.length * Math.ceil((WINDOW_S * 1000) / FIRST_SIGHT_PAUSE_MS + 20);
    const creds = await credentials(server, keysNeeded);
    // Warm-up: the routes, the hasher's first call, the JIT.
    await measurePhase(server, { ...creds, keys: creds.keys.splice(0, 50) }, 4);
    const runs = new Map(PHASES.map((phase) => [phase, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PHASES.length; i++) {
        const phase = PHASES[(i + round) % PHASES.length];
        runs.get(phase).push(await measurePhase(server, creds, phase));
      }
    }
    return runs;
  } finally {
    await server.stop();
  }
}

/** Logins alone at saturation (no other traffic): what hashing capacity the bound leaves. */
async function loginCapacity(framework, env) {
  const server = await startServer(framework, env);
  try {
    const logins = startLogins(server, 20);
    await sleep(LEAD_S * 1000);
    logins.tally.counting = true;
    const started = performance.now();
    await sleep(WINDOW_S * 1000);
    logins.tally.counting = false;
    const seconds = (performance.now() - started) / 1000;
    await logins.stop();
    return {
      loginsPerSecond: logins.tally.ok / seconds,
      loginP99Ms: logins.tally.latency.percentile(99) / 1000,
      hashing: server.hashing,
    };
  } finally {
    await server.stop();
  }
}

function stormTable(results) {
  const lines = [
    '| framework | logins in flight | first sight p50 ms | first sight p99 ms | cached GET req/s | ratio to alone (median, range) | event-loop delay p99 ms (worst round) | logins/s | login p99 ms | 503s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const summary = [];
  for (const [framework, runs] of results) {
    const alone = runs.get(0);
    for (const phase of PHASES) {
      const r = runs.get(phase);
      const all = r.flatMap((x) => x.firstSight).sort((a, b) => a - b);
      const q = (p) => all[Math.min(all.length - 1, Math.floor(p * all.length))];
      const ratios = r.map((x, i) => x.rps / alone[i].rps);
      const eld = Math.max(...r.map((x) => x.eldP99));
      const logins = phase === 0 ? '' : fmt(median(r.map((x) => x.loginsPerSecond)), 0);
      const loginP99 = phase === 0 ? '' : fmt(Math.max(...r.map((x) => x.loginP99Ms ?? Number.NaN)), 0);
      const refused = phase === 0 ? '' : fmt(r.reduce((sum, x) => sum + x.refused, 0));
      const ratio =
        phase === 0
          ? '1.000×'
          : `${fmt(median(ratios), 3)}× (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)})`;
      lines.push(
        `| ${framework} | ${phase === 0 ? 'none' : phase} | ${fmt(q(0.5), 2)} | ${fmt(q(0.99), 2)} | ${fmt(median(r.map((x) => x.rps)))} | ${ratio} | ${fmt(eld, 2)} | ${logins} | ${loginP99} | ${refused} |`,
      );
      if (phase > 0) {
        const refusedCount = r.reduce((sum, x) => sum + x.refused, 0);
        const checks = [
          `first-sight p99 ${fmt(q(0.99), 1)} ms (target ≤ ${TARGET.firstSightP99Ms}): ${met(q(0.99) <= TARGET.firstSightP99Ms)}`,
          `cached throughput ${fmt(median(ratios), 2)}× alone (target ≥ ${TARGET.cachedRatio}×): ${met(median(ratios) >= TARGET.cachedRatio)}`,
          `event-loop delay p99 ${fmt(eld, 1)} ms in the worst round (target ≤ ${TARGET.eldP99Ms}): ${met(eld <= TARGET.eldP99Ms)}`,
        ];
        if (phase === 100)
          checks.push(
            `${refusedCount} logins refused with 503 + Retry-After, login p99 ${loginP99} ms (bounded queue instead of unbounded waiting): ${met(refusedCount > 0)}`,
          );
        summary.push(`- ${framework}, ${phase} logins in flight: ${checks.join('; ')}`);
      }
    }
  }
  return { table: lines.join('\n'), summary: summary.join('\n') };
}

// ---------------------------------------------------------------------------------------------
// In process: verification against the HMAC floor, and the uncached check on both stores.

async function verifyAgainstFloor() {
  const secret = 'bench-secret-0123456789-abcdefghijklmnop';
  const codec = createTokenCodec({ secret });
  const token = await codec.sign('access', {
    jti: '12345',
    sub: '42',
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
  });
  const floor = hmacFloor(token, secret);
  if (codec.verifySync(token, 'access').jti !== '12345') throw new Error('bench setup: verification failed');
  const cases = [
    { name: 'raw node:crypto HMAC-SHA256 verify (floor)', fn: floor, baseline: true },
    { name: 'codec.verifySync(access token)', fn: () => codec.verifySync(token, 'access') },
    { name: 'codec.verify(access token) (same, in a Promise)', fn: () => codec.verify(token, 'access') },
  ];
  const table = await measureGroup(cases);
  // On a shared VM the speed drifts between mitata's back-to-back groups; the target ratio is
  // taken from paired, interleaved rounds instead: each round times the floor and verifySync over
  // the same number of calls, one right after the other.
  const timed = (fn, calls) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    return Number(process.hrtime.bigint() - started);
  };
  for (const c of cases) timed(c.fn, 20_000);
  const ratios = [];
  // The order alternates between rounds: whichever runs second inherits the first one's garbage
  // (verifySync allocates its claims, the floor its digest) and any collection it triggers.
  for (let round = 0; round < PAIRED_ROUNDS; round++) {
    const floorFirst = round % 2 === 0;
    const first = timed(cases[floorFirst ? 0 : 1].fn, PAIRED_CALLS);
    const second = timed(cases[floorFirst ? 1 : 0].fn, PAIRED_CALLS);
    ratios.push(floorFirst ? first / second : second / first);
  }
  return { table, pairedRatio: median(ratios), pairedMin: Math.min(...ratios), pairedMax: Math.max(...ratios) };
}

async function uncachedWorld(store) {
  const secret = 'bench-secret-0123456789-abcdefghijklmnop';
  const deps = benchServiceDeps(store, secret);
  const { config, revocations } = deps;
  const { systemUserId } = await bootstrap(deps);
  const session = await login(deps, ADMIN);
  // maxCacheAgeMs 0: every call is a first sight (verify + one indexed read joined with the role).
  const uncached = createAuthenticator({
    config,
    store,
    tokens: deps.tokens,
    revocations,
    clock: systemClock,
    systemUserId,
    maxCacheAgeMs: 0,
  });
  const admin = await uncached.authenticate({ authorization: `Bearer ${session.accessToken}` });
  const key = await createUserApiKey(deps, admin.principal, { name: 'bench' });
  const credentials = { authorization: `Bearer ${key.key}` };
  if (!(await uncached.authenticate(credentials)).ok) throw new Error('bench setup: the key was refused');
  return { check: () => uncached.authenticate(credentials) };
}

/** Interleaved rounds of back-to-back calls; per-call latencies in µs. */
async function uncachedChecks(worlds) {
  const samples = new Map(worlds.map(([name]) => [name, []]));
  for (const [, world] of worlds) for (let i = 0; i < 2000; i++) await world.check();
  for (let round = 0; round < 8; round++) {
    for (let i = 0; i < worlds.length; i++) {
      const [name, world] = worlds[(i + round) % worlds.length];
      const until = performance.now() + 300;
      while (performance.now() < until) {
        const started = process.hrtime.bigint();
        const result = await world.check();
        samples.get(name).push(Number(process.hrtime.bigint() - started) / 1000);
        if (!result.ok) throw new Error(`bench: ${name} refused the key`);
      }
    }
  }
  return [...samples].map(([name, values]) => {
    const sorted = values.sort((a, b) => a - b);
    return {
      name,
      calls: sorted.length,
      p50: sorted[Math.floor(sorted.length / 2)],
      p99: sorted[Math.floor(sorted.length * 0.99)],
    };
  });
}

export async function run() {
  const loadBefore = loadavg()[0];
  console.error('[bench] login-storm: in-process verify and uncached checks …');
  const verify = await verifyAgainstFloor();
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-storm-'));
  const postgres = await startPostgres();
  let checks;
  const postgresVersion = postgres.version;
  try {
    const sqlite = await createSqliteStore({ filename: join(dir, 'gatehouse.sqlite') });
    const pg = await createPostgresStore({ connectionString: await createDatabase(postgres.url, 'gatehouse_storm') });
    checks = await uncachedChecks([
      ['SQLite file (WAL), prepared statement', await uncachedWorld(sqlite)],
      ['PostgreSQL (loopback TCP), named statement', await uncachedWorld(pg)],
    ]);
    await sqlite.close();
    await pg.close();
  } finally {
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  const storms = new Map();
  for (const framework of FRAMEWORKS) {
    console.error(`[bench] login-storm: ${framework} …`);
    storms.set(framework, await stormOn(framework));
  }
  console.error('[bench] login-storm: hashing capacity, bounded and unbounded …');
  // Lifted: as before the bound existed, every login straight to the 4-thread libuv pool.
  const LIFTED = {
    GATEHOUSE_PASSWORD_HASH_CONCURRENCY: '256',
    GATEHOUSE_PASSWORD_HASH_QUEUE: '100000',
    BENCH_HASH_THREADS: 'pool',
  };
  // One less than the cores: the bound's default where the workers cannot enter the idle class.
  const ONE_LESS = { GATEHOUSE_PASSWORD_HASH_CONCURRENCY: String(Math.max(1, availableParallelism() - 1)) };
  // The default bound with argon2 on libuv's pool at normal priority (`threads: 'pool'`).
  const ON_POOL = { BENCH_HASH_THREADS: 'pool' };
  // The default bound without its pauses while the event loop is busy.
  const NO_PAUSE = { GATEHOUSE_PASSWORD_HASH_BUSY_PERCENT: '100' };
  const capacity = {
    bounded: await loginCapacity('hono', {}),
    oneLess: await loginCapacity('hono', ONE_LESS),
    unbounded: await loginCapacity('hono', LIFTED),
  };
  // The 20-in-flight phase again with other bounds: lifted (as before the bound existed), one slot per core, and argon2 back on libuv's pool.
  const comparison = async (env) => {
    const server = await startServer('hono', env);
    try {
      const creds = await credentials(server, 2 * Math.ceil((WINDOW_S * 1000) / FIRST_SIGHT_PAUSE_MS + 20));
      const alone = await measurePhase(server, creds, 0);
      const during = await measurePhase(server, creds, 20);
      return { alone, during };
    } finally {
      await server.stop();
    }
  };
  const unboundedStorm = await comparison(LIFTED);
  const oneLessStorm = await comparison(ONE_LESS);
  const onPoolStorm = await comparison(ON_POOL);
  const noPauseStorm = await comparison(NO_PAUSE);
  const loadAfter = loadavg()[0];

  const storm = stormTable(storms);
  const sqliteCheck = checks[0];
  return [
    `Machine caveat: ${availableParallelism()} cores shared by the server, its argon2 worker threads and the load generators (autocannon, the login clients and the first-sight client all run in this process), on a VM other jobs share: 1-minute load average ${fmt(loadBefore, 2)} before this bench and ${fmt(loadAfter, 2)} after. Absolute numbers move between runs; compare ratios and the phases of one run.`,
    '',
    '### HTTP: alone, 20 and 100 logins in flight',
    '',
    `Servers: \`bench/servers/{hono,fastify}.mjs gatehouse\` (createGatehouse on a SQLite file, the adapter's routes and guard, rate limiting off so every login reaches argon2id; the default hashing bound: ${availableParallelism()} cores → concurrency ${capacity.bounded.hashing.concurrency}, queue ${capacity.bounded.hashing.maxQueue}, ${capacity.bounded.hashing.busyPercent} % of a slot's time while the event loop is busy (when the loop's utilization, averaged over the last few hashes, is above 0.75, a slot pauses after each hash before the next); argon2 on one worker thread per slot, each reniced to 19 and, on Linux with \`chrt\`, in the idle scheduling class (\`SCHED_IDLE\`), so the event loop preempts it the moment it wakes, \`hashSync\`/\`verifySync\` inside the worker, nothing on the libuv pool but token signing and I/O). Per framework: ${ROUNDS} rounds, each running the three phases in rotated order, each phase a ${WINDOW_S} s window. In a window: autocannon with ${GET_CONNECTIONS} connections on \`GET /v1/projects\` with a cached access token; a first-sight client on its own connection sending one request every ~${FIRST_SIGHT_PAUSE_MS} ms, each with an API key created at setup and never used before (verify + one read joined with the owner's role); and N login clients, each posting the admin's correct password back to back, started ${LEAD_S} s before the window; a client refused with 503 waits \`Retry-After\` before trying again. The ratio is the median of the per-round ratios of cached req/s to the "none" phase of the same round; first-sight percentiles are over all rounds; event-loop delay is \`monitorEventLoopDelay\` in the server (1 ms resolution), the worst round's p99.`,
    '',
    storm.table,
    '',
    storm.summary,
    '',
    `For comparison, the same Hono server with other bounds, one window alone and one with 20 logins in flight: the bound lifted (\`GATEHOUSE_PASSWORD_HASH_CONCURRENCY=256\`, queue 100000, \`threads: 'pool'\`: every login goes straight to the 4-thread libuv pool, as before the bound existed; token verification already in process), one less than the cores (\`GATEHOUSE_PASSWORD_HASH_CONCURRENCY=${Math.max(1, availableParallelism() - 1)}\`, worker threads: the default where the idle class is not available), the default bound with argon2 on libuv's pool at normal priority (\`threads: 'pool'\`, the design before the worker threads), and the default bound without its pauses (\`GATEHOUSE_PASSWORD_HASH_BUSY_PERCENT=100\`):`,
    '',
    '| hono, 20 logins in flight | first sight p50 ms | first sight p99 ms | cached GET req/s | ratio to alone (same server) | event-loop delay p99 ms | logins/s | login p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...[
      ['bound lifted (no bound)', unboundedStorm],
      [`concurrency ${Math.max(1, availableParallelism() - 1)} (one less than the cores)`, oneLessStorm],
      ["default bound, argon2 on libuv's pool (threads: 'pool')", onPoolStorm],
      ['default bound, no pauses (busy percent 100)', noPauseStorm],
    ].map(
      ([name, { alone, during }]) =>
        `| ${name} | ${fmt(during.firstSightP50, 2)} | ${fmt(during.firstSightP99, 2)} | ${fmt(during.rps)} | ${fmt(during.rps / alone.rps, 3)}× | ${fmt(during.eldP99, 2)} | ${fmt(during.loginsPerSecond)} | ${fmt(during.loginP99Ms)} |`,
    ),
    '',
    '### Hashing capacity: logins/s at saturation',
    '',
    `20 login clients, nothing else, one ${WINDOW_S} s window on a fresh Hono server; "with GETs" is the 20-in-flight phase above (median over rounds).`,
    '',
    '| hashing bound | logins/s, logins only | login p99 ms, logins only | logins/s with cached GETs |',
    '|---|---:|---:|---:|',
    `| default (concurrency ${capacity.bounded.hashing.concurrency}, queue ${capacity.bounded.hashing.maxQueue}, busy ${capacity.bounded.hashing.busyPercent} %, worker threads) | ${fmt(capacity.bounded.loginsPerSecond)} | ${fmt(capacity.bounded.loginP99Ms)} | ${fmt(
      median(
        storms
          .get('hono')
          .get(20)
          .map((x) => x.loginsPerSecond),
      ),
    )} |`,
    `| concurrency ${Math.max(1, availableParallelism() - 1)} (one less than the cores) | ${fmt(capacity.oneLess.loginsPerSecond)} | ${fmt(capacity.oneLess.loginP99Ms)} | ${fmt(oneLessStorm.during.loginsPerSecond)} |`,
    `| lifted (no bound: the 4-thread pool) | ${fmt(capacity.unbounded.loginsPerSecond)} | ${fmt(capacity.unbounded.loginP99Ms)} | ${fmt(unboundedStorm.during.loginsPerSecond)} |`,
    '',
    `- logins/s at saturation while serving traffic, bounded / lifted = ${fmt(
      median(
        storms
          .get('hono')
          .get(20)
          .map((x) => x.loginsPerSecond),
      ) / unboundedStorm.during.loginsPerSecond,
      2,
    )}×; logins only = ${fmt(capacity.bounded.loginsPerSecond / capacity.unbounded.loginsPerSecond, 2)}× (target: within 10 %, i.e. ≥ 0.90×)`,
    '',
    '### Token verification against the HMAC floor (in process)',
    '',
    'The floor only recomputes the MAC over the same bytes; `verifySync` also checks the shape, decodes and checks the header (or matches it against the four headers we write), tries every key in constant time, and parses and checks the claims (a payload in exactly the layout our signer writes by a pattern, any other by JSON.parse).',
    '',
    markdownTable(verify.table, { ratioLabel: 'throughput vs floor' }),
    '',
    `- codec.verifySync = ${fmt(verify.pairedRatio, 3)}× the raw HMAC floor (median of ${PAIRED_ROUNDS} paired, interleaved rounds of ${fmt(PAIRED_CALLS)} calls each, in alternating order, range ${fmt(verify.pairedMin, 2)}–${fmt(verify.pairedMax, 2)}; target ≥ ${TARGET.verifyVsFloor}×; was 0.022× through jose and Web Crypto): ${met(verify.pairedRatio >= TARGET.verifyVsFloor)}`,
    '',
    '### Uncached API-key check (in process)',
    '',
    `An authenticator with \`maxCacheAgeMs: 0\` (every call verifies the key and reads its row joined with the owner's role), awaited back to back, after 2000 warm-up calls; 8 interleaved rounds of 300 ms per store. PostgreSQL: ${postgresVersion}, ${postgres.source}, through \`createPostgresStore\` (pg pool, loopback TCP).`,
    '',
    '| store | calls | p50 µs | p99 µs |',
    '|---|---:|---:|---:|',
    ...checks.map((c) => `| ${c.name} | ${fmt(c.calls)} | ${fmt(c.p50, 1)} | ${fmt(c.p99, 1)} |`),
    '',
    `- SQLite: uncached API-key check ${fmt(sqliteCheck.p50, 1)} µs median (target ≤ ${TARGET.uncachedSqliteUs} µs; was 460–616 µs): ${met(sqliteCheck.p50 <= TARGET.uncachedSqliteUs)}`,
  ].join('\n');
}
