// How long a revocation takes to reach another instance. Two Gatehouse instances, each
// `createGatehouse` in its own process (bench/revocation-instance.mjs), share a PostgreSQL store
// and a revocation channel: Redis pub/sub, or PostgreSQL LISTEN/NOTIFY. Per sample, instance A
// creates an API key, B authenticates it (so B has it cached), A deletes it through its services
// (`deleteUserApiKey`: store delete, then publish), and B stamps the moment its authenticator
// refuses the key: a listener on B's channel, subscribed after the authenticator's own, fires
// right after the eviction and asks the authenticator again. Latency = B's refusal − the start of
// A's delete, both on the machine-wide monotonic clock.
//
// The two channels are measured in alternating samples, so load from the rest of the machine
// falls on both alike.
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createDatabase, freePort, startPostgres } from './postgres.mjs';

export const title = 'Revocation propagation across instances (Redis pub/sub, PostgreSQL LISTEN/NOTIFY)';

const here = dirname(fileURLToPath(import.meta.url));
const SAMPLES = 200;
const WARMUP_SAMPLES = 10;
const TARGET_P99_MS = 50;
const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';
const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_DIST = join(here, '..', 'packages', 'redis', 'dist', 'index.js');

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (from, to) => Number(BigInt(to) - BigInt(from)) / 1e6;

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A redis-server of our own on a free loopback port, without persistence. */
async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-redis-'));
  const port = await freePort();
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('bench: redis-server did not start');
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Forks an instance and resolves once it is ready; `call` sends a command and awaits its reply. */
async function startInstance(kind, env) {
  const child = fork(join(here, 'revocation-instance.mjs'), [kind], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map();
  const refusals = [];
  let seq = 0;
  child.on('message', (message) => {
    if (message?.type === 'reply') {
      const waiter = pending.get(message.seq);
      pending.delete(message.seq);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message);
    } else if (message?.type === 'refused') {
      refusals.push(message);
    }
  });
  await new Promise((resolve, reject) => {
    const onExit = (code) =>
      reject(new Error(`bench: revocation instance (${kind}) exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.on('message', function onReady(message) {
      if (message?.type !== 'ready') return;
      child.off('message', onReady);
      child.off('exit', onExit);
      resolve();
    });
  });
  return {
    call(type, body = {}) {
      return new Promise((resolve, reject) => {
        const id = ++seq;
        pending.set(id, { resolve, reject });
        child.send({ type, seq: id, ...body });
      });
    },
    /** The next refusal report for key `id`. */
    async refusalOf(id) {
      for (;;) {
        const index = refusals.findIndex((r) => r.id === id);
        if (index !== -1) return refusals.splice(index, 1)[0];
        await sleep(1);
      }
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

/** A pair of instances on one database and one channel name. */
async function startPair(kind, databaseUrl, redisUrl) {
  const env = {
    BENCH_REV_DATABASE_URL: databaseUrl,
    BENCH_REV_SECRET: SECRET,
    BENCH_REV_CHANNEL: `gatehouse_bench_${kind}`,
    BENCH_REV_REDIS_URL: redisUrl ?? '',
  };
  // One after the other: the first bootstraps the empty database.
  const a = await startInstance(kind, env);
  try {
    const b = await startInstance(kind, env);
    return { kind, a, b, samples: [] };
  } catch (error) {
    await a.stop();
    throw error;
  }
}

async function sample(pair) {
  const { id, key } = await pair.a.call('create');
  await pair.b.call('arm', { id, key });
  const deleted = await pair.a.call('delete', { id });
  const refused = await pair.b.refusalOf(id);
  if (refused.missed) throw new Error(`bench: ${pair.kind}: instance B never refused key ${id}`);
  if (refused.eventType !== 'api_key')
    throw new Error(`bench: ${pair.kind}: B was reached by a '${refused.eventType}' event, not the key's`);
  return {
    refusedMs: ms(deleted.startedAt, refused.refusedAt),
    eventMs: ms(deleted.startedAt, refused.eventAt),
    deleteMs: ms(deleted.startedAt, deleted.endedAt),
    asks: refused.asks,
  };
}

function row(name, samples) {
  const refused = samples.map((s) => s.refusedMs);
  const event = samples.map((s) => s.eventMs);
  const del = samples.map((s) => s.deleteMs);
  const p99 = percentile(refused, 99);
  return {
    p99,
    line: `| ${name} | ${samples.length} | ${fmt(percentile(refused, 50), 2)} | ${fmt(p99, 2)} | ${fmt(Math.max(...refused), 2)} | ${fmt(percentile(event, 50), 2)} | ${fmt(percentile(event, 99), 2)} | ${fmt(percentile(del, 50), 2)} | ${fmt(Math.max(...samples.map((s) => s.asks)))} |`,
  };
}

export async function run() {
  const pg = await startPostgres();
  const redisBuilt = existsSync(REDIS_DIST);
  const redis = redisBuilt ? await startRedis() : null;
  const pairs = [];
  try {
    if (redis) pairs.push(await startPair('redis', await createDatabase(pg.url, 'gh_revocation_redis'), redis.url));
    pairs.push(await startPair('postgres', await createDatabase(pg.url, 'gh_revocation_postgres')));
    for (let i = 0; i < WARMUP_SAMPLES; i++) for (const pair of pairs) await sample(pair);
    for (let i = 0; i < SAMPLES; i++) {
      // Alternate which channel goes first, too.
      for (const pair of i % 2 ? [...pairs].reverse() : pairs) pair.samples.push(await sample(pair));
    }
    const names = {
      redis: 'Redis pub/sub (`createRedisRevocationChannel`)',
      postgres: 'PostgreSQL LISTEN/NOTIFY (`createPostgresRevocationChannel`)',
    };
    const rows = pairs.map((pair) => ({ pair, ...row(names[pair.kind], pair.samples) }));
    const verdicts = rows.map(
      ({ pair, p99 }) =>
        `- ${names[pair.kind]}: p99 ${fmt(p99, 2)} ms until the other instance refuses the key; target p99 < ${TARGET_P99_MS} ms: **${p99 < TARGET_P99_MS ? 'met' : 'missed'}**`,
    );
    if (!redis)
      verdicts.push(`- Redis pub/sub: **not measured** (\`packages/redis/dist\` was not built when this ran)`);
    return [
      `Two instances, each \`createGatehouse\` in a process of its own (\`bench/revocation-instance.mjs\`), share a PostgreSQL database through \`createPostgresStore\` (one database per channel, on ${pg.version}: ${pg.source}) and a revocation channel${redis ? `; Redis: a \`redis-server\` started for the run (\`${REDIS_SERVER}\`, loopback, no persistence)` : ''}. Per sample: A creates an API key, B authenticates it (now cached), A deletes it with \`deleteUserApiKey\` (store delete, then publish), and B stamps the moment its authenticator refuses the key: a listener on B's channel, subscribed after the authenticator's, fires once the authenticator has evicted the key and asks it again (the answer is a store read, which finds the key gone). Latency = B's refusal − the start of A's delete, on the machine-wide monotonic clock (\`process.hrtime\`), so it includes A's store delete and B's re-read. ${WARMUP_SAMPLES} warm-up samples per channel, then ${SAMPLES} each, the channels alternating.`,
      '',
      "| channel | samples | refused p50 ms | refused p99 ms | refused max ms | event at B p50 ms | event at B p99 ms | A's delete p50 ms | asks until refused (max) |",
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => r.line),
      '',
      ...verdicts,
    ].join('\n');
  } finally {
    for (const pair of pairs) {
      await pair.a.stop();
      await pair.b.stop();
    }
    await redis?.stop();
    await pg.stop();
  }
}
