/**
 * Bad requests are refused with a JSON error and change nothing: no user, no session, no key, no mail.
 * Every adapter must hand the raw body to core (no body parser of its own in front of it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS_AND_LOWEST,
  ADMIN_SECRET,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  call,
  createUser,
  expectError,
  expectJson,
  loginSession,
  sleep,
  startServer,
  tokenId,
  userCount,
  type CallOptions,
  type Session,
  type TestServer,
  type TestUser,
} from './support.js';

const JSON_TYPE = { 'content-type': 'application/json' };
const OVERSIZED = 65 * 1024;

/** A JSON object padded past the 64 KiB limit. */
function oversizedJson(fields: Record<string, unknown>): string {
  return JSON.stringify({ ...fields, padding: 'x'.repeat(OVERSIZED) });
}

/** The same bytes with no Content-Length: the limit must hold while streaming too. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 8192));
      offset += 8192;
    },
  });
}

interface BadCase {
  label: string;
  options: () => CallOptions;
  status: number;
  code: string;
}

function bodyCases(valid: () => Record<string, unknown>): BadCase[] {
  return [
    {
      label: 'malformed JSON',
      options: () => ({ body: '{"email": "a@b.c", ', headers: JSON_TYPE }),
      status: 400,
      code: 'malformed_json',
    },
    { label: 'an empty body', options: () => ({ body: '', headers: JSON_TYPE }), status: 400, code: 'malformed_json' },
    {
      label: 'a valid body as text/plain',
      options: () => ({ body: JSON.stringify(valid()), headers: { 'content-type': 'text/plain' } }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      label: 'a valid body as form data',
      options: () => ({
        body: new URLSearchParams(
          Object.entries(valid()).map(([k, v]): [string, string] => [k, JSON.stringify(v)]),
        ).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      label: 'a valid body with no Content-Type',
      options: () => ({ body: new TextEncoder().encode(JSON.stringify(valid())) }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      label: 'a body over 64 KiB',
      options: () => ({ body: oversizedJson(valid()), headers: JSON_TYPE }),
      status: 413,
      code: 'payload_too_large',
    },
    {
      label: 'a chunked body over 64 KiB',
      options: () => ({ body: chunked(oversizedJson(valid())), headers: JSON_TYPE }),
      status: 413,
      code: 'payload_too_large',
    },
    {
      label: 'a JSON array',
      options: () => ({ body: JSON.stringify([valid()]), headers: JSON_TYPE }),
      status: 422,
      code: 'invalid_input',
    },
    {
      label: 'a JSON string',
      options: () => ({ body: '"hello"', headers: JSON_TYPE }),
      status: 422,
      code: 'invalid_input',
    },
  ];
}

describe.each(ADAPTERS_AND_LOWEST)('%s: bad requests change nothing', (adapter) => {
  let server: TestServer;
  let user: TestUser;
  let admin: Session;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    user = await createUser(server, 'MEMBER');
    admin = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
  });
  afterAll(() => server?.close());

  /** Access-token ids only grow: the next login's id tells whether any session was minted in between. */
  async function lastAccessTokenId(): Promise<number> {
    return tokenId((await loginSession(server, user.email, user.password)).access);
  }

  describe('POST /auth/login', () => {
    it.each(bodyCases(() => ({ email: user.email, password: user.password })))(
      '$label → $status $code, no session',
      async ({ options, status, code }) => {
        const before = await lastAccessTokenId();
        const response = await call(server, 'POST', '/auth/login', options());
        expect(response.headers.getSetCookie()).toEqual([]);
        await expectError(response, status, code);
        expect(await lastAccessTokenId()).toBe(before + 1);
      },
    );

    it('a valid body with charset and an upper-case media type is accepted', async () => {
      const response = await call(server, 'POST', '/auth/login', {
        body: JSON.stringify({ email: user.email, password: user.password }),
        headers: { 'content-type': 'Application/JSON; charset=utf-8' },
      });
      expect(response.status).toBe(204);
    });
  });

  describe('POST /v1/users', () => {
    it.each(
      bodyCases(() => ({
        user: { email: 'bad-case@example.com', username: 'bad-case', role: 'MEMBER', password: 'pass-word-1' },
      })),
    )('$label → $status $code, no user', async ({ options, status, code }) => {
      const count = await userCount(server);
      const opts = options();
      await expectError(await call(server, 'POST', '/v1/users', { ...opts, bearer: ADMIN_SECRET }), status, code);
      expect(await userCount(server)).toBe(count);
      expect(await server.store.findUserByEmail('bad-case@example.com')).toBeNull();
    });

    it.each([
      ['no user object', {}, 'invalid_input'],
      ['user is a string', { user: 'x' }, 'invalid_input'],
      ['no email', { user: { username: 'no-email', role: 'MEMBER' } }, 'invalid_email'],
      ['no username', { user: { email: 'no-username@example.com', role: 'MEMBER' } }, 'invalid_input'],
      ['no role', { user: { email: 'no-role@example.com', username: 'no-role' } }, 'invalid_input'],
      [
        'an unknown auth_method',
        { user: { email: 'ldap@example.com', username: 'ldap', role: 'MEMBER', auth_method: 'SAML' } },
        'invalid_input',
      ],
    ])('%s → 422, no user', async (_label, json, code) => {
      const count = await userCount(server);
      await expectError(await call(server, 'POST', '/v1/users', { json, bearer: ADMIN_SECRET }), 422, code);
      expect(await userCount(server)).toBe(count);
    });
  });

  describe('POST /v1/user/api_keys', () => {
    it.each(bodyCases(() => ({ data: { name: 'never' } })))(
      '$label → $status $code, no key',
      async ({ options, status, code }) => {
        await expectError(
          await call(server, 'POST', '/v1/user/api_keys', { ...options(), cookie: admin }),
          status,
          code,
        );
        const keys = await expectJson<{ data: unknown[] }>(
          await call(server, 'GET', '/v1/user/api_keys', { cookie: admin }),
          200,
        );
        expect(keys.data).toEqual([]);
      },
    );
  });

  describe('PATCH /v1/user', () => {
    it.each(bodyCases(() => ({ username: 'hijacked' })))(
      '$label → $status $code, nothing renamed',
      async ({ options, status, code }) => {
        await expectError(await call(server, 'PATCH', '/v1/user', { ...options(), cookie: admin }), status, code);
        expect((await server.store.findUserByEmail('admin@localhost'))?.username).toBe('admin');
      },
    );
  });

  describe('POST /auth/password-reset-email', () => {
    it.each(bodyCases(() => ({ email: user.email })))(
      '$label → $status $code, no mail',
      async ({ options, status, code }) => {
        const before = server.mails.length;
        await expectError(await call(server, 'POST', '/auth/password-reset-email', options()), status, code);
        await sleep(50);
        expect(server.mails.length).toBe(before);
      },
    );
  });

  describe('routing', () => {
    it.each([
      ['GET', '/auth/unknown'],
      ['POST', '/auth/unknown'],
      ['GET', '/auth'],
      ['POST', '/auth/login/extra'],
    ])('%s %s (unknown route under /auth) → 404 JSON', async (method, path) => {
      await expectError(await call(server, method, path, method === 'GET' ? {} : { json: {} }), 404, 'not_found');
    });

    it.each([
      ['GET', '/auth/login'],
      ['PUT', '/auth/login'],
      ['DELETE', '/auth/refresh'],
      ['GET', '/auth/password-reset'],
      ['PUT', '/v1/users'],
      ['DELETE', '/v1/user'],
    ])('%s %s (wrong method) → 405 JSON, nothing changes', async (method, path) => {
      const count = await userCount(server);
      const before = await lastAccessTokenId();
      await expectError(await call(server, method, path, { bearer: ADMIN_SECRET }), 405, 'method_not_allowed');
      expect(await userCount(server)).toBe(count);
      expect(await lastAccessTokenId()).toBe(before + 1);
    });

    it('a malformed escape in the path → 400 malformed_path, before any route reads it', async () => {
      await expectError(
        await call(server, 'DELETE', '/v1/users/%E0%A4%A', { bearer: ADMIN_SECRET }),
        400,
        'malformed_path',
      );
    });
  });
});
