/**
 * One host app per adapter, listening on loopback: Gatehouse's routes, a handful of host `/v1`
 * routes behind `authenticate`, a real SQLite file (or a schema of its own on the test run's real
 * PostgreSQL server) and a real SMTP receiver. The conformance suite runs every file against each
 * adapter, so an adapter that decides anything itself shows up as a difference.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import express from 'express';
import Fastify from 'fastify';
// The lowest versions of each supported range, installed under npm aliases (root devDependencies).
// Typed as the newest: the adapters' declarations are written against those, and at run time the
// host app is whatever the user installed.
import express4Module from 'express4';
import fastify50Module from 'fastify5-lowest';
import { Hono as Hono40 } from 'hono4-lowest';
import {
  createGatehouse,
  createSmtpMailer,
  parseAuthEnv,
  silentLogger,
  type AuthStore,
  type Gatehouse,
  type GatehouseOptions,
  type Logger,
  type PasswordHasher,
  type SmtpMailer,
} from '@gatehouse-auth/core';
import { createPostgresStore, createSqliteStore } from '@gatehouse-auth/db';
import { postgresAdminUrl, withClient } from '../../packages/db/test/support/postgres.js';
import * as honoAdapter from '@gatehouse-auth/hono';
import * as expressAdapter from '@gatehouse-auth/express';
import * as fastifyAdapter from '@gatehouse-auth/fastify';

/**
 * `hono+routes`: Gatehouse's routes registered with `mountGatehouse` and host routes wrapped in
 * `authenticate(gh, handler)` (no middleware). `express+json`: `express.json()` mounted before Gatehouse, as many hosts do.
 */
export type AdapterName = 'hono' | 'hono+routes' | 'express' | 'express+json' | 'fastify' | LowestAdapterName;
export const ADAPTERS: readonly AdapterName[] = ['hono', 'hono+routes', 'express', 'express+json', 'fastify'];

/**
 * The same shapes on the lowest version of each supported peer range (`express ^4.21.0 || ^5.0.0`,
 * `fastify ^5.0.0`, `hono ^4.0.0`); ADAPTERS run the newest installed. A representative subset of the
 * conformance files runs these too (`ADAPTERS_AND_LOWEST`), which keeps CI time small.
 */
export type LowestAdapterName = 'express@4.21.0' | 'express@5.0.0' | 'fastify@5.0.0' | 'hono@4.0.0';
export const LOWEST_ADAPTERS: readonly LowestAdapterName[] = [
  'express@4.21.0',
  'express@5.0.0',
  'fastify@5.0.0',
  'hono@4.0.0',
];
export const ADAPTERS_AND_LOWEST: readonly AdapterName[] = [...ADAPTERS, ...LOWEST_ADAPTERS];

export type StoreName = 'sqlite' | 'postgres';
/**
 * Every adapter on SQLite, and the three frameworks on PostgreSQL: for suites whose routes lean on
 * store operations of their own (second factors, passkeys), so both stores answer over real HTTP.
 */
export const ADAPTERS_AND_STORES: readonly (readonly [AdapterName, StoreName])[] = [
  ...ADAPTERS.map((adapter) => [adapter, 'sqlite'] as const),
  ...(['hono', 'express', 'fastify'] as const).map((adapter) => [adapter, 'postgres'] as const),
];

// Express 5.0.0 has no types of its own under the alias; at run time it is required as is.
const express50Module: unknown = createRequire(import.meta.url)('express5-lowest');
const EXPRESS_BY_VERSION = {
  express: express,
  'express+json': express,
  'express@4.21.0': express4Module as unknown as typeof express,
  'express@5.0.0': express50Module as typeof express,
} as const;
export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}
export interface TestServer {
  url: string;
  gatehouse: Gatehouse;
  store: AuthStore;
  mails: ReceivedMail[];
  close(): Promise<void>;
}
export const ADMIN_SECRET = 'admin0secret0for0tests0abcdefghij0123';
const SECRET = 'secret0for0tests0abcdefghijklmnop0123';

/** The host app's own routes: [method, pattern, status]. `GET /v1/admin-report` is declared admin-only. */
const HOST_ROUTES: readonly (readonly [string, string, number])[] = [
  ['GET', '/v1/projects', 200],
  ['POST', '/v1/projects', 201],
  ['GET', '/v1/projects/:id', 200],
  ['PUT', '/v1/projects/:id', 200],
  ['DELETE', '/v1/projects/:id', 204],
  ['POST', '/v1/datasets/upload', 201],
  ['DELETE', '/v1/datasets/:id', 204],
  ['POST', '/v1/traces', 201],
  ['POST', '/v1/span_annotations', 201],
  ['POST', '/v1/chat/completions', 201],
  ['GET', '/v1/admin-report', 200],
  // Answers with every field of the principal (the others with kind, role and id only).
  ['GET', '/v1/whoami', 200],
];

type Principal = Extract<Awaited<ReturnType<Gatehouse['guard']>>, { ok: true }>['principal'];
const principalOf = (p: Principal, pattern: string) =>
  pattern === '/v1/whoami' ? p : { kind: p.kind, role: p.role, userId: p.userId };
const principalBody = (p: Principal, pattern = ''): string => JSON.stringify({ principal: principalOf(p, pattern) });

function honoServer(gh: Gatehouse, routesOnly: boolean, HonoClass: typeof Hono = Hono): Server {
  const root = gh.config.rootPath;
  const top = new HonoClass<honoAdapter.GatehouseEnv>();
  const app = root ? top.basePath(root) : top;
  if (routesOnly) honoAdapter.mountGatehouse(top, gh);
  else app.use(honoAdapter.gatehouse(gh));
  app.get('/healthz', (c) => c.text('ok'));
  for (const [method, pattern, status] of HOST_ROUTES) {
    const handler = (c: Context<honoAdapter.GatehouseEnv>) =>
      status === 204
        ? c.body(null, 204)
        : c.body(principalBody(c.get('principal'), pattern), status as 200, { 'content-type': 'application/json' });
    if (routesOnly) app.on(method, pattern, honoAdapter.authenticate(gh, handler));
    else app.on(method, pattern, honoAdapter.authenticate(gh), handler);
  }
  const listener = getRequestListener(top.fetch);
  return createHttpServer((req, res) => {
    void listener(req, res);
  });
}

function expressServer(
  gh: Gatehouse,
  jsonFirst: boolean,
  express: typeof EXPRESS_BY_VERSION.express = EXPRESS_BY_VERSION.express,
): Server {
  const app = express();
  app.disable('x-powered-by');
  if (jsonFirst) app.use(express.json());
  app.use(expressAdapter.gatehouse(gh));
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  for (const [method, pattern, status] of HOST_ROUTES) {
    router[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](
      pattern,
      expressAdapter.authenticate(gh),
      (_req, res) => {
        if (status === 204) return void res.status(204).end();
        res
          .status(status)
          .type('application/json')
          .send(principalBody(expressAdapter.principalOf(res), pattern));
      },
    );
  }
  app.use(gh.config.rootPath || '/', router);
  return createHttpServer(app);
}

async function fastifyServer(
  gh: Gatehouse,
  fastify: typeof Fastify = Fastify,
): Promise<{ server: Server; ready: () => Promise<void> }> {
  const app = fastify({ frameworkErrors: fastifyAdapter.frameworkErrors });
  await app.register(fastifyAdapter.gatehousePlugin, { gatehouse: gh });
  await app.register(
    async (scope) => {
      scope.get('/healthz', async (_request, reply) => reply.type('text/plain').send('ok'));
      for (const [method, pattern, status] of HOST_ROUTES) {
        scope.route({
          method: method,
          url: pattern,
          onRequest: fastifyAdapter.authenticate(gh),
          async handler(request, reply) {
            if (status === 204) return reply.code(204).send();
            return reply
              .code(status)
              .type('application/json')
              .send(principalBody(request.gatehousePrincipal as Principal, pattern));
          },
        });
      }
    },
    { prefix: gh.config.rootPath },
  );
  await app.ready();
  return { server: app.server, ready: () => app.close() };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function startSmtp(mails: ReceivedMail[]): Promise<{ port: number; close: () => Promise<void> }> {
  const smtp = new SMTPServer({
    logger: false,
    secure: false, // STARTTLS with smtp-server's built-in self-signed certificate, as a real relay
    authOptional: true,
    onAuth(_auth, _session, cb) {
      cb(null, { user: 'u' });
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => {
        const to = Array.isArray(m.to) ? m.to.map((t) => t.text).join(',') : (m.to?.text ?? '');
        mails.push({
          to,
          subject: m.subject ?? '',
          text: m.text ?? '',
          html: typeof m.html === 'string' ? m.html : '',
        });
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return { port, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}

export async function startServer(
  adapter: AdapterName,
  env: Record<string, string> = {},
  options: {
    trustedProxies?: string[];
    hasher?: PasswordHasher;
    logger?: Logger;
    gatehouse?: Pick<GatehouseOptions, 'ldap' | 'directory' | 'rateLimits' | 'clock' | 'revocations'>;
    /** An SQLite file to use (and keep) instead of a fresh one: a restart with another configuration. */
    sqliteFile?: string;
    /** `postgres`: a fresh schema on the test run's PostgreSQL server, dropped on close. Default SQLite. */
    store?: StoreName;
  } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), `gh-${adapter.replace(/[+@]/g, '-')}-`));
  const mails: ReceivedMail[] = [];
  const smtp = await startSmtp(mails);
  // Public URLs come from configuration only: the port is chosen first, so the derived URL
  // (PHOENIX_HOST/PHOENIX_PORT) is the server's real address.
  const port = await freePort();
  const config = parseAuthEnv({
    PHOENIX_HOST: '127.0.0.1',
    PHOENIX_PORT: String(port),
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: SECRET,
    PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
    PHOENIX_SMTP_HOSTNAME: '127.0.0.1',
    PHOENIX_SMTP_PORT: String(smtp.port),
    PHOENIX_SMTP_USERNAME: 'u',
    PHOENIX_SMTP_PASSWORD: 'p',
    PHOENIX_SMTP_VALIDATE_CERTS: 'false',
    ...env,
  });
  const schema = options.store === 'postgres' ? `http_${randomBytes(6).toString('hex')}` : null;
  const store =
    schema === null
      ? await createSqliteStore({ filename: options.sqliteFile ?? join(dir, 'auth.db') })
      : await createPostgresStore({ connectionString: postgresAdminUrl(), schema });
  const mailer: SmtpMailer | null = config.smtp ? createSmtpMailer(config.smtp, { connectionTimeoutMs: 5_000 }) : null;
  const gatehouse = await createGatehouse({
    config,
    store,
    mailer,
    trustedProxies: options.trustedProxies,
    restPolicy: { adminRoutes: ['GET /v1/admin-report'] },
    ...(options.hasher ? { hasher: options.hasher } : {}),
    // Quiet unless a test listens: the default logger would print every start-up to the test output.
    logger: options.logger ?? silentLogger,
    ...options.gatehouse,
  });

  let server: Server;
  let stopFramework = async (): Promise<void> => {};
  if (adapter === 'hono' || adapter === 'hono+routes') server = honoServer(gatehouse, adapter === 'hono+routes');
  else if (adapter === 'hono@4.0.0') server = honoServer(gatehouse, false, Hono40 as unknown as typeof Hono);
  else if (adapter.startsWith('express'))
    server = expressServer(
      gatehouse,
      adapter === 'express+json',
      EXPRESS_BY_VERSION[adapter as keyof typeof EXPRESS_BY_VERSION],
    );
  else {
    const built = await fastifyServer(
      gatehouse,
      adapter === 'fastify@5.0.0' ? (fastify50Module as unknown as typeof Fastify) : Fastify,
    );
    server = built.server;
    stopFramework = built.ready;
  }
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}${config.rootPath}`,
    gatehouse,
    store,
    mails,
    async close() {
      server.closeAllConnections();
      if (adapter.startsWith('fastify')) await stopFramework();
      else await new Promise<void>((resolve) => server.close(() => resolve()));
      mailer?.close();
      await gatehouse.close();
      await store.close();
      if (schema !== null)
        await withClient(postgresAdminUrl(), (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
      await smtp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
