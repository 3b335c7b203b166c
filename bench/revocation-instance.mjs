// One Gatehouse instance for bench/revocation.bench.mjs, in a process of its own: `createGatehouse`
// on a shared PostgreSQL store with a cross-instance revocation channel (Redis pub/sub or PostgreSQL
// LISTEN/NOTIFY). The bench process drives it over IPC; timestamps are `process.hrtime` (the
// system-wide monotonic clock on Linux), so stamps from two processes can be subtracted.
// Usage: node bench/revocation-instance.mjs redis|postgres (settings in BENCH_REV_* env variables).
import {
  createGatehouse,
  createUserApiKey,
  deleteUserApiKey,
  login,
  parseAuthEnv,
} from '../packages/core/dist/index.js';
import { internalsOf } from '../packages/core/dist/internal.js';
import { createPostgresRevocationChannel, createPostgresStore } from '../packages/db/dist/index.js';

const kind = process.argv[2];
const databaseUrl = process.env.BENCH_REV_DATABASE_URL;
const channelName = process.env.BENCH_REV_CHANNEL;
const ADMIN = { email: 'admin@localhost', password: 'admin' };
/** How long the instance waits for a revocation before it reports a miss. */
const GIVE_UP_MS = 5_000;

async function openChannel() {
  if (kind === 'redis') {
    const { createRedisRevocationChannel } = await import('../packages/redis/dist/index.js');
    return createRedisRevocationChannel({ url: process.env.BENCH_REV_REDIS_URL, channel: channelName });
  }
  if (kind === 'postgres')
    return createPostgresRevocationChannel({ connectionString: databaseUrl, channel: channelName });
  throw new Error(`revocation instance: unknown channel ${String(kind)}`);
}

const now = () => process.hrtime.bigint().toString();

const store = await createPostgresStore({ connectionString: databaseUrl });
const channel = await openChannel();
const config = parseAuthEnv({
  PHOENIX_ENABLE_AUTH: 'true',
  PHOENIX_SECRET: process.env.BENCH_REV_SECRET,
  PHOENIX_DISABLE_RATE_LIMIT: 'true',
});
const gh = await createGatehouse({ config, store, revocations: channel });
// The bench drives services directly, below the HTTP surface: the internals, as the CLI does.
const { deps, authenticator } = internalsOf(gh);
let admin = null;

async function adminPrincipal() {
  if (admin) return admin;
  const session = await login(deps, ADMIN);
  const result = await authenticator.authenticate({ authorization: `Bearer ${session.accessToken}` });
  if (!result.ok) throw new Error(`revocation instance: admin token refused (${result.reason})`);
  admin = result.principal;
  return admin;
}

/**
 * Caches the key (it must be accepted), then waits for its revocation: a listener subscribed after
 * the authenticator's own runs right after the authenticator evicted, stamps the event, and asks
 * the authenticator again until it refuses (the first ask does, unless the eviction was missed).
 */
async function arm({ id, key }) {
  const credentials = { authorization: `Bearer ${key}` };
  const before = await authenticator.authenticate(credentials);
  if (!before.ok) throw new Error(`revocation instance: fresh key refused (${before.reason})`);
  let done = false;
  let timer;
  const unsubscribe = channel.subscribe((event) => {
    if (done || !((event.type === 'api_key' && event.apiKeyId === id) || event.type === 'all')) return;
    done = true;
    const eventAt = now();
    unsubscribe();
    clearTimeout(timer);
    void (async () => {
      let asks = 0;
      for (;;) {
        asks++;
        const result = await authenticator.authenticate(credentials);
        if (!result.ok) {
          process.send({
            type: 'refused',
            id,
            eventType: event.type,
            eventAt,
            refusedAt: now(),
            reason: result.reason,
            asks,
          });
          return;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
  });
  timer = setTimeout(() => {
    if (done) return;
    done = true;
    unsubscribe();
    process.send({ type: 'refused', id, missed: true });
  }, GIVE_UP_MS);
  return {};
}

process.on('message', (message) => {
  const reply = (body) => process.send({ type: 'reply', seq: message.seq, ...body });
  void (async () => {
    switch (message.type) {
      case 'create': {
        const created = await createUserApiKey(deps, await adminPrincipal(), { name: 'revocation bench' });
        return reply({ id: created.record.id, key: created.key });
      }
      case 'arm':
        return reply(await arm(message));
      case 'delete': {
        const principal = await adminPrincipal();
        const startedAt = now();
        await deleteUserApiKey(deps, principal, message.id);
        return reply({ startedAt, endedAt: now() });
      }
      case 'stop':
        await gh.close();
        await channel.close();
        await store.close();
        return process.exit(0);
      default:
        throw new Error(`revocation instance: unknown message ${String(message.type)}`);
    }
  })().catch((error) => {
    reply({ error: String(error?.stack ?? error) });
  });
});

await adminPrincipal();
process.send({ type: 'ready' });
