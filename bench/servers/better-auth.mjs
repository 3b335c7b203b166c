// The better-auth side of the HTTP bench: better-auth on its own SQLite file (through
// better-sqlite3, with the same WAL settings as Gatehouse's store, so the comparison is not about
// journal modes), its tables created by its own migrator, a user signed up and signed in, and an
// API key created through the plugin's server API. The credentials go back to the bench process in
// the `listening` message, since the servers do not mount better-auth's HTTP routes.
//
// better-auth 1.7 ships the API-key plugin as `@better-auth/api-key`; its newest release (1.7.5)
// pins better-auth's internals to 1.7.5, hence the exact versions in the root package.json.
import { apiKey } from '@better-auth/api-key';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { fromNodeHeaders } from 'better-auth/node';
import { bearer } from 'better-auth/plugins';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECRET = 'bench-better-auth-secret-0123456789-abcdefgh';
const USER = { email: 'bench@example.com', password: 'bench-password-0123', name: 'bench' };
/** The header the API-key plugin reads by default. */
export const API_KEY_HEADER = 'x-api-key';

/**
 * @returns {Promise<{ auth: ReturnType<typeof betterAuth>, headers: Record<string, string>, close: () => Promise<void> }>}
 *   `headers`: what a client sends in this mode (bearer session token, or the API key).
 */
export async function openBetterAuth(mode) {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-better-auth-'));
  const database = new Database(join(dir, 'better-auth.sqlite'));
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  const options = {
    database,
    secret: SECRET,
    baseURL: 'http://127.0.0.1',
    telemetry: { enabled: false },
    logger: { disabled: true },
    emailAndPassword: { enabled: true },
    // Both limiters off, as for Gatehouse: the key plugin's default is 10 requests a day per key.
    rateLimit: { enabled: false },
    plugins: [bearer(), apiKey({ rateLimit: { enabled: false } })],
  };
  const auth = betterAuth(options);
  const { runMigrations } = await getMigrations(options);
  await runMigrations();

  const { user } = await auth.api.signUpEmail({ body: USER });
  let headers;
  if (mode === 'better-auth-session') {
    // The bearer plugin hands the signed session token out in `set-auth-token`: what a client stores.
    const signIn = await auth.api.signInEmail({
      body: { email: USER.email, password: USER.password },
      returnHeaders: true,
    });
    const token = signIn.headers.get('set-auth-token');
    if (!token) throw new Error('bench setup: better-auth sign-in returned no set-auth-token header');
    headers = { authorization: `Bearer ${token}` };
  } else {
    const created = await auth.api.createApiKey({ body: { userId: user.id, name: 'bench' } });
    headers = { [API_KEY_HEADER]: created.key };
  }
  return {
    auth,
    headers,
    async close() {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether a request carries a valid credential for `mode`, the way better-auth's docs check it on
 * a route: `getSession({ headers })` (the bearer plugin turns the Authorization header into the
 * session cookie), or `verifyApiKey({ body: { key } })` with the key from its header.
 * `headers` is a Fetch `Headers` (Hono) or Node's `IncomingHttpHeaders` (Express, Fastify).
 */
export function betterAuthCheck(mode, auth) {
  if (mode === 'better-auth-session') {
    return async (headers) => {
      const session = await auth.api.getSession({
        headers: headers instanceof Headers ? headers : fromNodeHeaders(headers),
      });
      return session !== null;
    };
  }
  return async (headers) => {
    const key = headers instanceof Headers ? headers.get(API_KEY_HEADER) : headers[API_KEY_HEADER];
    if (typeof key !== 'string' || key === '') return false;
    const result = await auth.api.verifyApiKey({ body: { key } });
    return result.valid === true;
  };
}
