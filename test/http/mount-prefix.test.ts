/**
 * Mounting Gatehouse under a prefix (`app.use('/api', gatehouse(gh))`, Fastify's `prefix`, Hono's
 * `route('/api', …)`): it works when the prefix is PHOENIX_HOST_ROOT_PATH, and otherwise fails at
 * start-up (Fastify) or on the first request (Express, Hono) with a message naming that setting,
 * never with a silent 404. Real servers on loopback, real SQLite.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { createGatehouse, parseAuthEnv, silentLogger, type AuthStore, type Gatehouse } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import * as expressAdapter from '@gatehouse-auth/express';
import * as fastifyAdapter from '@gatehouse-auth/fastify';
import * as honoAdapter from '@gatehouse-auth/hono';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from './harness.js';

const SECRET = 'mount0secret0for0tests0abcdefghij0123';
const dir = mkdtempSync(join(tmpdir(), 'gh-mount-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function gatehouseAt(rootPath: string, port: number): Promise<Gatehouse> {
  const store: AuthStore = await createSqliteStore({ filename: join(dir, `auth-${++files}.db`) });
  const config = parseAuthEnv({
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: SECRET,
    PHOENIX_HOST: '127.0.0.1',
    PHOENIX_PORT: String(port),
    PHOENIX_HOST_ROOT_PATH: rootPath,
  });
  const gh = await createGatehouse({ config, store, logger: silentLogger, sweepIntervalMs: 0 });
  cleanup.push(async () => {
    await gh.close();
    await store.close();
  });
  return gh;
}

async function listen(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${port}`;
}

const login = (base: string, path: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@localhost', password: 'admin' }),
  });

async function expectNamesRootPath(response: Response): Promise<void> {
  expect(response.status).toBe(500);
  const { message } = (await response.json()) as { message: string };
  expect(message).toContain('PHOENIX_HOST_ROOT_PATH=/api');
  expect(message).toContain("mounted under '/api'");
}

describe('Express: app.use("/api", gatehouse(gh))', () => {
  async function start(rootPath: string): Promise<string> {
    const port = await freePort();
    const gh = await gatehouseAt(rootPath, port);
    const app = express();
    const api = express.Router();
    api.get(
      '/v1/projects',
      expressAdapter.authenticate(gh),
      (_req, res) => void res.json({ username: expressAdapter.principalOf(res).username }),
    );
    app.use('/api', expressAdapter.gatehouse(gh), api);
    app.use(
      ((error: Error, _req, res, _next) =>
        void res.status(500).json({ message: error.message })) as express.ErrorRequestHandler,
    );
    return listen(createServer(app), port);
  }

  it('with PHOENIX_HOST_ROOT_PATH=/api: the routes answer under the mount and the gate decides on the full path', async () => {
    const base = await start('/api');
    const signedIn = await login(base, '/api/auth/login');
    expect(signedIn.status).toBe(204);
    const cookie = signedIn.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(await (await fetch(`${base}/api/v1/projects`, { headers: { cookie } })).json()).toEqual({
      username: 'admin',
    });
    expect((await fetch(`${base}/api/v1/projects`)).status).toBe(401);
  });

  it('without it: the first request under the mount fails with a message naming PHOENIX_HOST_ROOT_PATH', async () => {
    const base = await start('');
    await expectNamesRootPath(await login(base, '/api/auth/login'));
    await expectNamesRootPath(await fetch(`${base}/api/v1/projects`));
  });
});

describe('Fastify: register(gatehousePlugin, { prefix: "/api" })', () => {
  async function build(rootPath: string, nested: boolean) {
    const port = await freePort();
    const gh = await gatehouseAt(rootPath, port);
    const app = Fastify();
    cleanup.push(() => app.close());
    if (nested)
      await app.register(
        async (scope) => void (await scope.register(fastifyAdapter.gatehousePlugin, { gatehouse: gh })),
        { prefix: '/api' },
      );
    else await app.register(fastifyAdapter.gatehousePlugin, { gatehouse: gh, prefix: '/api' });
    return { app, port };
  }

  it.each([false, true])(
    'with PHOENIX_HOST_ROOT_PATH=/api the routes answer under the prefix (nested: %s)',
    async (nested) => {
      const { app, port } = await build('/api', nested);
      await app.listen({ port, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${port}`;
      expect((await login(base, '/api/auth/login')).status).toBe(204);
      expect((await login(base, '/api/api/auth/login')).status).toBe(404);
    },
  );

  it.each([false, true])(
    'without it app.ready() refuses to start, naming PHOENIX_HOST_ROOT_PATH (nested: %s)',
    async (nested) => {
      // The plugin's error surfaces from `register` or `ready`, whichever the app awaits first.
      const started = build('', nested).then(({ app }) => app.ready());
      await expect(started).rejects.toThrow(/mounted under '\/api'[\s\S]*PHOENIX_HOST_ROOT_PATH=\/api/);
    },
  );
});

describe('Hono: app.route("/api", sub) and basePath("/api")', () => {
  async function start(rootPath: string, style: 'route' | 'basePath'): Promise<string> {
    const port = await freePort();
    const gh = await gatehouseAt(rootPath, port);
    const app = new Hono();
    app.onError((error, c) => c.json({ message: error.message }, 500));
    if (style === 'route') {
      const api = new Hono<honoAdapter.GatehouseEnv>();
      api.use(honoAdapter.gatehouse(gh));
      api.get('/v1/projects', honoAdapter.authenticate(gh), (c) => c.json({ username: c.get('principal').username }));
      app.route('/api', api);
    } else {
      const api = app.basePath('/api');
      api.use(honoAdapter.gatehouse(gh));
    }
    const listener = getRequestListener(app.fetch);
    return listen(
      createServer((req, res) => void listener(req, res)),
      port,
    );
  }

  it.each(['route', 'basePath'] as const)(
    'with PHOENIX_HOST_ROOT_PATH=/api the routes answer under the mount (%s)',
    async (style) => {
      const base = await start('/api', style);
      const signedIn = await login(base, '/api/auth/login');
      expect(signedIn.status).toBe(204);
      if (style === 'route') {
        const cookie = signedIn.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; ');
        expect(await (await fetch(`${base}/api/v1/projects`, { headers: { cookie } })).json()).toEqual({
          username: 'admin',
        });
      }
    },
  );

  it.each(['route', 'basePath'] as const)(
    'without it the first request fails with a message naming PHOENIX_HOST_ROOT_PATH (%s)',
    async (style) => {
      const base = await start('', style);
      await expectNamesRootPath(await login(base, '/api/auth/login'));
    },
  );
});
