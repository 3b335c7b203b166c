// Express 5. Usage: node bench/servers/express.mjs none|presence|gatehouse|jwt|better-auth-session|better-auth-apikey
import express from 'express';
import { expressjwt } from 'express-jwt';
import { JWT_SECRET, PROJECTS, announce, modeFromArgv, openGatehouse } from './common.mjs';

const mode = modeFromArgv();
const app = express();
let closeWorld = async () => {};
let clientHeaders;

if (mode === 'gatehouse') {
  const { gatehouse, authenticate } = await import('../../packages/express/dist/index.js');
  const world = await openGatehouse();
  closeWorld = world.close;
  app.use(gatehouse(world.gh));
  app.use('/v1', authenticate(world.gh));
} else if (mode === 'presence') {
  app.use('/v1', (req, res, next) => {
    if (req.headers.authorization) next();
    else res.status(401).json({ detail: 'Unauthorized' });
  });
} else if (mode === 'jwt') {
  app.use('/v1', expressjwt({ secret: JWT_SECRET, algorithms: ['HS256'] }));
} else if (mode === 'better-auth-session' || mode === 'better-auth-apikey') {
  const { betterAuthCheck, openBetterAuth } = await import('./better-auth.mjs');
  const world = await openBetterAuth(mode);
  closeWorld = world.close;
  clientHeaders = world.headers;
  const check = betterAuthCheck(mode, world.auth);
  app.use('/v1', (req, res, next) => {
    check(req.headers).then((ok) => (ok ? next() : res.status(401).json({ detail: 'Unauthorized' })), next);
  });
}
app.get('/v1/projects', (_req, res) => {
  res.json(PROJECTS);
});
app.use((error, _req, res, _next) => {
  res.status(error.status ?? 500).json({ detail: error.message });
});

const server = app.listen(0, '127.0.0.1', () => {
  announce(
    server.address().port,
    async () => {
      await new Promise((resolve) => server.close(resolve));
      await closeWorld();
    },
    { headers: clientHeaders },
  );
});
