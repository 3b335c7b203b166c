/**
 * PHOENIX_ENABLE_AUTH=false (docs/phoenix-contract.md#auth-disabled): no login routes, every request anonymous with the
 * non-admin-gated rights, and the API-key routes refused with 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  call,
  expectError,
  expectJson,
  expectStatus,
  globalId,
  startServer,
  type TestServer,
} from './support.js';

const ANONYMOUS = { kind: 'anonymous', role: 'MEMBER', userId: null };
const KEYS_NEED_AUTH = 'Authentication must be enabled to manage API keys';

describe.each(ADAPTERS)('%s: auth disabled', (adapter) => {
  let server: TestServer;

  beforeAll(async () => {
    // The harness's base env keeps its secrets (an empty PHOENIX_SECRET is a config error); with auth
    // off they are simply unused.
    server = await startServer(adapter, { PHOENIX_ENABLE_AUTH: 'false' });
  });
  afterAll(() => server?.close());

  it.each([
    ['GET', '/v1/projects', 200],
    ['POST', '/v1/projects', 201],
    ['GET', '/v1/projects/p-1', 200],
    ['PUT', '/v1/projects/p-1', 200],
    ['DELETE', '/v1/projects/p-1', 204],
    ['POST', '/v1/datasets/upload', 201],
    ['DELETE', '/v1/datasets/d-1', 204],
    ['POST', '/v1/traces', 201],
    ['POST', '/v1/span_annotations', 201],
    ['POST', '/v1/chat/completions', 201],
    ['GET', '/v1/admin-report', 200],
  ] as const)('host %s %s → %i with the anonymous principal', async (method, path, status) => {
    const text = await expectStatus(await call(server, method, path), status);
    if (status === 204) expect(text).toBe('');
    else expect(JSON.parse(text)).toEqual({ principal: ANONYMOUS });
  });

  it('credentials are ignored: a bogus bearer is still anonymous', async () => {
    const body = await expectJson<{ principal: unknown }>(
      await call(server, 'GET', '/v1/projects', { bearer: 'whatever' }),
      200,
    );
    expect(body.principal).toEqual(ANONYMOUS);
  });

  it('GET /v1/user → {"data":{"auth_method":"ANONYMOUS"}}', async () => {
    const text = await expectStatus(await call(server, 'GET', '/v1/user'), 200);
    expect(JSON.parse(text)).toEqual({ data: { auth_method: 'ANONYMOUS' } });
  });

  it.each([
    ['POST', '/auth/login'],
    ['POST', '/auth/refresh'],
    ['GET', '/auth/logout'],
    ['POST', '/auth/password-reset-email'],
    ['POST', '/auth/password-reset'],
  ])('%s %s → 404 (not mounted), no cookie', async (method, path) => {
    const response = await call(
      server,
      method,
      path,
      method === 'GET' ? {} : { json: { email: 'admin@localhost', password: 'admin' } },
    );
    expect(response.status).toBe(404);
    expect(response.headers.getSetCookie()).toEqual([]);
    await response.arrayBuffer();
  });

  it.each([
    ['GET', '/v1/user/api_keys', undefined],
    ['POST', '/v1/user/api_keys', { data: { name: 'k' } }],
    ['DELETE', `/v1/user/api_keys/${globalId('UserApiKey', 1)}`, undefined],
    ['GET', '/v1/users/api_keys', undefined],
    ['GET', '/v1/system/api_keys', undefined],
    ['POST', '/v1/system/api_keys', { data: { name: 'k' } }],
    ['DELETE', `/v1/system/api_keys/${globalId('SystemApiKey', 1)}`, undefined],
  ])('%s %s (API-key route) → 403', async (method, path, json) => {
    await expectError(
      await call(server, method, path, json === undefined ? {} : { json }),
      403,
      'auth_disabled',
      KEYS_NEED_AUTH,
    );
  });

  it('GET /healthz → 200', async () => {
    expect(await expectStatus(await call(server, 'GET', '/healthz'), 200)).toBe('ok');
  });
});
