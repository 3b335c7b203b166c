/**
 * `mountGatehouse` must not cost the host app its fast router: Hono's SmartRouter drops to
 * TrieRouter for the whole app when one registered path defeats RegExpRouter, and Gatehouse's
 * `/v1/users/:id` beside `/v1/users/api_keys` did. Real server on loopback, real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouse, parseAuthEnv, type AuthStore, type Gatehouse } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import { authenticate, mountGatehouse, type GatehouseEnv } from '@gatehouse-auth/hono';

const ADMIN_SECRET = 'router0admin0secret0abcdefghijklmn0123';

describe('@gatehouse-auth/hono mountGatehouse and the router', () => {
  let dir = '';
  let store: AuthStore;
  let gh: Gatehouse;
  let app: Hono<GatehouseEnv>;
  let server: ServerType;
  let base = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-hono-router-'));
    store = await createSqliteStore({ filename: join(dir, 'auth.db') });
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: 'router0secret0abcdefghijklmnopqrs0123',
      PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
    });
    gh = await createGatehouse({ config, store });
    app = new Hono<GatehouseEnv>();
    mountGatehouse(app, gh);
    app.get(
      '/v1/projects',
      authenticate(gh, (c) => c.json({ userId: c.get('principal').userId })),
    );
    app.get(
      '/v1/projects/:id',
      authenticate(gh, (c) => c.json({ id: c.req.param('id') })),
    );
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gh.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_SECRET}`, ...init.headers } });

  it('keeps RegExpRouter for the whole app', async () => {
    expect((await get('/v1/projects')).status).toBe(200);
    const router = app.router as { name: string; activeRouter?: { name: string } };
    expect(router.activeRouter?.name).toBe('RegExpRouter');
  });

  it('still serves every parameterised Gatehouse route and its static sibling', async () => {
    const listed = await get('/v1/users/api_keys');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toHaveProperty('data');
    const missing = await get(`/v1/users/${Buffer.from('User:999999').toString('base64')}`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    // A malformed id: Gatehouse's own 422 JSON, not the host's 404.
    const key = await get('/v1/system/api_keys/not-an-id', { method: 'DELETE' });
    expect(key.status).toBe(422);
    expect(((await key.json()) as { error: { code: string } }).error.code).toBeTypeOf('string');
  });

  it('host routes still answer beside the wildcards, and unknown paths are the host 404', async () => {
    expect(await (await get('/v1/projects/42')).json()).toEqual({ id: '42' });
    const unknown = await get('/v1/users/5/projects');
    expect(unknown.status).toBe(404);
  });
});
