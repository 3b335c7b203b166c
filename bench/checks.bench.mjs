// The credential checks alone, in one process, no HTTP framework around them: Gatehouse's
// gate against better-auth's session check (`getSession`, bearer plugin) and API-key check
// (`verifyApiKey`). The HTTP bench compares the same checks on Hono, Fastify and Express, where each
// framework's own cost per request is added to both sides; this shows what the checks cost.
import { betterAuthCheck, openBetterAuth } from './servers/better-auth.mjs';
import { openGatehouse } from './servers/common.mjs';
import { markdownTable, measureGroup } from './lib.mjs';

export const title = 'The credential checks alone: Gatehouse against better-auth (in process)';

const ADMIN = { email: 'admin@localhost', password: 'admin' };
const IN_FLIGHT = 10;

async function gatehouseCredentials(gh) {
  const login = await gh.handle(
    new Request('http://127.0.0.1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    }),
    { remoteAddress: '127.0.0.1' },
  );
  const cookie = login?.headers.getSetCookie().find((c) => /^[^=]*-access-token=/.test(c));
  const accessToken = cookie?.slice(cookie.indexOf('=') + 1).split(';')[0];
  if (!accessToken) throw new Error('bench setup: the login set no access-token cookie');
  const created = await gh.handle(
    new Request('http://127.0.0.1/v1/user/api_keys', {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { name: 'bench' } }),
    }),
    { remoteAddress: '127.0.0.1' },
  );
  if (created?.status !== 201) throw new Error(`bench setup: creating an API key answered ${created?.status}`);
  return { access: `Bearer ${accessToken}`, apiKey: `Bearer ${(await created.json()).data.key}` };
}

export async function run() {
  const gatehouse = await openGatehouse();
  const baSession = await openBetterAuth('better-auth-session');
  const baApiKey = await openBetterAuth('better-auth-apikey');
  try {
    const creds = await gatehouseCredentials(gatehouse.gh);
    // Every request brings new header strings; copies defeat anything V8 caches per string.
    const fresh = (value) => Buffer.from(value, 'latin1').toString('latin1');
    const guard = (authorization) =>
      gatehouse.gh.guard({
        method: 'GET',
        path: '/v1/projects',
        authorization: fresh(authorization),
        cookie: null,
        origin: null,
        referer: null,
        host: '127.0.0.1',
      });
    for (const authorization of [creds.access, creds.apiKey]) {
      const result = await guard(authorization);
      if (!result.ok) throw new Error(`bench setup: Gatehouse refused its own credential (${result.status})`);
    }
    const sessionCheck = betterAuthCheck('better-auth-session', baSession.auth);
    const apiKeyCheck = betterAuthCheck('better-auth-apikey', baApiKey.auth);
    const sessionHeader = baSession.headers.authorization;
    const [apiKeyName, apiKeyValue] = Object.entries(baApiKey.headers)[0];
    // Node-style header objects, as Express and Fastify hand them over.
    const baSessionCall = () => sessionCheck({ authorization: fresh(sessionHeader), host: '127.0.0.1' });
    const baApiKeyCall = () => apiKeyCheck({ [apiKeyName]: fresh(apiKeyValue), host: '127.0.0.1' });
    if (!(await baSessionCall()) || !(await baApiKeyCall()))
      throw new Error('bench setup: better-auth refused its own credential');

    // Ten checks in flight at once, like the HTTP bench's ten connections: better-auth's checks wait
    // on work off the main thread, so one at a time would measure latency, not throughput.
    const inFlight = (call) => () => Promise.all(Array.from({ length: IN_FLIGHT }, call));
    const sessions = await measureGroup([
      {
        name: `better-auth \`getSession\` (bearer session token), ${IN_FLIGHT} in flight`,
        fn: inFlight(baSessionCall),
        baseline: true,
      },
      {
        name: `Gatehouse \`gh.guard\` (access token: CSRF, authentication, REST rule), ${IN_FLIGHT} in flight`,
        fn: inFlight(() => guard(creds.access)),
      },
    ]);
    const keys = await measureGroup([
      { name: `better-auth \`verifyApiKey\`, ${IN_FLIGHT} in flight`, fn: inFlight(baApiKeyCall), baseline: true },
      { name: `Gatehouse \`gh.guard\` (API key), ${IN_FLIGHT} in flight`, fn: inFlight(() => guard(creds.apiKey)) },
    ]);
    return [
      `Each row is ${IN_FLIGHT} checks started together and awaited (ns/op and ops/s are per batch), header strings copied for every call (a server gets new ones with every request). better-auth: the same setup as the HTTP bench (its own SQLite file, WAL, limiters off; \`getSession\` with the bearer plugin, \`verifyApiKey\` writing its usage counters back). Gatehouse: \`gh.guard\` on a SQLite store with a warm cache, as the adapters call it. The ratio is how many checks Gatehouse does in the time better-auth does one; on Express the HTTP ratio stays far below it because Express's own ~200 µs per request is paid on both sides.`,
      '',
      markdownTable(sessions, { ratioLabel: 'checks per second, ratio to better-auth' }),
      '',
      markdownTable(keys, { ratioLabel: 'checks per second, ratio to better-auth' }),
    ].join('\n');
  } finally {
    await gatehouse.close();
    await baSession.close();
    await baApiKey.close();
  }
}
