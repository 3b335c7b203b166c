// Hono on @hono/node-server. Usage: node bench/servers/hono.mjs none|presence|gatehouse|jwt
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { jwt } from 'hono/jwt';
import { JWT_SECRET, PROJECTS, announce, modeFromArgv, openGatehouse } from './common.mjs';

const mode = modeFromArgv();
const app = new Hono();
let closeWorld = async () => {};

if (mode === 'gatehouse') {
  const { gatehouse, authenticate } = await import('../../packages/hono/dist/index.js');
  const world = await openGatehouse();
  closeWorld = world.close;
  app.use(gatehouse(world.gh));
  app.use('/v1/*', authenticate(world.gh));
} else if (mode === 'presence') {
  app.use('/v1/*', async (c, next) => {
    if (!c.req.header('authorization')) return c.json({ detail: 'Unauthorized' }, 401);
    await next();
  });
} else if (mode === 'jwt') {
  app.use('/v1/*', jwt({ secret: JWT_SECRET, alg: 'HS256' }));
}
app.get('/v1/projects', (c) => c.json(PROJECTS));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  announce(info.port, async () => {
    await new Promise((resolve) => server.close(resolve));
    await closeWorld();
  });
});
