/**
 * Three demo servers on one PostgreSQL and one Redis, as behind a load balancer: a credential made
 * on one works on all, a revocation on one reaches the others at once, counters are shared, a
 * Redis outage fails closed and heals, and a restarted instance has lost nothing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDemo, type Demo } from '../support/demo-process.js';
import { startRedis, type RedisProcess } from './redis-process.js';

const ADMIN_SECRET = 'cluster0admin0secret0abcdefghijkl0123';
const name = `gh_cluster_${Date.now().toString(36)}`;

async function onServer(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let redis: RedisProcess;
let databaseUrl: string;
let dir: string;
let env: Record<string, string>;
const nodes: Record<'A' | 'B' | 'C', Demo> = {} as Record<'A' | 'B' | 'C', Demo>;

beforeAll(async () => {
  const adminUrl = inject('databaseUrl');
  if (!adminUrl) throw new Error(`no PostgreSQL for the cluster test: ${inject('databaseSetupError')}`);
  await onServer(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  databaseUrl = url.toString();
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
  env = {
    PHOENIX_SQL_DATABASE_URL: databaseUrl,
    GATEHOUSE_REDIS_URL: redis.url,
    // Every request below names its client in X-Forwarded-For, as a load balancer would.
    GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1',
    PHOENIX_SECRET: 'cluster0secret0abcdefghijklmnop0123456',
    PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
    PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: '20',
  };
  // One after the other: the first one bootstraps the schema and the default admin.
  for (const node of ['A', 'B', 'C'] as const) {
    mkdirSync(join(dir, node));
    nodes[node] = await startDemo(join(dir, node), env);
  }
}, 120_000);

afterAll(async () => {
  for (const node of Object.values(nodes)) await node?.stop();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  const adminUrl = inject('databaseUrl');
  if (adminUrl) await onServer(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

let clientCounter = 0;
/** A client address of its own, so tests do not share rate-limit buckets. */
const newClient = () => `10.0.${Math.floor(++clientCounter / 250)}.${clientCounter % 250}`;

function request(
  node: Demo,
  method: string,
  path: string,
  options: { bearer?: string; json?: unknown; client?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'x-forwarded-for': options.client ?? newClient() };
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${node.url}${path}`, {
    method,
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
    redirect: 'manual',
  });
}

async function login(node: Demo, email: string, password: string, client?: string): Promise<Response> {
  return request(node, 'POST', '/auth/login', { json: { email, password }, client });
}

async function accessToken(node: Demo, email: string, password: string): Promise<string> {
  const response = await login(node, email, password);
  expect(response.status).toBe(204);
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('phoenix-access-token='))!;
  return cookie.slice('phoenix-access-token='.length).split(';')[0]!;
}

const status = async (node: Demo, token: string) =>
  (await request(node, 'GET', '/v1/projects', { bearer: token })).status;

/** Polls until `node` refuses `token`; returns how long that took. */
async function refusedWithin(node: Demo, token: string, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    if ((await status(node, token)) === 401) return performance.now() - started;
    if (performance.now() - started > limitMs)
      throw new Error(`${node.url} still accepts the token after ${limitMs} ms`);
  }
}

async function createUser(email: string, role = 'MEMBER'): Promise<void> {
  const response = await request(nodes.A, 'POST', '/v1/users', {
    bearer: ADMIN_SECRET,
    json: {
      user: { email, username: email.split('@')[0], role, auth_method: 'LOCAL', password: 'pass-word-1' },
      send_welcome_email: false,
    },
  });
  expect(response.status).toBe(201);
  // Admin-created users must pick their own password first; this one just did.
  const token = await accessToken(nodes.A, email, 'pass-word-1');
  expect(
    (
      await request(nodes.A, 'PATCH', '/v1/user', {
        bearer: token,
        json: { current_password: 'pass-word-1', password: 'pass-word-2' },
      })
    ).status,
  ).toBe(200);
  // The change keeps the session it was made from: end it, so each test counts only its own.
  expect((await request(nodes.A, 'DELETE', '/v1/user/sessions', { bearer: token })).status).toBe(204);
}

describe('three instances, one PostgreSQL, one Redis', () => {
  it('a session made on A works on B and C', async () => {
    const token = await accessToken(nodes.A, 'admin@localhost', 'admin');
    expect(await status(nodes.A, token)).toBe(200);
    expect(await status(nodes.B, token)).toBe(200);
    expect(await status(nodes.C, token)).toBe(200);
  });

  it('a logout on B is refused on A and C within 100 ms, though both had the token cached', async () => {
    await createUser('leaver@example.test');
    const token = await accessToken(nodes.A, 'leaver@example.test', 'pass-word-2');
    for (const node of [nodes.A, nodes.B, nodes.C]) expect(await status(node, token)).toBe(200);
    const out = await request(nodes.B, 'POST', '/auth/logout', { bearer: token });
    expect(out.status).toBe(302);
    expect(await refusedWithin(nodes.A, token, 100)).toBeLessThan(100);
    expect(await refusedWithin(nodes.C, token, 100)).toBeLessThan(100);
  });

  it('one session ended from the session list on C is refused on A and B within 100 ms; the others live on', async () => {
    await createUser('lister@example.test');
    const kept = await accessToken(nodes.A, 'lister@example.test', 'pass-word-2');
    const ended = await accessToken(nodes.B, 'lister@example.test', 'pass-word-2');
    for (const node of [nodes.A, nodes.B, nodes.C])
      for (const token of [kept, ended]) expect(await status(node, token)).toBe(200);
    // The list is the same on every instance: one store.
    const listed = await request(nodes.C, 'GET', '/v1/user/sessions', { bearer: kept });
    const { data } = (await listed.json()) as { data: { id: string; current: boolean; client_address: string }[] };
    expect(data).toHaveLength(2);
    const other = data.find((row) => !row.current)!;
    expect((await request(nodes.C, 'DELETE', `/v1/user/sessions/${other.id}`, { bearer: kept })).status).toBe(204);
    expect(await refusedWithin(nodes.A, ended, 100)).toBeLessThan(100);
    expect(await refusedWithin(nodes.B, ended, 100)).toBeLessThan(100);
    for (const node of [nodes.A, nodes.B, nodes.C]) expect(await status(node, kept)).toBe(200);
    // "Sign out everywhere else", then everywhere, from A: B and C follow at once.
    const third = await accessToken(nodes.C, 'lister@example.test', 'pass-word-2');
    expect(await status(nodes.B, third)).toBe(200);
    expect((await request(nodes.A, 'DELETE', '/v1/user/sessions?others=true', { bearer: kept })).status).toBe(204);
    expect(await refusedWithin(nodes.B, third, 100)).toBeLessThan(100);
    expect(await status(nodes.C, kept)).toBe(200);
  });

  it('an API key deleted on C is refused on A within 100 ms', async () => {
    const session = await accessToken(nodes.A, 'admin@localhost', 'admin');
    const created = await request(nodes.A, 'POST', '/v1/system/api_keys', {
      bearer: session,
      json: { data: { name: 'cluster key' } },
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string; key: string } };
    expect(await status(nodes.A, data.key)).toBe(200);
    expect((await request(nodes.C, 'DELETE', `/v1/system/api_keys/${data.id}`, { bearer: session })).status).toBe(204);
    expect(await refusedWithin(nodes.A, data.key, 100)).toBeLessThan(100);
  });

  it('20 failed logins spread over A, B and C from 20 addresses lock the account on all three', async () => {
    await createUser('target@example.test');
    const spread = [nodes.A, nodes.B, nodes.C];
    for (let i = 0; i < 20; i++)
      expect((await login(spread[i % 3]!, 'target@example.test', `wrong-${i}`)).status).toBe(401);
    for (const node of spread) {
      const response = await login(node, 'target@example.test', 'pass-word-2');
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('the auth-route rate limit is counted across instances: the 13th request from one client is refused', async () => {
    const client = newClient();
    const spread = [nodes.A, nodes.B, nodes.C];
    for (let i = 0; i < 12; i++)
      expect((await login(spread[i % 3]!, 'nobody@example.test', 'x', client)).status).toBe(401);
    const refused = await login(nodes.B, 'nobody@example.test', 'x', client);
    expect(refused.status).toBe(429);
  });

  it('with Redis killed nothing revoked is accepted; when Redis returns, revocations propagate again', async () => {
    const session = await accessToken(nodes.A, 'admin@localhost', 'admin');
    const created = await request(nodes.A, 'POST', '/v1/system/api_keys', {
      bearer: session,
      json: { data: { name: 'outage key' } },
    });
    const { data } = (await created.json()) as { data: { id: string; key: string } };
    for (const node of [nodes.A, nodes.B, nodes.C]) expect(await status(node, data.key)).toBe(200);

    await redis.kill();
    // Still serving from the store: valid credentials work everywhere...
    for (const node of [nodes.A, nodes.B, nodes.C]) expect(await status(node, session)).toBe(200);
    // ...and a key deleted on C during the outage is refused by A and B at once (no event can reach them).
    const deleted = await request(nodes.C, 'DELETE', `/v1/system/api_keys/${data.id}`, { bearer: session });
    expect({ status: deleted.status, body: await deleted.text() }).toEqual({ status: 204, body: '' });
    expect(await status(nodes.A, data.key)).toBe(401);
    expect(await status(nodes.B, data.key)).toBe(401);
    // Logins need the shared counters: refused, not let through uncounted.
    expect((await login(nodes.B, 'admin@localhost', 'admin')).status).toBe(503);

    await redis.start();
    // Each instance reconnects on its own schedule (backoff capped at 1 s): wait for all three.
    const deadline = Date.now() + 15_000;
    for (const node of [nodes.A, nodes.B, nodes.C]) {
      let back = 0;
      while ((back = (await login(node, 'admin@localhost', 'admin')).status) !== 204 && Date.now() < deadline)
        await new Promise((wait) => setTimeout(wait, 200));
      expect(back).toBe(204);
    }
    // Give every subscriber its reconnect, then revoke on B and watch A.
    const fresh = await accessToken(nodes.C, 'admin@localhost', 'admin');
    const waitUntil = Date.now() + 15_000;
    for (;;) {
      const probe = await request(nodes.A, 'POST', '/v1/system/api_keys', {
        bearer: fresh,
        json: { data: { name: 'probe' } },
      });
      const probeKey = ((await probe.json()) as { data: { id: string; key: string } }).data;
      expect(await status(nodes.A, probeKey.key)).toBe(200);
      await request(nodes.B, 'DELETE', `/v1/system/api_keys/${probeKey.id}`, { bearer: fresh });
      try {
        await refusedWithin(nodes.A, probeKey.key, 100);
        break;
      } catch (error) {
        if (Date.now() > waitUntil) throw error;
      }
    }
  }, 60_000);

  it('a restarted instance has lost nothing: sessions and keys made before work on it', async () => {
    const session = await accessToken(nodes.B, 'admin@localhost', 'admin');
    const created = await request(nodes.B, 'POST', '/v1/system/api_keys', {
      bearer: session,
      json: { data: { name: 'restart key' } },
    });
    const { data } = (await created.json()) as { data: { key: string } };
    expect(await nodes.A.stop()).toBe(0);
    nodes.A = await startDemo(join(dir, 'A'), env);
    expect(await status(nodes.A, session)).toBe(200);
    expect(await status(nodes.A, data.key)).toBe(200);
    expect((await request(nodes.A, 'GET', '/v1/users', { bearer: ADMIN_SECRET })).status).toBe(200);
  }, 60_000);
});
