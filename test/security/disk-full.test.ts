/**
 * A full disk under the SQLite store. `PRAGMA max_page_count` on the store's own connection stops
 * the file from growing: SQLite then fails the write that needs a new page with SQLITE_FULL, the
 * code it returns for ENOSPC, through the same pager and rollback paths. Real Gatehouse requests
 * must then end in a typed 503, leave no half-written login, user or key behind, keep existing
 * credentials working, and leave a file that `PRAGMA integrity_check` accepts.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouse, parseAuthEnv, type AuthStore, type Gatehouse } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import { call } from '../support/in-process.js';

const SECRET = 'diskfull0secret0abcdefghijklmnopqrst0123';
const ADMIN_SECRET = 'diskfull0admin0secret0abcdefghijkl0123';
const ADMIN = { email: 'admin@localhost', password: 'admin' };
/** SQLite's own default: effectively "as large as the disk allows". */
const NO_LIMIT = 4_294_967_294;
/** Enough writes to fill any page the seed left half empty; a loop that reaches it found no limit. */
const FILL_BOUND = 2_000;
const TABLES = ['users', 'sessions', 'refresh_tokens', 'access_tokens', 'api_keys'] as const;
type Counts = Record<(typeof TABLES)[number], number>;

/**
 * createSqliteStore keeps its better-sqlite3 connection to itself. Its set-up pragmas run on the
 * shared prototype, so watching `pragma` while it opens names that connection without changing
 * anything it does.
 */
async function openStore(filename: string): Promise<{ store: AuthStore; connection: Database.Database }> {
  const prototype = Database.prototype;
  // Taken off to be put back, and only ever called with the connection as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const pragma = prototype.pragma;
  const seen = new Set<Database.Database>();
  prototype.pragma = function (this: Database.Database, ...args: Parameters<typeof pragma>) {
    seen.add(this);
    return pragma.apply(this, args);
  };
  let store: AuthStore;
  try {
    store = await createSqliteStore({ filename, busyTimeoutMs: 250 });
  } finally {
    prototype.pragma = pragma;
  }
  expect(seen.size).toBe(1);
  const [connection] = [...seen];
  return { store, connection: connection! };
}

function cookie(response: Response, name: string): string {
  for (const raw of response.headers.getSetCookie()) {
    const pair = raw.split(';', 1)[0] ?? '';
    if (pair.startsWith(`${name}=`)) return pair.slice(name.length + 1);
  }
  return '';
}

type Write = (gh: Gatehouse) => Promise<Response>;
const login: Write = (gh) => call(gh, 'POST', '/auth/login', { json: ADMIN });
const refresh =
  (token: string): Write =>
  (gh) =>
    call(gh, 'POST', '/auth/refresh', { cookie: `phoenix-refresh-token=${token}` });
const createKey =
  (bearer: string, name: string): Write =>
  (gh) =>
    call(gh, 'POST', '/v1/system/api_keys', { bearer, json: { data: { name } } });
// Names of one length, so every attempt needs the same room as the one before it.
const createUser =
  (n: number): Write =>
  (gh) => {
    const id = String(n).padStart(4, '0');
    return call(gh, 'POST', '/v1/users', {
      bearer: ADMIN_SECRET,
      json: {
        user: {
          email: `member${id}@example.com`,
          username: `member${id}`,
          role: 'MEMBER',
          password: 'Member0password0long',
        },
      },
    });
  };

/** The disk-full answer: 503, the stable `unavailable` code, no cookie and nothing internal. */
async function expectFull(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.getSetCookie()).toEqual([]);
  const text = await response.text();
  expect(JSON.parse(text)).toEqual({ error: { code: 'unavailable', message: 'Authentication store unavailable' } });
  expect(text).not.toMatch(/SQLITE|disk|full|eyJ|gh_|\.db/i);
}

function counts(reader: Database.Database): Counts {
  const out = {} as Counts;
  for (const table of TABLES)
    out[table] = (reader.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return out;
}

describe('SQLite store on a full disk', () => {
  let dir = '';
  let file = '';
  let store: AuthStore | undefined;
  let connection: Database.Database | undefined;
  let gh: Gatehouse | undefined;
  let reader: Database.Database | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-disk-full-'));
    file = join(dir, 'auth.db');
    ({ store, connection } = await openStore(file));
    gh = await createGatehouse({
      config: parseAuthEnv({
        PHOENIX_ENABLE_AUTH: 'true',
        PHOENIX_SECRET: SECRET,
        PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
        PHOENIX_DISABLE_RATE_LIMIT: 'true',
      }),
      store,
    });
    // A second connection, as an operator's sqlite3 shell would be: it sees only committed rows.
    reader = new Database(file, { readonly: true, fileMustExist: true });
  });

  afterAll(async () => {
    reader?.close();
    await gh?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A write that finds no room: the typed 503, and not one row of it left behind. */
  async function expectRefused(write: Write): Promise<void> {
    const before = counts(reader!);
    await expectFull(await write(gh!));
    expect(counts(reader!)).toEqual(before);
  }

  /** Repeats one write while it fits (those may land: there was room) until it no longer does. */
  async function fill(next: (i: number) => Write, ok: number, onSuccess?: (r: Response) => void): Promise<void> {
    for (let i = 0; i < FILL_BOUND; i += 1) {
      const before = counts(reader!);
      const response = await next(i)(gh!);
      if (response.status === ok) {
        onSuccess?.(response);
        continue;
      }
      await expectFull(response);
      expect(counts(reader!)).toEqual(before);
      // Not a passing glitch: the same write is refused again.
      await expectRefused(next(i));
      return;
    }
    throw new Error(`${FILL_BOUND} writes fitted: the page limit did not hold`);
  }

  it('answers writes with 503 unavailable, writes nothing in part, serves reads, recovers and leaves an intact file', async () => {
    const g = gh!;
    const first = await login(g);
    expect(first.status).toBe(204);
    let access = cookie(first, 'phoenix-access-token');
    let refreshToken = cookie(first, 'phoenix-refresh-token');
    const keyResponse = await createKey(access, 'before-the-disk-filled')(g);
    expect(keyResponse.status).toBe(201);
    const apiKey = ((await keyResponse.json()) as { data: { key: string } }).data.key;
    expect((await createUser(0)(g)).status).toBe(201);

    const db = connection!;
    const pages = db.pragma('page_count', { simple: true }) as number;
    expect(db.pragma(`max_page_count = ${pages}`, { simple: true })).toBe(pages);

    // Refresh rotates in one transaction: consume the old token, insert the new pair. On the
    // failing attempt SQLite rolls the whole transaction back itself.
    await fill(
      () => refresh(refreshToken),
      204,
      (r) => {
        access = cookie(r, 'phoenix-access-token');
        refreshToken = cookie(r, 'phoenix-refresh-token');
      },
    );
    // Login inserts a session (there is room for it) and then its tokens (there is none): the
    // session must not outlive the failure.
    await expectRefused(login);
    await fill((i) => createKey(access, `key-${String(i).padStart(4, '0')}`), 201);
    await fill((i) => createUser(i + 1), 201);
    const full = counts(reader!);

    // A full disk stops writes, not reads: every credential issued before still works.
    expect((await call(g, 'GET', '/v1/user', { bearer: access })).status).toBe(200);
    expect((await call(g, 'GET', '/v1/user', { bearer: apiKey })).status).toBe(200);
    expect((await call(g, 'GET', '/v1/users', { bearer: ADMIN_SECRET })).status).toBe(200);

    // A checkpoint moves the committed pages from the WAL into the capped file; it needs no page
    // the file does not already have.
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
    expect(db.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(db.pragma('page_count', { simple: true })).toBe(pages);
    expect(reader!.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(counts(reader!)).toEqual(full);

    // Room again (the operator freed space): the very requests that failed now succeed, the
    // refresh token included: its failed rotations consumed nothing.
    db.pragma(`max_page_count = ${NO_LIMIT}`);
    const rotated = await refresh(refreshToken)(g);
    expect(rotated.status).toBe(204);
    expect((await login(g)).status).toBe(204);
    expect((await createKey(cookie(rotated, 'phoenix-access-token'), 'after-space-was-freed')(g)).status).toBe(201);
    expect((await createUser(FILL_BOUND + 1)(g)).status).toBe(201);
    expect(counts(reader!)).toEqual({
      ...full,
      users: full.users + 1,
      sessions: full.sessions + 1,
      refresh_tokens: full.refresh_tokens + 2,
      access_tokens: full.access_tokens + 2,
      api_keys: full.api_keys + 1,
    });

    reader!.close();
    reader = undefined;
    await gh!.close();
    gh = undefined;
    await store!.close();
    store = undefined;

    const after = new Database(file, { fileMustExist: true });
    try {
      expect(after.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(after.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
      expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
      // No token without its session, no session without its user: nothing half-written.
      expect(after.pragma('foreign_key_check')).toEqual([]);
    } finally {
      after.close();
    }
  });
});
