// What authentication costs per request on real HTTP servers. Each server runs in its own
// child process (bench/servers/*.mjs) on 127.0.0.1; autocannon runs here, so the load generator
// does not share the server's event loop. Same route, same JSON, four ways in: no auth, the
// Gatehouse guard with an access token, with an API key, and the framework's usual JWT middleware;
// plus a control, a middleware that only checks that an Authorization header is present, which is
// the floor any auth layer pays on that framework before it verifies anything; and better-auth
// with a bearer session token (`getSession`) and with an API key (`verifyApiKey`),
// compared with Gatehouse's access token and API key round by round.
// Then the event-loop delay of the Hono server while 20 logins hash passwords on the libuv pool.
//
// The cases of one framework are measured in interleaved rounds, each round in a rotated order,
// and compared round by round: on a small shared VM the throughput of one and the same server
// drifts by 2× over seconds, which back-to-back runs would report as a difference between cases.
//
// BENCH_HTTP_CPU_PROF=<dir> runs every server under `node --cpu-prof`, profiles in <dir>/<framework>-<mode>/
// (summarise one with bench/servers/profile-summary.mjs).
import autocannon from 'autocannon';
import jsonwebtoken from 'jsonwebtoken';
import { execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { JWT_SECRET, PROJECTS } from './servers/common.mjs';

export const title = 'Per-request authentication on Hono, Fastify and Express (HTTP, autocannon)';

const here = dirname(fileURLToPath(import.meta.url));
// Neither package exports its package.json.
const versionOf = (name) =>
  JSON.parse(readFileSync(join(here, '..', 'node_modules', name, 'package.json'), 'utf8')).version;
const BETTER_AUTH_VERSION = versionOf('better-auth');
const BETTER_AUTH_API_KEY_VERSION = versionOf('@better-auth/api-key');
const ALL_FRAMEWORKS = ['hono', 'fastify', 'express'];
// BENCH_HTTP_FRAMEWORKS=hono,fastify: only those (diagnosis; RESULTS.md wants all three).
const FRAMEWORKS = process.env.BENCH_HTTP_FRAMEWORKS
  ? process.env.BENCH_HTTP_FRAMEWORKS.split(',').filter((f) => ALL_FRAMEWORKS.includes(f))
  : ALL_FRAMEWORKS;
const JWT_MIDDLEWARE = {
  hono: '`hono/jwt`',
  fastify: '`@fastify/jwt` (onRequest `jwtVerify()`)',
  express: '`express-jwt`',
};
const LOAD = {
  connections: Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10),
  pipelining: 1,
  warmupSeconds: 1,
  rounds: Number(process.env.BENCH_HTTP_ROUNDS ?? 15),
  roundSeconds: 1.5,
  eldSeconds: 5,
};
const LOGINS_IN_FLIGHT = 20;
const ADMIN = { email: 'admin@localhost', password: 'admin' };
const TARGET = 0.85;
const PIN = process.env.BENCH_HTTP_PIN === '1';
// BENCH_HTTP_QUICK=1: no auth, no auth with the header, Gatehouse only (diagnosis; never written to RESULTS.md by hand).
const QUICK = process.env.BENCH_HTTP_QUICK === '1';
if (PIN) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
/** Gatehouse req/s over better-auth req/s, same framework, same kind of credential. */
const VERSUS_BETTER_AUTH_TARGET = 20;
const BETTER_AUTH_SESSION = 'better-auth, session token (bearer plugin, `getSession`)';
const BETTER_AUTH_API_KEY = 'better-auth, API key (`@better-auth/api-key`, `verifyApiKey`)';

/** Forks a bench server and resolves once it listens. */
async function startServer(framework, mode, env = {}) {
  const profileDir = process.env.BENCH_HTTP_CPU_PROF;
  const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${framework}-${mode}`)}`] : [];
  // BENCH_HTTP_PIN=1: servers on CPU 1, this process (the load generator) on CPU 0, so the two never
  // compete for a core and the ratio measures the server alone.
  const child = PIN
    ? spawn('taskset', ['-c', '1', process.execPath, ...execArgv, join(here, 'servers', `${framework}.mjs`), mode], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : fork(join(here, 'servers', `${framework}.mjs`), [mode], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv,
      });
  const { port, headers } = await new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`bench server ${framework}/${mode} exited (${code}) before listening`));
    child.once('exit', onExit);
    child.on('message', function onMessage(message) {
      if (message?.type !== 'listening') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve({ port: message.port, headers: message.headers });
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    /** The credential the server made for its clients (better-auth modes), else undefined. */
    headers,
    /** CPU share and (when it was on) event-loop delay in ms since the previous call. */
    stats({ monitorLoop = false } = {}) {
      return new Promise((resolve) => {
        child.on('message', function onMessage(message) {
          if (message?.type !== 'stats') return;
          child.off('message', onMessage);
          resolve(message.stats);
        });
        child.send({ type: 'stats', monitorLoop });
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.send({ type: 'stop' });
      });
    },
  };
}

/**
 * Starts autocannon with our own bookkeeping: 2xx count and a latency histogram at µs resolution
 * (autocannon's own rounds to whole milliseconds). `done` resolves when the run ends.
 */
function startLoad(options, acceptStatus = (status) => status >= 200 && status < 300) {
  const histogram = createHistogram();
  const tally = { ok: 0, bad: 0, histogram };
  const instance = autocannon({ connections: LOAD.connections, pipelining: LOAD.pipelining, ...options });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (!acceptStatus(status)) return void tally.bad++;
    tally.ok++;
    histogram.record(Math.max(1, Math.round(ms * 1000)));
  });
  const done = instance.then((result) => {
    if (tally.bad > 0 || result.errors > 0 || result.timeouts > 0) {
      throw new Error(
        `bench: ${options.url} had ${tally.bad} unexpected statuses, ${result.errors} errors, ${result.timeouts} timeouts`,
      );
    }
    return tally;
  });
  return { instance, tally, done };
}

/** One measured window on a warm server; the server's stats cover exactly this window. */
async function measureOnce(server, headers, seconds, { monitorLoop = false } = {}) {
  await server.stats({ monitorLoop });
  const clientCpu = process.cpuUsage();
  const started = performance.now();
  const tally = await startLoad({ url: `${server.url}/v1/projects`, headers, duration: seconds }).done;
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(clientCpu);
  const stats = await server.stats();
  return {
    rps: tally.ok / (wallMs / 1000),
    histogram: tally.histogram,
    serverCpu: stats.cpu,
    userUsPerRequest: stats.userUs / tally.ok,
    systemUsPerRequest: stats.systemUs / tally.ok,
    clientCpu: (cpu.user + cpu.system) / 1000 / wallMs,
    eld: stats.eld,
  };
}

async function expectStatus(url, init, status, what) {
  const response = await fetch(url, init);
  const body = await response.text();
  if (response.status !== status)
    throw new Error(`bench setup: ${what} answered ${response.status} (expected ${status}): ${body}`);
  return { response, body };
}

/** Logs the default admin in over HTTP and creates a user API key with the session. */
async function gatehouseCredentials(url) {
  const { response } = await expectStatus(
    `${url}/auth/login`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) },
    204,
    'POST /auth/login',
  );
  const cookie = response.headers.getSetCookie().find((c) => /^[^=]*-access-token=/.test(c));
  const accessToken = cookie?.slice(cookie.indexOf('=') + 1).split(';')[0];
  if (!accessToken) throw new Error('bench setup: the login set no access-token cookie');
  const { body } = await expectStatus(
    `${url}/v1/user/api_keys`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { name: 'bench' } }),
    },
    201,
    'POST /v1/user/api_keys',
  );
  const apiKey = JSON.parse(body).data.key;
  return { access: { authorization: `Bearer ${accessToken}` }, apiKey: { authorization: `Bearer ${apiKey}` } };
}

/** The measured route must answer the JSON to the credential and, when guarded, refuse anonymity. */
async function checkRoute(url, headers, guarded) {
  const { body } = await expectStatus(`${url}/v1/projects`, { headers }, 200, 'GET /v1/projects');
  if (body !== JSON.stringify(PROJECTS)) throw new Error(`bench setup: unexpected body ${body}`);
  if (guarded) await expectStatus(`${url}/v1/projects`, {}, 401, 'anonymous GET /v1/projects');
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** Warms every case up, then measures them in interleaved rounds; rows compare to the first case. */
async function measureCases(cases) {
  for (const c of cases) {
    await checkRoute(c.server.url, c.headers, c.guarded);
    await startLoad({ url: `${c.server.url}/v1/projects`, headers: c.headers, duration: LOAD.warmupSeconds }).done;
    c.runs = [];
  }
  for (let round = 0; round < LOAD.rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length];
      c.runs.push(await measureOnce(c.server, c.headers, LOAD.roundSeconds));
    }
  }
  const baseline = cases[0].runs;
  return cases.map((c) => {
    const histogram = createHistogram();
    for (const r of c.runs) histogram.add(r.histogram);
    const ratios = c.runs.map((r, i) => r.rps / baseline[i].rps);
    return {
      name: c.name,
      rps: mean(c.runs.map((r) => r.rps)),
      p50Ms: histogram.percentile(50) / 1000,
      p99Ms: histogram.percentile(99) / 1000,
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      serverCpu: mean(c.runs.map((r) => r.serverCpu)),
      userUsPerRequest: median(c.runs.map((r) => r.userUsPerRequest)),
      systemUsPerRequest: median(c.runs.map((r) => r.systemUsPerRequest)),
      clientCpu: mean(c.runs.map((r) => r.clientCpu)),
    };
  });
}

async function benchFramework(framework) {
  const servers = [];
  const start = async (mode) => {
    const server = await startServer(framework, mode);
    servers.push(server);
    return server;
  };
  try {
    const none = await start('none');
    const gh = await start('gatehouse');
    const creds = await gatehouseCredentials(gh.url);
    const noAuth = { name: 'no auth', server: none, headers: {}, guarded: false };
    // What receiving a ~260-byte Authorization header costs the server when nothing reads it.
    const noAuthWithHeader = {
      name: 'no auth, client sends the same Authorization header',
      server: none,
      headers: creds.access,
      guarded: false,
    };
    const ghAccess = { name: 'Gatehouse, access token', server: gh, headers: creds.access, guarded: true };
    const ghKey = { name: 'Gatehouse, API key', server: gh, headers: creds.apiKey, guarded: true };
    if (QUICK) return { rows: await measureCases([noAuth, noAuthWithHeader, ghAccess, ghKey]) };
    const presence = await start('presence');
    const jwtServer = await start('jwt');
    const baSession = await start('better-auth-session');
    const baApiKey = await start('better-auth-apikey');
    const jwtHeaders = {
      authorization: `Bearer ${jsonwebtoken.sign({ sub: '2', role: 'ADMIN' }, JWT_SECRET, { algorithm: 'HS256', expiresIn: '1h' })}`,
    };
    const cases = [
      noAuth,
      noAuthWithHeader,
      {
        name:
          framework === 'hono'
            ? 'control: header-presence check (handler wrapper)'
            : 'control: header-presence middleware',
        server: presence,
        headers: creds.access,
        guarded: true,
      },
      ghAccess,
      ghKey,
      { name: `${JWT_MIDDLEWARE[framework]} (HS256)`, server: jwtServer, headers: jwtHeaders, guarded: true },
      { name: BETTER_AUTH_SESSION, server: baSession, headers: baSession.headers, guarded: true },
      { name: BETTER_AUTH_API_KEY, server: baApiKey, headers: baApiKey.headers, guarded: true },
    ];
    if (framework === 'hono') {
      // Hono runs a route with one handler without its middleware chain: the two Gatehouse rows
      // above use that shape (`mountGatehouse` + `protect`); these two show the middleware shape.
      const presenceMw = await start('presence-middleware');
      const ghMw = await start('gatehouse-middleware');
      const mwCreds = await gatehouseCredentials(ghMw.url);
      cases.splice(3, 0, {
        name: 'control as middleware (`app.use`)',
        server: presenceMw,
        headers: creds.access,
        guarded: true,
      });
      cases.push({
        name: 'Gatehouse as middleware (`gatehouse()` + `authenticate()`), access token',
        server: ghMw,
        headers: mwCreds.access,
        guarded: true,
      });
    }
    const rows = await measureCases(cases);
    // Round by round, like the ratios to "no auth": both cases of a pair ran minutes apart at most.
    const byName = (name) => cases.find((c) => c.name === name);
    const versus = (ours, theirs) => {
      const a = byName(ours);
      const b = byName(theirs);
      const ratios = a.runs.map((r, i) => r.rps / b.runs[i].rps);
      const cpu = (c) => median(c.runs.map((r) => r.userUsPerRequest + r.systemUsPerRequest));
      return {
        ratio: median(ratios),
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
        oursCpuUs: cpu(a),
        theirsCpuUs: cpu(b),
      };
    };
    const versusBetterAuth = {
      session: versus('Gatehouse, access token', BETTER_AUTH_SESSION),
      apiKey: versus('Gatehouse, API key', BETTER_AUTH_API_KEY),
    };
    const eldPhases = framework === 'hono' ? await eventLoopUnderLogins(gh, creds.access, { alone: true }) : null;
    return { rows, eldPhases, versusBetterAuth };
  } finally {
    for (const server of servers) await server.stop();
  }
}

/**
 * Authenticated GETs alone (if asked), then while 20 logins run back to back (argon2id on the
 * libuv pool).
 */
async function eventLoopUnderLogins(server, headers, { alone: measureAlone = false } = {}) {
  const alone = measureAlone ? await measureOnce(server, headers, LOAD.eldSeconds, { monitorLoop: true }) : null;

  const logins = startLoad(
    {
      url: `${server.url}/auth/login`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
      connections: LOGINS_IN_FLIGHT,
      duration: 120,
    },
    (status) => status === 204,
  );
  // Let the pool fill up before the window opens.
  await sleep(1000);
  const loginsBefore = logins.tally.ok;
  const loginLatency = createHistogram();
  const onLogin = (_client, status, _bytes, ms) => {
    if (status === 204) loginLatency.record(Math.max(1, Math.round(ms * 1000)));
  };
  logins.instance.on('response', onLogin);
  const started = performance.now();
  const during = await measureOnce(server, headers, LOAD.eldSeconds, { monitorLoop: true });
  const seconds = (performance.now() - started) / 1000;
  const loginsInWindow = logins.tally.ok - loginsBefore;
  logins.instance.off('response', onLogin);
  logins.instance.stop();
  await logins.done;
  return {
    alone,
    during: {
      ...during,
      loginsPerSecond: loginsInWindow / seconds,
      loginP50Ms: loginLatency.percentile(50) / 1000,
      loginP99Ms: loginLatency.percentile(99) / 1000,
    },
  };
}

/**
 * The same login load on a Hono Gatehouse server whose libuv pool has one thread: on two cores the
 * default four argon2 threads outnumber the cores, so this separates scheduling contention from
 * work the loop itself does per login.
 */
async function eventLoopWithOnePoolThread() {
  const server = await startServer('hono', 'gatehouse', { UV_THREADPOOL_SIZE: '1' });
  try {
    const creds = await gatehouseCredentials(server.url);
    await startLoad({ url: `${server.url}/v1/projects`, headers: creds.access, duration: LOAD.warmupSeconds }).done;
    return (await eventLoopUnderLogins(server, creds.access)).during;
  } finally {
    await server.stop();
  }
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (n) => `${fmt(n * 100)} %`;

function resultsTable(results) {
  const lines = [
    '| framework | case | req/s (avg) | p50 ms | p99 ms | ratio to no auth (median, range) | server CPU µs/req (user + kernel) | server CPU | load-generator CPU |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [framework, { rows }] of results) {
    for (const r of rows) {
      const ratio = r === rows[0] ? '1.000×' : `${fmt(r.ratio, 3)}× (${fmt(r.ratioMin, 2)}–${fmt(r.ratioMax, 2)})`;
      const perRequest = `${fmt(r.userUsPerRequest + r.systemUsPerRequest, 1)} (${fmt(r.userUsPerRequest, 1)} + ${fmt(r.systemUsPerRequest, 1)})`;
      lines.push(
        `| ${framework} | ${r.name} | ${fmt(r.rps)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${ratio} | ${perRequest} | ${pct(r.serverCpu)} | ${pct(r.clientCpu)} |`,
      );
    }
  }
  return lines.join('\n');
}

function targetLines(results) {
  return FRAMEWORKS.filter((f) => f !== 'express')
    .map((framework) => {
      const gh = results
        .get(framework)
        .rows.filter((r) => r.name === 'Gatehouse, access token' || r.name === 'Gatehouse, API key');
      const worst = Math.min(...gh.map((r) => r.ratio));
      const ratios = gh.map((r) => `${fmt(r.ratio, 3)}× with ${r.name.replace('Gatehouse, ', 'an ')}`).join(', ');
      return `- ${framework}: Gatehouse authenticated / unauthenticated = ${ratios}; target ≥ ${TARGET}×: **${worst >= TARGET ? 'met' : 'missed'}**`;
    })
    .join('\n');
}

function betterAuthLines(results) {
  const line = (framework, what, v) =>
    `- ${framework}: Gatehouse ${what} = ${fmt(v.ratio, 1)}× (${fmt(v.ratioMin, 1)}–${fmt(v.ratioMax, 1)}) the req/s; server CPU ${fmt(v.oursCpuUs, 1)} vs ${fmt(v.theirsCpuUs, 1)} µs/req (${fmt(v.theirsCpuUs / v.oursCpuUs, 1)}×); target ≥ ${VERSUS_BETTER_AUTH_TARGET}×: **${v.ratio >= VERSUS_BETTER_AUTH_TARGET ? 'met' : 'missed'}**`;
  return FRAMEWORKS.flatMap((framework) => {
    const v = results.get(framework).versusBetterAuth;
    return [
      line(framework, 'access token / better-auth session token', v.session),
      line(framework, 'API key / better-auth API key', v.apiKey),
    ];
  }).join('\n');
}

function eldTable(e, onePool) {
  const row = (name, m) =>
    `| ${name} | ${fmt(m.rps)} | ${fmt(m.histogram.percentile(99) / 1000, 2)} | ${fmt(m.eld.p50, 2)} | ${fmt(m.eld.p99, 2)} | ${fmt(m.eld.max, 2)} | ${pct(m.serverCpu)} | ${m.loginsPerSecond === undefined ? '' : `${fmt(m.loginsPerSecond)} (p99 ${fmt(m.loginP99Ms)} ms)`} |`;
  return [
    '| phase | GET req/s | GET p99 ms | loop delay p50 ms | loop delay p99 ms | loop delay max ms | server CPU | logins/s (latency p99) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row('authenticated GETs alone', e.alone),
    row(`authenticated GETs + ${LOGINS_IN_FLIGHT} logins in flight`, e.during),
    row(`same, server started with \`UV_THREADPOOL_SIZE=1\` (diagnostic)`, onePool),
  ].join('\n');
}

export async function run() {
  const results = new Map();
  for (const framework of FRAMEWORKS) {
    console.error(`[bench] http: ${framework} …`);
    results.set(framework, await benchFramework(framework));
  }
  if (QUICK) return resultsTable(results);
  const eld = results.get('hono').eldPhases;
  console.error('[bench] http: event loop with one pool thread …');
  const onePool = await eventLoopWithOnePoolThread();
  return [
    `${PIN ? 'Pinned (`BENCH_HTTP_PIN=1`): every server on CPU 1, autocannon on CPU 0, so load generator and server never share a core. ' : ''}Each server runs alone in a child process on 127.0.0.1 (\`bench/servers/*.mjs\`); autocannon runs in the bench process with ${LOAD.connections} connections, pipelining ${LOAD.pipelining}, against \`GET /v1/projects\`, which answers the same small JSON in every case. Per framework, each case is warmed up for ${LOAD.warmupSeconds} s, then measured in ${LOAD.rounds} interleaved rounds of ${LOAD.roundSeconds} s (rotated order); req/s is the mean over rounds, the ratio is the median of the per-round ratios to "no auth" (range in brackets), latency percentiles are client-side over all rounds (µs resolution).`,
    '',
    `Gatehouse servers call \`createGatehouse\` on a SQLite file and mount the adapter's routes plus its guard, as an application would; the access token comes from \`POST /auth/login\`, the API key from \`POST /v1/user/api_keys\`. The JWT rows use each framework's usual middleware with an HS256 secret. The control row only checks that an Authorization header is present, in the same shape as the Gatehouse row (a middleware on Express, an \`onRequest\` hook on Fastify, a handler wrapper on Hono): the cost of having any auth layer on that framework, before verifying anything. The row "no auth, client sends the same Authorization header" is the no-auth server again, with the Gatehouse client's ~260-byte header: what receiving the header costs before anything reads it; since it runs the same code as "no auth", its distance from 1.000× is also this run's noise band. Hono's Gatehouse rows use \`mountGatehouse\` + \`protect\` (routes, no middleware, so Hono keeps its single-handler dispatch); its two extra rows show the middleware shape (\`app.use\`). CPU columns: the server's CPU time per request (median over rounds; user + kernel, the kernel part being mostly loopback TCP), and the share of one core used by the server process and by the load generator during the measured windows. On a 2-core machine the two processes compete, so compare ratios and CPU per request, not absolute rates.`,
    '',
    resultsTable(results),
    '',
    targetLines(results),
    '',
    '### Gatehouse against better-auth',
    '',
    `better-auth ${BETTER_AUTH_VERSION} on its own SQLite file (better-sqlite3, WAL and \`synchronous = NORMAL\` like Gatehouse's store), tables made by its migrator (\`getMigrations\` from \`better-auth/db/migration\`), its own rate limiter and the key plugin's off (as Gatehouse's are). Session rows: the \`bearer\` plugin; the client sends the signed session token from sign-in's \`set-auth-token\` header as \`Authorization: Bearer\`, the route calls \`auth.api.getSession({ headers })\`. API-key rows: \`@better-auth/api-key\` ${BETTER_AUTH_API_KEY_VERSION} (better-auth 1.7 moved the plugin to that package; its newest release pins better-auth 1.7.5), a key from \`auth.api.createApiKey\`, sent in \`x-api-key\` (the plugin's default header) and checked with \`auth.api.verifyApiKey({ body: { key } })\`, which reads the key row and, in the default database storage, writes its usage counters back on every call. Same route shape as the Gatehouse rows on each framework. Ratios: Gatehouse req/s over better-auth req/s per round, median (range); the CPU figures are the servers' CPU per request, which the load generator's share of the two cores does not cap.`,
    '',
    betterAuthLines(results),
    '',
    '### Event-loop delay while logins hash passwords (Hono, Gatehouse)',
    '',
    `\`perf_hooks.monitorEventLoopDelay\` inside the server process, sampling every 1 ms ("delay" = how late a sample fired beyond that interval), over ${LOAD.eldSeconds} s of authenticated GETs (access token, ${LOAD.connections} connections) per phase. With logins: ${LOGINS_IN_FLIGHT} \`POST /auth/login\` kept in flight from 1 s before the window (rate limiting is off in the bench servers, so every one reaches argon2id verification on the libuv pool). The last row repeats that on a fresh server with a one-thread pool, to tell CPU contention (${LOGINS_IN_FLIGHT} logins keep every pool thread busy, and the default pool of 4 outnumbers the cores) from work the event loop itself does per login.`,
    '',
    eldTable(eld, onePool),
  ].join('\n');
}
