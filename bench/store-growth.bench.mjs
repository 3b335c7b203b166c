// Uncached API-key authentication as the store grows from 1 000 to 1 000 000 keys, on
// SQLite and on PostgreSQL. The cost must stay flat: a miss verifies the JWT and reads one row by
// primary key (joined with the owner's role), whatever the table holds.
//
// One store per engine and size, all open at once, measured in interleaved rounds (each round in a
// rotated order) and compared round by round with the 1k store of the same engine: on a shared 2-core
// VM the speed of one and the same loop drifts over seconds, which back-to-back runs would report
// as an effect of the size.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram } from 'node:perf_hooks';
import { bootstrap, createAuthenticator, createUserApiKey, login, systemClock } from '../packages/core/dist/index.js';
import { benchServiceDeps } from './service-deps.mjs';
import { createPostgresStore, createSqliteStore } from '../packages/db/dist/index.js';
import { createDatabase, startPostgres } from './postgres.mjs';

export const title = 'Store growth: uncached API-key authentication, 1k → 1M keys, SQLite and PostgreSQL';

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';
const SIZES = [1_000, 100_000, 1_000_000];
/** One user per ten keys, as in bench/authenticate.bench.mjs (100k users for 1M keys). */
const KEYS_PER_USER = 10;
const ROUNDS = 8;
const BATCH_MS = 300;
/** "Flat": the 1M store within this factor of the 1k one (median of per-round ratios). */
const FLAT_WITHIN = 1.2;

const label = (n) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);
const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Bulk rows through a connection of our own; the store under test reads them through its own. */
async function seedSqlite(filename, users, keys) {
  const db = new Database(filename);
  const now = Date.now();
  const insertUser = db.prepare(
    "INSERT INTO users (role, username, email, auth_method, password_hash, reset_password, created_at, updated_at) VALUES ('VIEWER', ?, ?, 'LOCAL', 'x', 0, ?, ?)",
  );
  const insertKey = db.prepare("INSERT INTO api_keys (user_id, kind, name, created_at) VALUES (?, 'user', 'bulk', ?)");
  const firstId = db.prepare('SELECT max(id) AS id FROM users').get().id + 1;
  db.transaction(() => {
    for (let i = 0; i < users; i++) insertUser.run(`bulk${i}`, `bulk${i}@example.com`, now, now);
    for (let i = 0; i < keys; i++) insertKey.run(firstId + (i % users), now);
  })();
  db.exec('ANALYZE');
  db.close();
}

async function seedPostgres(url, users, keys) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const now = Date.now();
    const { rows } = await client.query('SELECT max(id)::int AS id FROM users');
    const firstId = rows[0].id + 1;
    await client.query(
      `INSERT INTO users (role, username, email, auth_method, password_hash, reset_password, created_at, updated_at)
       SELECT 'VIEWER', 'bulk' || g, 'bulk' || g || '@example.com', 'LOCAL', 'x', false, $1::bigint, $1::bigint FROM generate_series(0, $2::int - 1) AS g`,
      [now, users],
    );
    await client.query(
      `INSERT INTO api_keys (user_id, kind, name, created_at)
       SELECT $1::bigint + (g % $2::int), 'user', 'bulk', $3::bigint FROM generate_series(0, $4::int - 1) AS g`,
      [firstId, users, now, keys],
    );
    // What autovacuum would reach on a live server: fresh statistics and a visibility map.
    await client.query('VACUUM ANALYZE');
  } finally {
    await client.end();
  }
}

/**
 * A store holding `keys` API keys: `keys - 1` bulk rows, then the measured key made through the
 * service (so its JWT is real), the newest row. Returns an authenticator that never answers from
 * its cache (`maxCacheAgeMs: 0`) over a store wrapper that counts the key reads, to prove it.
 */
async function world(engine, { keys, file, url }) {
  const store =
    engine === 'sqlite'
      ? await createSqliteStore({ filename: file })
      : await createPostgresStore({ connectionString: url });
  const deps = benchServiceDeps(store, SECRET);
  const { config, revocations } = deps;
  const { systemUserId } = await bootstrap(deps);
  const bulkKeys = keys - 1;
  const users = Math.max(1, Math.ceil(bulkKeys / KEYS_PER_USER));
  const t0 = performance.now();
  if (engine === 'sqlite') await seedSqlite(file, users, bulkKeys);
  else await seedPostgres(url, users, bulkKeys);
  const seedSeconds = (performance.now() - t0) / 1000;

  const session = await login(deps, { email: 'admin@localhost', password: 'admin' });
  const cached = createAuthenticator({
    config,
    store,
    tokens: deps.tokens,
    revocations,
    clock: systemClock,
    systemUserId,
  });
  const principal = (await cached.authenticate({ authorization: `Bearer ${session.accessToken}` })).principal;
  const key = await createUserApiKey(deps, principal, { name: 'bench' });
  cached.close();
  const counter = { reads: 0 };
  const counted = {
    ...store,
    findApiKeyGrant(id) {
      counter.reads++;
      return store.findApiKeyGrant(id);
    },
  };
  const uncached = createAuthenticator({
    config,
    store: counted,
    tokens: deps.tokens,
    revocations,
    clock: systemClock,
    systemUserId,
    maxCacheAgeMs: 0,
  });
  const header = { authorization: `Bearer ${key.key}` };
  const first = await uncached.authenticate(header);
  if (!first.ok) throw new Error(`bench setup: ${engine} ${label(keys)}: key refused (${first.reason})`);
  return { engine, keys, users: users + 2, seedSeconds, store, uncached, header, counter };
}

/** Calls back to back for `BATCH_MS`; µs per call, and each call's duration into `histogram`. */
async function batch(w, histogram) {
  globalThis.gc?.();
  let calls = 0;
  const started = performance.now();
  const until = started + BATCH_MS;
  let now = started;
  while (now < until) {
    const before = now;
    const result = await w.uncached.authenticate(w.header);
    if (!result.ok) throw new Error(`bench: ${w.engine} ${label(w.keys)}: key refused (${result.reason})`);
    now = performance.now();
    histogram.record(Math.max(1, Math.round((now - before) * 1000)));
    calls++;
  }
  return { usPerCall: ((now - started) * 1000) / calls, calls };
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-growth-'));
  const pg = await startPostgres();
  const worlds = [];
  try {
    for (const keys of SIZES) {
      console.error(`[bench] store-growth: SQLite, ${label(keys)} keys …`);
      worlds.push(await world('sqlite', { keys, file: join(dir, `growth-${keys}.sqlite`) }));
      console.error(`[bench] store-growth: PostgreSQL, ${label(keys)} keys …`);
      worlds.push(
        await world('postgres', { keys, url: await createDatabase(pg.url, `gh_growth_${label(keys).toLowerCase()}`) }),
      );
    }
    for (const w of worlds) {
      w.histogram = createHistogram();
      await batch(w, createHistogram());
      w.counter.reads = 0;
      w.calls = 0;
      w.runs = [];
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < worlds.length; i++) {
        const w = worlds[(i + round) % worlds.length];
        const r = await batch(w, w.histogram);
        w.runs.push(r.usPerCall);
        w.calls += r.calls;
      }
    }

    const rows = [];
    const verdicts = [];
    for (const engine of ['sqlite', 'postgres']) {
      const ofEngine = worlds.filter((w) => w.engine === engine);
      const base = ofEngine[0];
      for (const w of ofEngine) {
        const ratios = w.runs.map((us, i) => us / base.runs[i]);
        w.ratio = median(ratios);
        rows.push(
          `| ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'} | ${fmt(w.keys)} (${fmt(w.users)} users) | ${fmt(w.seedSeconds, 1)} | ${fmt(median(w.runs), 1)} | ${fmt(w.histogram.percentile(50), 0)} | ${fmt(w.histogram.percentile(99), 0)} | ${w === base ? '1.00×' : `${fmt(w.ratio, 2)}× (${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)})`} | ${fmt(w.counter.reads / w.calls, 2)} |`,
        );
      }
      const largest = ofEngine[ofEngine.length - 1];
      verdicts.push(
        `- ${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: ${label(largest.keys)} keys / 1k keys = ${fmt(largest.ratio, 2)}× the time per call; target flat (≤ ${FLAT_WITHIN}×): **${largest.ratio <= FLAT_WITHIN ? 'met' : 'missed'}**`,
      );
    }
    return [
      `Each store: \`N - 1\` bulk keys (one user per ${KEYS_PER_USER} keys) inserted with SQL — one prepared statement in one transaction on SQLite, \`generate_series\` on PostgreSQL, then \`ANALYZE\` (\`VACUUM ANALYZE\` on PostgreSQL) — and the measured key created through \`createUserApiKey\`, the newest row. SQLite: a WAL file through \`createSqliteStore\`. PostgreSQL: ${pg.version}, ${pg.source}, one database per size, \`createPostgresStore\` (pg pool, loopback TCP). "Uncached": an authenticator with \`maxCacheAgeMs: 0\`, so every call verifies the key's JWT and reads its row; the last column counts the store reads per call to prove it. All six stores are open at once and measured in ${ROUNDS} interleaved rounds of ${BATCH_MS} ms of back-to-back calls (rotated order) after one warm-up batch each; µs/call is the median over rounds, the ratio is the median of the per-round ratios to the 1k store of the same engine (range in brackets), percentiles are per call over all rounds.`,
      '',
      '| store | API keys | seed s | µs/call (median of rounds) | p50 µs | p99 µs | ratio to 1k keys (median, range) | key reads per call |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      ...verdicts,
    ].join('\n');
  } finally {
    for (const w of worlds) {
      w.uncached.close();
      await w.store.close();
    }
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
