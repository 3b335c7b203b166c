/**
 * The three adapters export the same names and behave the same under them: `authenticate`,
 * `requireRole(roles)`, `principalOf(ctx)`, and misuse (no `authenticate` before `requireRole` or
 * `principalOf`) answered as the framework's 500 on all three. Real servers on loopback, real SQLite.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatehouse, parseAuthEnv, type AuthStore, type Gatehouse } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import * as ex from '@gatehouse-auth/express';
import * as fa from '@gatehouse-auth/fastify';
import * as ho from '@gatehouse-auth/hono';

const ADMIN_SECRET = 'names0admin0secret0abcdefghijklmno0123';
const NAMES = ['authenticate', 'principalOf', 'requireRole'] as const;

type Close = () => Promise<void>;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function expressApp(gh: Gatehouse): Promise<[string, Close]> {
  const app = express();
  app.get('/v1/admin', ex.authenticate(gh), ex.requireRole(['ADMIN']), (_req, res) => {
    res.json({ kind: ex.principalOf(res).kind });
  });
  app.get('/v1/wrapped', ex.authenticate(gh), (_req, res) => void res.json({ kind: ex.principalOf(res).kind }));
  app.get('/v1/misuse-role', ex.requireRole(['ADMIN']), (_req, res) => void res.json({}));
  app.get('/v1/misuse-principal', (_req, res) => void res.json({ kind: ex.principalOf(res).kind }));
  const server = createServer(app);
  return [await listen(server), () => new Promise((resolve) => server.close(() => resolve()))];
}

async function fastifyApp(gh: Gatehouse): Promise<[string, Close]> {
  const app = Fastify();
  await app.register(fa.gatehousePlugin, { gatehouse: gh });
  app.get('/v1/admin', { onRequest: [fa.authenticate(gh), fa.requireRole(['ADMIN'])] }, async (request) => ({
    kind: fa.principalOf(request).kind,
  }));
  app.get('/v1/wrapped', { onRequest: fa.authenticate(gh) }, async (request) => ({
    kind: fa.principalOf(request).kind,
  }));
  app.get('/v1/misuse-role', { onRequest: fa.requireRole(['ADMIN']) }, async () => ({}));
  app.get('/v1/misuse-principal', async (request) => ({ kind: fa.principalOf(request).kind }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return [url, () => app.close()];
}

async function honoApp(gh: Gatehouse): Promise<[string, Close]> {
  const app = new Hono<ho.GatehouseEnv>();
  app.get('/v1/admin', ho.authenticate(gh), ho.requireRole(['ADMIN']), (c) => c.json({ kind: ho.principalOf(c).kind }));
  app.get(
    '/v1/wrapped',
    ho.authenticate(gh, (c) => c.json({ kind: ho.principalOf(c).kind })),
  );
  app.get('/v1/misuse-role', ho.requireRole(['ADMIN']), (c) => c.json({}));
  app.get('/v1/misuse-principal', (c) => c.json({ kind: ho.principalOf(c).kind }));
  const listener = getRequestListener(app.fetch);
  const server = createServer((req, res) => void listener(req, res));
  return [await listen(server), () => new Promise((resolve) => server.close(() => resolve()))];
}

describe('the adapters export one set of names', () => {
  it('each exports authenticate, requireRole(roles) and principalOf(ctx)', () => {
    for (const adapter of [ex, fa, ho]) {
      for (const name of NAMES) expect(typeof adapter[name], name).toBe('function');
      // requireRole takes the roles only.
      expect(adapter.requireRole.length).toBe(1);
    }
  });
});

describe.each([
  ['express', expressApp],
  ['fastify', fastifyApp],
  ['hono', honoApp],
] as const)('%s: authenticate, requireRole(roles), principalOf(ctx)', (_name, start) => {
  let dir = '';
  let store: AuthStore;
  let gh: Gatehouse;
  let base = '';
  let close: Close = async () => {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-names-'));
    store = await createSqliteStore({ filename: join(dir, 'auth.db') });
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: 'names0secret0abcdefghijklmnopqrst0123',
      PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
    });
    gh = await createGatehouse({ config, store, sweepIntervalMs: 0 });
    [base, close] = await start(gh);
  });

  afterAll(async () => {
    await close();
    await gh.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, token?: string) =>
    fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('lets the admin secret through requireRole(["ADMIN"]) and principalOf reads it', async () => {
    const response = await get('/v1/admin', ADMIN_SECRET);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ kind: 'admin_secret' });
  });

  it('refuses a request without credentials before requireRole', async () => {
    expect((await get('/v1/admin')).status).toBe(401);
  });

  it('answers requireRole without authenticate with a 500 (misuse), even with a credential', async () => {
    expect((await get('/v1/misuse-role', ADMIN_SECRET)).status).toBe(500);
  });

  it('answers principalOf without authenticate with a 500 (misuse)', async () => {
    expect((await get('/v1/misuse-principal', ADMIN_SECRET)).status).toBe(500);
  });

  // Hono's handler-wrapping form; on Express and Fastify the same route is authenticate + handler.
  it('guards /v1/wrapped with the same gate', async () => {
    expect((await get('/v1/wrapped')).status).toBe(401);
    const response = await get('/v1/wrapped', ADMIN_SECRET);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ kind: 'admin_secret' });
  });
});

describe('hono: the deprecated protect(gh, handler) is still the same gate', () => {
  let dir = '';
  let store: AuthStore;
  let gh: Gatehouse;
  let base = '';
  let server: Server | null = null;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-protect-'));
    store = await createSqliteStore({ filename: join(dir, 'auth.db') });
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: 'names0secret0abcdefghijklmnopqrst0123',
      PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
    });
    gh = await createGatehouse({ config, store, sweepIntervalMs: 0 });
    const app = new Hono<ho.GatehouseEnv>();
    app.get(
      '/v1/protected',
      ho.protect(gh, (c) => c.json({ kind: ho.principalOf(c).kind })),
    );
    const listener = getRequestListener(app.fetch);
    server = createServer((req, res) => void listener(req, res));
    base = await listen(server);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await gh.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses without a credential and passes the principal with one', async () => {
    expect((await fetch(`${base}/v1/protected`)).status).toBe(401);
    const response = await fetch(`${base}/v1/protected`, { headers: { authorization: `Bearer ${ADMIN_SECRET}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ kind: 'admin_secret' });
  });
});
