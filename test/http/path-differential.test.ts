/**
 * The adapter trust boundary, tested differentially: for every adapter and every mounting style its
 * framework offers, for generated spellings of a path (case, doubled and trailing slashes, dot
 * segments, percent-encoded letters and separators, double encoding, absolute-form targets, overlong
 * and non-ASCII paths), every method and every role, the host's handler is reached only if core's
 * decision on the canonical path allows it; and the plain spelling of a routed path reaches it
 * exactly when that decision allows it. The oracle is written here, independently of core's
 * canonicaliser: decode once, refuse separators and dot segments, lower-case, drop empty segments.
 *
 * Requests go over a raw socket, so the target is sent byte for byte as generated (fetch would
 * normalise it first). One Gatehouse serves every app: mounting styles differ, the rule does not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import {
  adminSecretPrincipal,
  createGatehouse,
  createRestPolicy,
  parseAuthEnv,
  userApiKeyPrincipal,
  type Gatehouse,
  type Principal,
} from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import * as expressAdapter from '@gatehouse-auth/express';
import * as fastifyAdapter from '@gatehouse-auth/fastify';
import * as honoAdapter from '@gatehouse-auth/hono';
import express, { type RequestHandler } from 'express';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono, type Context } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMEOUT_MS, runs } from '../fuzz/runs.js';
import { rawRequest } from '../support/raw-http.js';

const SECRET = 'secret0for0tests0abcdefghijklmnop0123';
const ADMIN_SECRET = 'admin0secret0for0tests0abcdefghij0123';
const REACHED = 'x-host-handler';

type Role = 'none' | 'VIEWER' | 'MEMBER' | 'ADMIN';
const ROLES: readonly Role[] = ['none', 'VIEWER', 'MEMBER', 'ADMIN'];
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

interface Mount {
  readonly name: string;
  /** Whether the style routes this canonical path (and method) to the host handler at all. */
  readonly routes: (canonicalPath: string, method: string) => boolean;
  start(gh: Gatehouse): Promise<{ server: Server; close: () => Promise<void> }>;
}

const underV1 = (path: string): boolean => path.startsWith('/v1/');
const projectsById = (path: string): boolean => /^\/v1\/projects\/[^/]+$/.test(path);
const projectsOptional = (path: string): boolean => path === '/v1/projects' || projectsById(path);

const hit: RequestHandler = (_req, res) => {
  res.setHeader(REACHED, '1');
  res.status(200).end('reached');
};
const honoHit = (c: Context) => {
  c.header(REACHED, '1');
  return c.text('reached');
};

function listen(server: Server): Promise<{ server: Server; close: () => Promise<void> }> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    ),
  );
}

function expressApp(build: (app: express.Express) => void): Promise<{ server: Server; close: () => Promise<void> }> {
  const app = express();
  build(app);
  return listen(createHttpServer(app));
}

async function fastifyApp(
  build: (app: FastifyInstance) => Promise<void>,
): Promise<{ server: Server; close: () => Promise<void> }> {
  const app = Fastify({ frameworkErrors: fastifyAdapter.frameworkErrors });
  await build(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { server: app.server, close: () => app.close() };
}

function honoApp(build: () => Hono<honoAdapter.GatehouseEnv>): Promise<{ server: Server; close: () => Promise<void> }> {
  const listener = getRequestListener(build().fetch);
  return listen(createHttpServer((req, res) => void listener(req, res)));
}

const MOUNTS: readonly Mount[] = [
  {
    name: 'express: route with a parameter',
    routes: (p, m) => projectsById(p) && m !== 'OPTIONS',
    start: (gh) => expressApp((app) => app.all('/v1/projects/:id', expressAdapter.authenticate(gh), hit)),
  },
  {
    name: 'express: app.use prefix',
    routes: underV1,
    start: (gh) =>
      expressApp((app) => {
        app.use('/v1', expressAdapter.authenticate(gh));
        app.all('/v1/*splat', hit);
      }),
  },
  {
    name: 'express: wildcard route',
    routes: underV1,
    start: (gh) => expressApp((app) => app.all('/v1/*splat', expressAdapter.authenticate(gh), hit)),
  },
  {
    name: 'express: optional segment',
    routes: projectsOptional,
    start: (gh) => expressApp((app) => app.all('/v1/projects{/:id}', expressAdapter.authenticate(gh), hit)),
  },
  {
    name: 'express: regex route',
    routes: underV1,
    start: (gh) => expressApp((app) => app.all(/^\/v1\/.+/, expressAdapter.authenticate(gh), hit)),
  },
  {
    name: 'express: router mounted under a prefix',
    routes: underV1,
    start: (gh) =>
      expressApp((app) => {
        const router = express.Router();
        router.use(expressAdapter.authenticate(gh));
        router.all('/*splat', hit);
        app.use('/v1', router);
      }),
  },
  {
    name: 'fastify: route with a parameter',
    routes: (p) => projectsById(p),
    start: (gh) =>
      fastifyApp(async (app) => {
        app.route({
          method: [...METHODS],
          url: '/v1/projects/:id',
          exposeHeadRoute: false,
          onRequest: fastifyAdapter.authenticate(gh),
          handler: fastifyHit,
        });
      }),
  },
  {
    name: 'fastify: wildcard route',
    routes: underV1,
    start: (gh) =>
      fastifyApp(async (app) => {
        app.route({
          method: [...METHODS],
          url: '/v1/*',
          exposeHeadRoute: false,
          onRequest: fastifyAdapter.authenticate(gh),
          handler: fastifyHit,
        });
      }),
  },
  {
    name: 'fastify: register prefix with a hook',
    routes: underV1,
    start: (gh) =>
      fastifyApp(async (app) => {
        await app.register(
          async (scope) => {
            scope.addHook('onRequest', fastifyAdapter.authenticate(gh));
            scope.route({ method: [...METHODS], url: '/*', exposeHeadRoute: false, handler: fastifyHit });
          },
          { prefix: '/v1' },
        );
      }),
  },
  {
    name: 'fastify: regex parameter',
    routes: (p) => /^\/v1\/projects\/\d+$/.test(p),
    start: (gh) =>
      fastifyApp(async (app) => {
        app.route({
          method: [...METHODS],
          url: '/v1/projects/:id(^\\d+$)',
          exposeHeadRoute: false,
          onRequest: fastifyAdapter.authenticate(gh),
          handler: fastifyHit,
        });
      }),
  },
  {
    name: 'hono: catch-all with authenticate(gh, handler)',
    routes: underV1,
    start: (gh) =>
      honoApp(() => {
        const app = new Hono<honoAdapter.GatehouseEnv>();
        app.all('/v1/*', honoAdapter.authenticate(gh, honoHit));
        return app;
      }),
  },
  {
    name: 'hono: use middleware on a wildcard',
    routes: underV1,
    start: (gh) =>
      honoApp(() => {
        const app = new Hono<honoAdapter.GatehouseEnv>();
        app.use('/v1/*', honoAdapter.authenticate(gh));
        app.all('/v1/*', honoHit);
        return app;
      }),
  },
  {
    name: 'hono: sub-app under route()',
    routes: underV1,
    start: (gh) =>
      honoApp(() => {
        const sub = new Hono<honoAdapter.GatehouseEnv>();
        sub.use('*', honoAdapter.authenticate(gh));
        sub.all('*', honoHit);
        const app = new Hono<honoAdapter.GatehouseEnv>();
        app.route('/v1', sub);
        return app;
      }),
  },
  {
    name: 'hono: basePath app with a parameter',
    routes: (p) => projectsById(p),
    start: (gh) =>
      honoApp(() => {
        const app = new Hono<honoAdapter.GatehouseEnv>().basePath('/v1');
        app.all('/projects/:id', honoAdapter.authenticate(gh), honoHit);
        return app;
      }),
  },
  {
    name: 'hono: optional parameter',
    routes: projectsOptional,
    start: (gh) =>
      honoApp(() => {
        const app = new Hono<honoAdapter.GatehouseEnv>();
        app.all('/v1/projects/:id?', honoAdapter.authenticate(gh, honoHit));
        return app;
      }),
  },
];

function fastifyHit(
  _request: unknown,
  reply: { header: (k: string, v: string) => { code: (n: number) => { send: (b: string) => unknown } } },
) {
  return reply.header(REACHED, '1').code(200).send('reached');
}

/** The oracle's canonical form, or null: refused. Deliberately not core's code. */
function canonical(path: string): string | null {
  if (!path.startsWith('/') || path.length > 4096) return null;
  const out: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    // eslint-disable-next-line no-control-regex -- control characters are what the oracle refuses
    if (/[\\\s\u0000-\u001f\u007f]/.test(raw)) return null;
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return null;
    }
    // eslint-disable-next-line no-control-regex -- as above, after decoding
    if (/[/\\\u0000-\u001f\u007f]/.test(decoded) || /%(2f|5c|2e|25|00)/i.test(decoded)) return null;
    if (decoded === '.' || decoded === '..') return null;
    out.push(decoded.toLowerCase());
  }
  return `/${out.join('/')}`;
}

const BASE_PATHS = [
  '/v1/projects/1',
  '/v1/projects',
  '/v1/projects/abc',
  '/v1/secrets',
  '/v1/users',
  '/v1/users/7',
  '/v1/users/api_keys',
  '/v1/system/api_keys',
  '/v1/system/api_keys/9',
  '/v1/user',
  '/v1/user/api_keys',
  '/v1/datasets/3',
  '/v1/chat/completions',
  '/v1/traces',
];

const encode = (c: string): string => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/** One spelling transformation; each keeps or breaks canonical readability, the oracle decides. */
const spelling = fc.oneof(
  fc.constant((p: string) => p),
  fc.constant((p: string) => p.toUpperCase()),
  fc
    .integer({ min: 0, max: 40 })
    .map((i) => (p: string) => p.slice(0, i) + p.slice(i, i + 1).toUpperCase() + p.slice(i + 1)),
  fc.constant((p: string) => `${p}/`),
  fc.constant((p: string) => p.replace(/\//g, '//')),
  fc.integer({ min: 1, max: 3 }).map(
    (n) => (p: string) =>
      p
        .split('/')
        .slice(0, n + 1)
        .join('/') +
      '/.' +
      p
        .split('/')
        .slice(n + 1)
        .map((s) => `/${s}`)
        .join(''),
  ),
  fc.constant((p: string) => p.replace('/v1/', '/v1/x/../')),
  fc.constant((p: string) => p.replace('/v1/', '/v1/%2e%2e/v1/')),
  fc.integer({ min: 0, max: 40 }).map((i) => (p: string) => {
    const at = Math.min(i, p.length - 1);
    return /[a-z]/.test(p[at] ?? '') ? p.slice(0, at) + encode(p[at]!) + p.slice(at + 1) : p;
  }),
  fc.constant((p: string) => p.replace(/[a-z]/g, (c) => (c === 'p' || c === 'u' ? encode(c).toUpperCase() : c))),
  fc.integer({ min: 2, max: 3 }).map((n) => (p: string) => {
    const parts = p.split('/');
    return parts.length > n + 1 ? [...parts.slice(0, n), parts.slice(n).join('%2F')].join('/') : p;
  }),
  fc.constant((p: string) => p.replace(/\/([^/]*)$/, '%2f$1')),
  fc.constant((p: string) => p.replace(/\/([^/]*)$/, '%5C$1')),
  fc.constant((p: string) => p.replace(/\/([^/]*)$/, '%252F$1')),
  fc.constant((p: string) => p.replace(/\/([^/]*)$/, '\\$1')),
  fc.constant((p: string) => `http://127.0.0.1${p}`),
  fc.constant((p: string) => `HTTP://evil.example${p}`),
  fc.constant((p: string) => `${p}/${'a'.repeat(5000)}`),
  fc.constant((p: string) => `${p}/%C3%A9t%C3%A9`),
  fc.constant((p: string) => `${p}/\u00e9`),
  fc.constant((p: string) => `${p}%00`),
  fc.constant((p: string) => `${p}?x=/v1/users`),
  fc.constant((p: string) => `${p}#frag`),
);

interface Answer {
  status: number;
  reached: boolean;
}

async function send(port: number, method: string, target: string, headers: Record<string, string>): Promise<Answer> {
  const answer = await rawRequest(port, { method, target, headers });
  return { status: answer.status, reached: answer.headers[REACHED] === '1' };
}

describe('path differential: the host handler is reached iff core allows the canonical path', () => {
  let dir: string;
  let gh: Gatehouse;
  let closeStore: () => Promise<void>;
  const credentials = new Map<Role, Record<string, string>>();
  const principals = new Map<Role, Principal | null>();
  const policy = createRestPolicy();
  const servers: { mount: Mount; port: number; close: () => Promise<void> }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-differential-'));
    const store = await createSqliteStore({ filename: join(dir, 'auth.db') });
    closeStore = () => store.close();
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
      PHOENIX_DISABLE_RATE_LIMIT: 'true',
    });
    gh = await createGatehouse({ config, store, sweepIntervalMs: 0 });
    const call = async (method: string, path: string, init: { bearer?: string; json?: unknown } = {}) =>
      (await gh.handle(
        new Request(`http://127.0.0.1${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}),
          },
          body: init.json === undefined ? undefined : JSON.stringify(init.json),
        }),
      ))!;
    credentials.set('none', {});
    principals.set('none', null);
    credentials.set('ADMIN', { Authorization: `Bearer ${ADMIN_SECRET}` });
    principals.set('ADMIN', adminSecretPrincipal(1));
    for (const role of ['VIEWER', 'MEMBER'] as const) {
      const email = `${role.toLowerCase()}@example.com`;
      const created = await call('POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: { email, username: role.toLowerCase(), role, auth_method: 'LOCAL', password: 'password-1' },
          send_welcome_email: false,
        },
      });
      expect(created.status).toBe(201);
      const { data } = (await (
        await call('POST', '/v1/user/api_keys', {
          bearer: await loginToken(call, email),
          json: { data: { name: 'k' } },
        })
      ).json()) as { data: { key: string } };
      credentials.set(role, { Authorization: `Bearer ${data.key}` });
      principals.set(role, userApiKeyPrincipal(2, role));
    }
    for (const mount of MOUNTS) {
      const started = await mount.start(gh);
      servers.push({ mount, port: (started.server.address() as AddressInfo).port, close: started.close });
    }
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) await server.close();
    await gh?.close();
    await closeStore?.();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What core's rule says for this role on the canonical path: allowed or not. */
  const allows = (role: Role, method: string, path: string): boolean =>
    policy.decidePath(principals.get(role) ?? null, method, path).allowed;

  for (const mount of MOUNTS) {
    it(
      `${mount.name}: never reached unless allowed; the plain spelling is reached exactly when allowed`,
      async () => {
        const server = servers.find((s) => s.mount === mount)!;
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...BASE_PATHS),
            fc.array(spelling, { minLength: 0, maxLength: 3 }),
            fc.constantFrom(...METHODS),
            fc.constantFrom(...ROLES),
            fc.boolean(),
            async (base, transforms, method, role, override) => {
              const target = transforms.reduce((p, t) => t(p), base);
              const headers = { ...credentials.get(role), ...(override ? { 'X-HTTP-Method-Override': 'DELETE' } : {}) };
              const answer = await send(server.port, method, target, headers);
              const path = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split(/[?#]/)[0] ?? '';
              const seen = canonical(path);
              const permitted = seen !== null && allows(role, method, seen);
              if (answer.reached && !permitted) {
                throw new Error(
                  `${method} ${target} as ${role} reached the handler (${answer.status}); core's rule on ${String(seen)} refuses it`,
                );
              }
              if (target === base && mount.routes(base, method))
                expect(answer.reached, `${method} ${target} as ${role} → ${answer.status}`).toBe(permitted);
            },
          ),
          // A fixed seed in CI; `npm run fuzz` explores.
          runs(60, process.env.FUZZ_RUNS === undefined ? { seed: 20_261_201 } : {}),
        );
      },
      TIMEOUT_MS,
    );
  }

  it('the known bypasses are refused on every mount: absolute-form, wildcard, %2F, dot segments', async () => {
    const member = credentials.get('MEMBER')!;
    for (const { mount, port } of servers) {
      for (const method of ['PUT', 'DELETE']) {
        expect(await send(port, method, '/v1/projects/1', member), `${mount.name} ${method}`).toEqual({
          status: 403,
          reached: false,
        });
        expect(
          await send(port, method, 'http://127.0.0.1/v1/projects/1', member),
          `${mount.name} absolute-form ${method}`,
        ).toMatchObject({ reached: false });
        expect(
          await send(port, method, 'HTTP://127.0.0.1/V1/Projects/1', member),
          `${mount.name} absolute-form, upper case`,
        ).toMatchObject({ reached: false });
      }
      for (const target of [
        '/v1/projects%2F1',
        '/v1/projects%2f1',
        '/v1/projects%5C1',
        '/v1/projects/%2e%2e/projects/1',
        '/v1/x/../projects/1',
        '/v1/projects\\1',
      ]) {
        const answer = await send(port, 'PUT', target, member);
        expect(answer.reached, `${mount.name} PUT ${target}`).toBe(false);
        if (mount.routes('/v1/projects/1', 'PUT') && answer.status !== 404)
          expect([400, 403], `${mount.name} PUT ${target}`).toContain(answer.status);
      }
    }
  });

  it('every mount reaches its handler for an admin on a routed path and refuses a member on an admin route', async () => {
    for (const { mount, port } of servers) {
      const admin = await send(port, 'DELETE', '/v1/projects/1', credentials.get('ADMIN')!);
      expect(admin, mount.name).toEqual({ status: 200, reached: true });
      const member = await send(port, 'DELETE', '/v1/projects/1', credentials.get('MEMBER')!);
      expect(member, mount.name).toEqual({ status: 403, reached: false });
    }
  });
});

async function loginToken(
  call: (method: string, path: string, init?: { json?: unknown }) => Promise<Response>,
  email: string,
): Promise<string> {
  const response = await call('POST', '/auth/login', { json: { email, password: 'password-1' } });
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith('phoenix-access-token='));
  if (!cookie) throw new Error(`login of ${email} failed: ${response.status}`);
  return cookie.slice('phoenix-access-token='.length).split(';')[0]!;
}
