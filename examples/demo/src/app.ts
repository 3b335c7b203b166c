import { isGatehouseError, type Gatehouse, type Logger } from '@gatehouse-auth/core';
import { gatehouse, authenticate, type GatehouseVariables } from '@gatehouse-auth/hono';
import { Hono } from 'hono';
import { accepts } from 'hono/accepts';
import type { Kysely } from 'kysely';
import type { DemoDatabase } from './db/schema.js';
import type { OtlpTraceTypes } from './otlp/definitions.js';
import { pageRoutes } from './pages/index.js';
import { notFoundPage } from './pages/not-found.js';
import { demoRoutes } from './routes.js';

type AppEnv = { Variables: GatehouseVariables };

function errorJson(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/**
 * The whole server: `/healthz` open, Gatehouse's own routes (`/auth/*`, `/v1/user*`, ...) served by
 * its middleware, every other `/v1/*` route behind `authenticate`, and the HTML pages (`/login`,
 * `/settings`, ...). Like Phoenix, all of it sits under PHOENIX_HOST_ROOT_PATH when that is set.
 */
export function createApp(gh: Gatehouse, db: Kysely<DemoDatabase>, logger: Logger, otlp: OtlpTraceTypes): Hono<AppEnv> {
  const rootPath = gh.config.rootPath;
  const app = rootPath ? new Hono<AppEnv>().basePath(rootPath) : new Hono<AppEnv>();

  app.get('/healthz', (c) => c.text('ok'));
  app.use(gatehouse(gh));
  app.use('/v1/*', authenticate(gh));
  app.route('/', demoRoutes<AppEnv>(db, otlp));
  // The HTML pages (sign-in, settings, ...): outside /v1, after Gatehouse so core's /login redirect wins.
  app.route('/', pageRoutes<AppEnv>(gh));

  // A browser (Accept prefers text/html) gets a page; API clients, curl and fetch (*/*) the JSON error.
  app.notFound((c) =>
    accepts(c, { header: 'Accept', supports: ['application/json', 'text/html'], default: 'application/json' }) ===
    'text/html'
      ? notFoundPage(rootPath)
      : errorJson(404, 'not_found', 'Not found'),
  );
  app.onError((error) => {
    if (isGatehouseError(error)) return errorJson(error.status, error.code, error.message);
    logger.error('request failed', { error: error instanceof Error ? error.message : String(error) });
    return errorJson(500, 'internal', 'Internal server error');
  });
  return app;
}
