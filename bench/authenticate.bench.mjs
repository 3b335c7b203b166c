// authenticate() — cached access token, uncached API key, and both again with the SQLite
// store grown to 100 000 users and 1 000 000 API keys (the cost must stay flat) — plus argon2id.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootstrap,
  createArgon2Hasher,
  createAuthenticator,
  createUserApiKey,
  login,
  systemClock,
} from '../packages/core/dist/index.js';
import { benchServiceDeps } from './service-deps.mjs';
import { createSqliteStore } from '../packages/db/dist/index.js';
import { markdownTable, measureGroup } from './lib.mjs';

export const title = 'authenticate() on the SQLite store, and argon2id';

const SECRET = 'bench-secret-0123456789-abcdefghijklmnop';

async function world(dir, { users = 0, keys = 0 } = {}) {
  const filename = join(dir, 'gatehouse.sqlite');
  const store = await createSqliteStore({ filename });
  const deps = benchServiceDeps(store, SECRET);
  const { config, revocations } = deps;
  const { systemUserId } = await bootstrap(deps);
  if (users > 0 || keys > 0) {
    // Bulk rows straight into the file: the store under test reads them through its own connection.
    const db = new Database(filename);
    const now = Date.now();
    const insertUser = db.prepare(
      "INSERT INTO users (role, username, email, auth_method, password_hash, reset_password, created_at, updated_at) VALUES ('VIEWER', ?, ?, 'LOCAL', 'x', 0, ?, ?)",
    );
    const insertKey = db.prepare(
      "INSERT INTO api_keys (user_id, kind, name, created_at) VALUES (?, 'user', 'bulk', ?)",
    );
    const firstId = db.prepare('SELECT max(id) AS id FROM users').get().id + 1;
    db.transaction(() => {
      for (let i = 0; i < users; i++) insertUser.run(`bulk${i}`, `bulk${i}@example.com`, now, now);
      for (let i = 0; i < keys; i++) insertKey.run(firstId + (i % users), now);
    })();
    db.close();
  }
  const session = await login(deps, { email: 'admin@localhost', password: 'admin' });
  const cached = createAuthenticator({
    config,
    store,
    tokens: deps.tokens,
    revocations,
    clock: systemClock,
    systemUserId,
  });
  // maxCacheAgeMs 0: every call is a miss, i.e. a signature check plus one indexed store read.
  const uncached = createAuthenticator({
    config,
    store,
    tokens: deps.tokens,
    revocations,
    clock: systemClock,
    systemUserId,
    maxCacheAgeMs: 0,
  });
  const principal = (await cached.authenticate({ authorization: `Bearer ${session.accessToken}` })).principal;
  const key = await createUserApiKey(deps, principal, { name: 'bench' });
  const accessHeader = { authorization: `Bearer ${session.accessToken}` };
  const keyHeader = { authorization: `Bearer ${key.key}` };
  for (const [auth, creds] of [
    [cached, accessHeader],
    [cached, keyHeader],
    [uncached, keyHeader],
  ]) {
    const r = await auth.authenticate(creds);
    if (!r.ok) throw new Error(`bench setup: credential refused (${r.reason})`);
  }
  return { store, cached, uncached, accessHeader, keyHeader };
}

export async function run() {
  const small = mkdtempSync(join(tmpdir(), 'gh-bench-small-'));
  const large = mkdtempSync(join(tmpdir(), 'gh-bench-large-'));
  try {
    const a = await world(small);
    const t0 = performance.now();
    const b = await world(large, { users: 100_000, keys: 1_000_000 });
    const seedSeconds = ((performance.now() - t0) / 1000).toFixed(1);

    const rows = await measureGroup([
      { name: 'cached access token (empty store)', fn: () => a.cached.authenticate(a.accessHeader), baseline: true },
      { name: 'cached API key (empty store)', fn: () => a.cached.authenticate(a.keyHeader) },
      { name: 'uncached API key (empty store)', fn: () => a.uncached.authenticate(a.keyHeader) },
      { name: 'cached access token (100k users, 1M keys)', fn: () => b.cached.authenticate(b.accessHeader) },
      { name: 'cached API key (100k users, 1M keys)', fn: () => b.cached.authenticate(b.keyHeader) },
      { name: 'uncached API key (100k users, 1M keys)', fn: () => b.uncached.authenticate(b.keyHeader) },
    ]);

    // On a server every request brings a new header string, so nothing V8 cached about the last
    // one (its hash, for instance) helps the next: the synchronous hit path with a fresh string per
    // call, against making that string alone.
    const accessBytes = Buffer.from(a.accessHeader.authorization, 'latin1');
    const keyBytes = Buffer.from(a.keyHeader.authorization, 'latin1');
    const fresh = (bytes) => bytes.latin1Slice(0, bytes.length);
    const hits = await measureGroup([
      {
        name: 'a fresh Authorization string (what the HTTP parser hands over)',
        fn: () => fresh(accessBytes),
        baseline: true,
      },
      {
        name: 'authenticateCached, access token, fresh string',
        fn: () => a.cached.authenticateCached({ authorization: fresh(accessBytes) }),
      },
      {
        name: 'authenticateCached, API key, fresh string',
        fn: () => a.cached.authenticateCached({ authorization: fresh(keyBytes) }),
      },
    ]);

    const hasher = createArgon2Hasher();
    const hash = await hasher.hash('correct horse battery staple');
    const argon = await measureGroup([
      {
        name: 'argon2id hash (m=19456 KiB, t=2, p=1)',
        fn: () => hasher.hash('correct horse battery staple'),
        baseline: true,
      },
      { name: 'argon2id verify', fn: () => hasher.verify(hash, 'correct horse battery staple') },
    ]);

    await a.store.close();
    await b.store.close();
    return [
      `Store: SQLite file (WAL) through \`@gatehouse-auth/db\`. The large store was seeded with 100 000 users and 1 000 000 API keys in ${seedSeconds} s. "Uncached" = an authenticator with \`maxCacheAgeMs: 0\`, so every call verifies the JWT and reads one row (joined with the owner's role).`,
      '',
      markdownTable(rows, { ratioLabel: 'ratio to cached access token' }),
      '',
      'The cached rows above reuse one header string. A server gets a new string with every request; the synchronous hit path (`authenticateCached`, what the adapters call first) with a fresh string per call, against making that string alone:',
      '',
      markdownTable(hits, { ratioLabel: 'ratio to the fresh string alone' }),
      '',
      markdownTable(argon, { ratioLabel: 'ratio to hash' }),
    ].join('\n');
  } finally {
    rmSync(small, { recursive: true, force: true });
    rmSync(large, { recursive: true, force: true });
  }
}
