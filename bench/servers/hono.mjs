// Hono on @hono/node-server. Usage: node bench/servers/hono.mjs none|presence|presence-middleware|gatehouse|gatehouse-middleware|jwt|better-auth-session|better-auth-apikey
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { jwt } from 'hono/jwt';
import { JWT_SECRET, PROJECTS, announce, modeFromArgv, openGatehouse } from './common.mjs';

const mode = modeFromArgv();
const app = new Hono();
let closeWorld = async () => {};
let clientHeaders;

const handler = (c) => c.json(PROJECTS);
if (mode === 'gatehouse') {
  // The recommended fast path: Gatehouse's routes registered as routes, the host route wrapped, so
  // Hono keeps its single-handler dispatch (no middleware chain).
  const { authenticate, mountGatehouse } = await import('../../packages/hono/dist/index.js');
  const world = await openGatehouse();
  closeWorld = world.close;
  mountGatehouse(app, world.gh);
  app.get('/v1/projects', authenticate(world.gh, handler));
} else if (mode === 'gatehouse-middleware') {
  const { gatehouse, authenticate } = await import('../../packages/hono/dist/index.js');
  const world = await openGatehouse();
  closeWorld = world.close;
  app.use(gatehouse(world.gh));
  app.use('/v1/*', authenticate(world.gh));
  app.get('/v1/projects', handler);
} else if (mode === 'presence') {
  // The same shape as the Gatehouse case: a wrapper that only checks the header is there.
  app.get('/v1/projects', (c, next) =>
    c.req.header('authorization') ? handler(c, next) : c.json({ detail: 'Unauthorized' }, 401),
  );
} else if (mode === 'presence-middleware') {
  app.use('/v1/*', async (c, next) => {
    if (!c.req.header('authorization')) return c.json({ detail: 'Unauthorized' }, 401);
    await next();
  });
  app.get('/v1/projects', handler);
} else if (mode === 'jwt') {
  app.use('/v1/*', jwt({ secret: JWT_SECRET, alg: 'HS256' }));
  app.get('/v1/projects', handler);
} else if (mode === 'better-auth-session' || mode === 'better-auth-apikey') {
  // The same shape as the Gatehouse case (a wrapper around the handler).
  const { betterAuthCheck, openBetterAuth } = await import('./better-auth.mjs');
  const world = await openBetterAuth(mode);
  closeWorld = world.close;
  clientHeaders = world.headers;
  const check = betterAuthCheck(mode, world.auth);
  app.get('/v1/projects', async (c, next) =>
    (await check(c.req.raw.headers)) ? handler(c, next) : c.json({ detail: 'Unauthorized' }, 401),
  );
} else {
  app.get('/v1/projects', handler);
}

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  announce(
    info.port,
    async () => {
      await new Promise((resolve) => server.close(resolve));
      await closeWorld();
    },
    { headers: clientHeaders },
  );
});
