// Fastify 5. Usage: node bench/servers/fastify.mjs none|presence|gatehouse|jwt|better-auth-session|better-auth-apikey
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';
import { JWT_SECRET, PROJECTS, announce, modeFromArgv, openGatehouse } from './common.mjs';

const mode = modeFromArgv();
const app = Fastify({ logger: false });
let closeWorld = async () => {};
let clientHeaders;

if (mode === 'gatehouse') {
  const { gatehousePlugin, authenticate } = await import('../../packages/fastify/dist/index.js');
  const world = await openGatehouse();
  closeWorld = world.close;
  await app.register(gatehousePlugin, { gatehouse: world.gh });
  app.get('/v1/projects', { onRequest: authenticate(world.gh) }, async () => PROJECTS);
} else {
  if (mode === 'presence') {
    app.addHook('onRequest', async (request, reply) => {
      if (!request.headers.authorization) return reply.code(401).send({ detail: 'Unauthorized' });
    });
  } else if (mode === 'jwt') {
    await app.register(fastifyJwt, { secret: JWT_SECRET });
    app.addHook('onRequest', async (request) => {
      await request.jwtVerify();
    });
  } else if (mode === 'better-auth-session' || mode === 'better-auth-apikey') {
    const { betterAuthCheck, openBetterAuth } = await import('./better-auth.mjs');
    const world = await openBetterAuth(mode);
    closeWorld = world.close;
    clientHeaders = world.headers;
    const check = betterAuthCheck(mode, world.auth);
    app.addHook('onRequest', async (request, reply) => {
      if (!(await check(request.headers))) return reply.code(401).send({ detail: 'Unauthorized' });
    });
  }
  app.get('/v1/projects', async () => PROJECTS);
}

await app.listen({ port: 0, host: '127.0.0.1' });
announce(
  app.server.address().port,
  async () => {
    await app.close();
    await closeWorld();
  },
  { headers: clientHeaders },
);
