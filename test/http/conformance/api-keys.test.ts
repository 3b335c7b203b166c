/**
 * User and system API keys over REST (docs/phoenix-contract.md#api-keys, #api-key-routes): shown once, never listed, not minted by
 * keys, hidden from other users, and acting with the owner's live role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS_AND_LOWEST,
  ADMIN_SECRET,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  call,
  createSystemKey,
  createUser,
  createUserKey,
  expectError,
  expectJson,
  expectStatus,
  globalId,
  loginSession,
  sleep,
  startServer,
  type Session,
  type TestServer,
} from './support.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

interface KeyJson {
  id: string;
  name: string;
  description?: string;
  created_at: string;
  expires_at?: string;
  key?: string;
  user?: { id: string; username: string; email: string };
}

interface KeyPage {
  data: KeyJson[];
  next_cursor: string | null;
}

interface PrincipalBody {
  principal: { kind: string; role: string; userId: number | null };
}

const KEYS_CANNOT_MINT = 'API keys cannot create API keys';
const ADMIN_ONLY = 'This action requires the ADMIN role.';

async function ownKeys(server: TestServer, session: Session): Promise<KeyJson[]> {
  return (await expectJson<KeyPage>(await call(server, 'GET', '/v1/user/api_keys', { cookie: session }), 200)).data;
}

describe.each(ADAPTERS_AND_LOWEST)('%s: API keys', (adapter) => {
  let server: TestServer;
  let admin: Session;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    admin = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
  });
  afterAll(() => server?.close());

  async function memberSession(role: 'MEMBER' | 'VIEWER' | 'ADMIN' = 'MEMBER') {
    const user = await createUser(server, role);
    return { user, session: await loginSession(server, user.email, user.password) };
  }

  describe('user keys', () => {
    it('POST → 201 with the key, shown once; the key authenticates as its owner', async () => {
      const { user, session } = await memberSession();
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const response = await call(server, 'POST', '/v1/user/api_keys', {
        cookie: session,
        json: { data: { name: '  ci key ', description: 'for CI', expires_at: expiresAt } },
      });
      const body = await expectJson<{ data: KeyJson }>(response, 201);
      expect(body.data).toEqual({
        id: expect.any(String),
        name: 'ci key',
        description: 'for CI',
        created_at: expect.stringMatching(/^\d{4}-/),
        expires_at: expiresAt,
        key: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      });
      const who = await expectJson<{ data: { id: string; email: string } }>(
        await call(server, 'GET', '/v1/user', { bearer: body.data.key! }),
        200,
      );
      expect(who.data).toMatchObject({ id: user.globalId, email: user.email });
      const host = await expectJson<PrincipalBody>(
        await call(server, 'GET', '/v1/projects', { bearer: body.data.key! }),
        200,
      );
      expect(host.principal).toEqual({ kind: 'user_api_key', role: 'MEMBER', userId: user.id });
    });

    it('listing never shows the key', async () => {
      const { session } = await memberSession();
      const a = await createUserKey(server, session, { name: 'a' });
      const b = await createUserKey(server, session, { name: 'b' });
      const listed = await ownKeys(server, session);
      expect(listed.map((k) => k.id)).toEqual([b.id, a.id]);
      for (const key of listed) {
        expect(key).not.toHaveProperty('key');
        expect(JSON.stringify(key)).not.toContain(a.key);
        expect(JSON.stringify(key)).not.toContain(b.key);
      }
    });

    it('a key is not a cookie credential', async () => {
      const { session } = await memberSession();
      const created = await createUserKey(server, session);
      await expectError(
        await call(server, 'GET', '/v1/user', { cookie: `phoenix-access-token=${created.key}` }),
        401,
        'invalid_token',
        'Invalid token',
      );
    });

    it('a viewer manages own keys', async () => {
      const { session } = await memberSession('VIEWER');
      const created = await createUserKey(server, session);
      expect(await ownKeys(server, session)).toHaveLength(1);
      await expectStatus(await call(server, 'DELETE', `/v1/user/api_keys/${created.id}`, { cookie: session }), 204);
      expect(await ownKeys(server, session)).toHaveLength(0);
    });

    it('an API-key caller cannot create keys → 403 (user and system)', async () => {
      const { session } = await memberSession('ADMIN');
      const created = await createUserKey(server, session);
      await expectError(
        await call(server, 'POST', '/v1/user/api_keys', { bearer: created.key, json: { data: { name: 'minted' } } }),
        403,
        'forbidden',
        KEYS_CANNOT_MINT,
      );
      await expectError(
        await call(server, 'POST', '/v1/system/api_keys', { bearer: created.key, json: { data: { name: 'minted' } } }),
        403,
        'forbidden',
        KEYS_CANNOT_MINT,
      );
      expect(await ownKeys(server, session)).toHaveLength(1);
    });

    it('the admin secret cannot create a personal key → 403, and lists none', async () => {
      await expectError(
        await call(server, 'POST', '/v1/user/api_keys', { bearer: ADMIN_SECRET, json: { data: { name: 'x' } } }),
        403,
        'forbidden',
      );
      const listed = await expectJson<KeyPage>(
        await call(server, 'GET', '/v1/user/api_keys', { bearer: ADMIN_SECRET }),
        200,
      );
      expect(listed.data).toEqual([]);
    });

    it('someone else’s key and a missing key → the same 404 "API key not found"; the key keeps working', async () => {
      const owner = await memberSession();
      const other = await memberSession();
      const created = await createUserKey(server, owner.session);
      const foreign = await call(server, 'DELETE', `/v1/user/api_keys/${created.id}`, { cookie: other.session });
      const missing = await call(server, 'DELETE', `/v1/user/api_keys/${globalId('UserApiKey', 987654)}`, {
        cookie: other.session,
      });
      const foreignBody = await expectError(foreign, 404, 'not_found', 'API key not found');
      expect(await expectError(missing, 404, 'not_found', 'API key not found')).toEqual(foreignBody);
      await expectStatus(await call(server, 'GET', '/v1/user', { bearer: created.key }), 200);
      expect(await ownKeys(server, other.session)).toEqual([]);
    });

    it('an admin may delete anyone’s key', async () => {
      const owner = await memberSession();
      const created = await createUserKey(server, owner.session);
      await expectStatus(await call(server, 'DELETE', `/v1/user/api_keys/${created.id}`, { cookie: admin }), 204);
      await expectError(
        await call(server, 'GET', '/v1/user', { bearer: created.key }),
        401,
        'invalid_token',
        'Invalid token',
      );
    });

    it('delete → 204, then the key → 401 at once', async () => {
      const { session } = await memberSession();
      const created = await createUserKey(server, session);
      await expectStatus(await call(server, 'GET', '/v1/projects', { bearer: created.key }), 200);
      expect(
        await expectStatus(await call(server, 'DELETE', `/v1/user/api_keys/${created.id}`, { cookie: session }), 204),
      ).toBe('');
      await expectError(
        await call(server, 'GET', '/v1/projects', { bearer: created.key }),
        401,
        'invalid_token',
        'Invalid token',
      );
      await expectError(
        await call(server, 'DELETE', `/v1/user/api_keys/${created.id}`, { cookie: session }),
        404,
        'not_found',
        'API key not found',
      );
    });

    it('keys act with the owner’s LIVE role: demoted to VIEWER, the key’s POST /v1/projects is 403 at once', async () => {
      const { user, session } = await memberSession();
      const created = await createUserKey(server, session);
      const before = await expectJson<PrincipalBody>(
        await call(server, 'POST', '/v1/projects', { bearer: created.key }),
        201,
      );
      expect(before.principal.role).toBe('MEMBER');
      await expectStatus(
        await call(server, 'PATCH', `/v1/users/${user.globalId}`, { cookie: admin, json: { role: 'VIEWER' } }),
        200,
      );
      await expectError(
        await call(server, 'POST', '/v1/projects', { bearer: created.key }),
        403,
        'forbidden',
        'This action requires the MEMBER or ADMIN role: viewers have read-only access.',
      );
      const reading = await expectJson<PrincipalBody>(
        await call(server, 'GET', '/v1/projects', { bearer: created.key }),
        200,
      );
      expect(reading.principal).toEqual({ kind: 'user_api_key', role: 'VIEWER', userId: user.id });
      // Promoted to ADMIN: the key reaches admin-only routes, still at once.
      await expectStatus(
        await call(server, 'PATCH', `/v1/users/${user.globalId}`, { cookie: admin, json: { role: 'ADMIN' } }),
        200,
      );
      await expectStatus(await call(server, 'GET', '/v1/admin-report', { bearer: created.key }), 200);
    });

    it('deleting the owner kills the key', async () => {
      const { user, session } = await memberSession();
      const created = await createUserKey(server, session);
      await expectStatus(await call(server, 'GET', '/v1/user', { bearer: created.key }), 200);
      await expectStatus(await call(server, 'DELETE', `/v1/users/${user.globalId}`, { cookie: admin }), 204);
      await expectError(
        await call(server, 'GET', '/v1/user', { bearer: created.key }),
        401,
        'invalid_token',
        'Invalid token',
      );
    });

    it.each([
      ['expires_at in the past', { name: 'k', expires_at: new Date(Date.now() - 60_000).toISOString() }],
      ['expires_at not a date', { name: 'k', expires_at: 'tomorrow' }],
      ['no name', { description: 'nameless' }],
      ['a blank name', { name: '   ' }],
    ])('%s → 422, nothing created', async (_label, data) => {
      const { session } = await memberSession();
      await expectError(
        await call(server, 'POST', '/v1/user/api_keys', { cookie: session, json: { data } }),
        422,
        'invalid_input',
      );
      expect(await ownKeys(server, session)).toEqual([]);
    });

    it('a key past its expires_at → 401 "Expired token"', async () => {
      const { session } = await memberSession();
      const created = await createUserKey(server, session, {
        name: 'short',
        expires_at: new Date(Date.now() + 1200).toISOString(),
      });
      await expectStatus(await call(server, 'GET', '/v1/projects', { bearer: created.key }), 200);
      await sleep(1500);
      await expectError(
        await call(server, 'GET', '/v1/projects', { bearer: created.key }),
        401,
        'expired_token',
        'Expired token',
      );
    });

    it('GET /v1/users/api_keys: admin sees every user’s keys with their owner, no system keys; a member → 403', async () => {
      const { user, session } = await memberSession();
      const created = await createUserKey(server, session, { name: 'inventoried' });
      const system = await createSystemKey(server);
      const page = await expectJson<KeyPage>(
        await call(server, 'GET', '/v1/users/api_keys?limit=1000', { cookie: admin }),
        200,
      );
      const mine = page.data.find((k) => k.id === created.id);
      expect(mine).toMatchObject({
        name: 'inventoried',
        user: { id: user.globalId, username: user.username, email: user.email },
      });
      expect(mine).not.toHaveProperty('key');
      expect(page.data.map((k) => k.id)).not.toContain(system.id);
      await expectError(
        await call(server, 'GET', '/v1/users/api_keys', { cookie: session }),
        403,
        'forbidden',
        ADMIN_ONLY,
      );
    });

    it('GET /v1/users/api_keys paginates', async () => {
      const { session } = await memberSession();
      for (let i = 0; i < 3; i++) await createUserKey(server, session, { name: `page-${i}` });
      const first = await expectJson<KeyPage>(
        await call(server, 'GET', '/v1/users/api_keys?limit=2', { bearer: ADMIN_SECRET }),
        200,
      );
      expect(first.data).toHaveLength(2);
      expect(first.next_cursor).not.toBeNull();
      const second = await expectJson<KeyPage>(
        await call(server, 'GET', `/v1/users/api_keys?limit=2&cursor=${encodeURIComponent(first.next_cursor!)}`, {
          bearer: ADMIN_SECRET,
        }),
        200,
      );
      expect(second.data.length).toBeGreaterThan(0);
      expect(second.data.map((k) => k.id)).not.toContain(first.data[0]!.id);
      await expectError(
        await call(server, 'GET', '/v1/users/api_keys?limit=1001', { bearer: ADMIN_SECRET }),
        422,
        'invalid_input',
      );
    });
  });

  describe('system keys', () => {
    it('the admin secret creates one (201, key once); it is SYSTEM, not admin', async () => {
      const created = await createSystemKey(server, { name: 'ingest', description: 'collector' });
      const host = await expectJson<PrincipalBody>(
        await call(server, 'GET', '/v1/projects', { bearer: created.key }),
        200,
      );
      expect(host.principal).toEqual({
        kind: 'system_api_key',
        role: 'SYSTEM',
        userId: internalsOf(server.gatehouse).systemUserId,
      });
      // Not a viewer: writes are fine.
      await expectStatus(await call(server, 'POST', '/v1/traces', { bearer: created.key }), 201);
      await expectError(await call(server, 'GET', '/v1/users', { bearer: created.key }), 403, 'forbidden', ADMIN_ONLY);
      const listed = await expectJson<KeyPage>(
        await call(server, 'GET', '/v1/system/api_keys', { bearer: ADMIN_SECRET }),
        200,
      );
      const entry = listed.data.find((k) => k.id === created.id);
      expect(entry).toMatchObject({ name: 'ingest', description: 'collector' });
      expect(entry).not.toHaveProperty('key');
    });

    it('an admin session creates one; it is not among the admin’s personal keys', async () => {
      const body = await expectJson<{ data: KeyJson }>(
        await call(server, 'POST', '/v1/system/api_keys', { cookie: admin, json: { data: { name: 'by admin' } } }),
        201,
      );
      expect((await ownKeys(server, admin)).map((k) => k.id)).not.toContain(body.data.id);
    });

    it.each(['MEMBER', 'VIEWER'] as const)('a %s session → 403 on every system-key route', async (role) => {
      const { session } = await memberSession(role);
      const system = await createSystemKey(server);
      const write =
        role === 'VIEWER'
          ? 'This action requires the MEMBER or ADMIN role: viewers have read-only access.'
          : ADMIN_ONLY;
      await expectError(
        await call(server, 'GET', '/v1/system/api_keys', { cookie: session }),
        403,
        'forbidden',
        ADMIN_ONLY,
      );
      await expectError(
        await call(server, 'POST', '/v1/system/api_keys', { cookie: session, json: { data: { name: 'x' } } }),
        403,
        'forbidden',
        write,
      );
      await expectError(
        await call(server, 'DELETE', `/v1/system/api_keys/${system.id}`, { cookie: session }),
        403,
        'forbidden',
        write,
      );
      await expectStatus(await call(server, 'GET', '/v1/projects', { bearer: system.key }), 200);
    });

    it('a system key cannot create keys, lists no personal keys, and cannot delete personal keys', async () => {
      const system = await createSystemKey(server);
      await expectError(
        await call(server, 'POST', '/v1/system/api_keys', { bearer: system.key, json: { data: { name: 'x' } } }),
        403,
        'forbidden',
      );
      await expectError(
        await call(server, 'POST', '/v1/user/api_keys', { bearer: system.key, json: { data: { name: 'x' } } }),
        403,
        'forbidden',
      );
      const listed = await expectJson<KeyPage>(
        await call(server, 'GET', '/v1/user/api_keys', { bearer: system.key }),
        200,
      );
      expect(listed.data).toEqual([]);
      const { session } = await memberSession();
      const personal = await createUserKey(server, session);
      await expectError(
        await call(server, 'DELETE', `/v1/user/api_keys/${personal.id}`, { bearer: system.key }),
        403,
        'forbidden',
      );
      await expectStatus(await call(server, 'GET', '/v1/user', { bearer: personal.key }), 200);
    });

    it('the admin secret deletes one (204); the key → 401 at once; again → 404 "System API key not found"', async () => {
      const created = await createSystemKey(server);
      await expectStatus(await call(server, 'GET', '/v1/projects', { bearer: created.key }), 200);
      await expectStatus(
        await call(server, 'DELETE', `/v1/system/api_keys/${created.id}`, { bearer: ADMIN_SECRET }),
        204,
      );
      await expectError(
        await call(server, 'GET', '/v1/projects', { bearer: created.key }),
        401,
        'invalid_token',
        'Invalid token',
      );
      await expectError(
        await call(server, 'DELETE', `/v1/system/api_keys/${created.id}`, { cookie: admin }),
        404,
        'not_found',
        'System API key not found',
      );
    });

    it('expires_at in the past → 422', async () => {
      await expectError(
        await call(server, 'POST', '/v1/system/api_keys', {
          bearer: ADMIN_SECRET,
          json: { data: { name: 'old', expires_at: '2001-01-01T00:00:00' } },
        }),
        422,
        'invalid_input',
      );
    });

    it('a system key survives the deletion of the admin who created it', async () => {
      const { user, session } = await memberSession('ADMIN');
      const created = await expectJson<{ data: KeyJson }>(
        await call(server, 'POST', '/v1/system/api_keys', { cookie: session, json: { data: { name: 'kept' } } }),
        201,
      );
      await expectStatus(await call(server, 'DELETE', `/v1/users/${user.globalId}`, { cookie: admin }), 204);
      await expectStatus(await call(server, 'GET', '/v1/projects', { bearer: created.data.key! }), 200);
    });
  });
});
