// The pure decisions and HS256 access-token verification against the physical floor,
// a raw node:crypto HMAC-SHA256 check over exactly the same bytes.
import { can, createTokenCodec, decideRest } from '../packages/core/dist/index.js';
import { hmacFloor, markdownTable, measureGroup } from './lib.mjs';

export const title = 'Policy decisions and access-token verification (@gatehouse-auth/core)';

export async function run() {
  const admin = { kind: 'session', userId: 1, role: 'ADMIN' };
  const viewer = { kind: 'session', userId: 2, role: 'VIEWER' };
  const systemKey = { kind: 'system_api_key', userId: 3, role: 'SYSTEM' };

  const decisions = await measureGroup([
    { name: 'can(admin, list_users)', fn: () => can(admin, 'list_users'), baseline: true },
    { name: 'can(viewer, create_own_user_key)', fn: () => can(viewer, 'create_own_user_key') },
    { name: "decideRest(viewer, 'POST', '/v1/projects')", fn: () => decideRest(viewer, 'POST', '/v1/projects') },
    { name: "decideRest(system key, 'GET', '/v1/users')", fn: () => decideRest(systemKey, 'GET', '/v1/users') },
    {
      name: "decideRest(admin, 'DELETE', '/v1/projects/:id')",
      fn: () => decideRest(admin, 'DELETE', '/v1/projects/:id'),
    },
  ]);

  const secret = 'bench-secret-0123456789-abcdefghijklmnop';
  const codec = createTokenCodec({ secret });
  const now = Math.floor(Date.now() / 1000);
  const token = await codec.sign('access', { jti: '12345', sub: '42', expiresAt: now + 3600 });
  const rawHmacVerify = hmacFloor(token, secret);

  const tokens = await measureGroup([
    { name: 'raw node:crypto HMAC-SHA256 verify (floor)', fn: rawHmacVerify, baseline: true },
    { name: 'codec.verify(access token), in-process HMAC', fn: () => codec.verify(token, 'access') },
  ]);

  return [
    '### Decisions per second',
    markdownTable(decisions, { ratioLabel: 'ratio to can(admin, list_users)' }),
    '',
    '### HS256 access-token verification against the HMAC floor',
    `Token: ${token.length} bytes. The floor only recomputes the MAC; \`codec.verify\` also decodes and checks the header (alg, typ, no key-injection headers), iss, nbf, exp, kind, jti and sub.`,
    '',
    markdownTable(tokens, { ratioLabel: 'throughput vs floor' }),
  ].join('\n');
}
