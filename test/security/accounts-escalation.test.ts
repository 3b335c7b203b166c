/**
 * Privilege escalation from inside an account (docs/phoenix-contract.md#roles, #default-admin, #user-management, #api-key-routes, #rest-rule): extra
 * fields on the self-service route, the admin route on oneself, method-override tricks, SYSTEM in
 * every input that carries a role, the protected accounts, and someone else's API keys. Every
 * refusal is followed by a read that shows nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseAuthEnv } from '@gatehouse-auth/core';
import {
  ADAPTERS,
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
  idOf,
  login,
  loginSession,
  sessionOf,
  startServer,
  unique,
  userCount,
  type AssignableRole,
  type Session,
  type TestServer,
  type TestUser,
} from '../http/conformance/support.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

const ADMIN_ONLY = 'This action requires the ADMIN role.';
const VIEWERS_CANNOT = 'This action requires the MEMBER or ADMIN role: viewers have read-only access.';
const PROTECTED = 'Cannot delete the default admin or system user';
/** SYSTEM as an attacker would spell it; `ſ` (long s) upper-cases to `S`. */
const SYSTEM_SPELLINGS = ['SYSTEM', 'system', 'System', ' SYSTEM ', 'sYsTeM', '\tSYSTEM\n', 'ſystem'];
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-method-override', 'x-http-method'];

interface Actor {
  user: TestUser;
  session: Session;
  key: string;
}

describe.each(ADAPTERS)('%s: privilege escalation', (adapter) => {
  let server: TestServer;
  let admin: Session;
  let adminId: number;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    admin = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
    adminId = (await server.store.findUserByEmail(DEFAULT_ADMIN.email))!.id;
  });
  afterAll(() => server?.close());

  async function actor(role: AssignableRole): Promise<Actor> {
    const user = await createUser(server, role);
    const session = await loginSession(server, user.email, user.password);
    return { user, session, key: (await createUserKey(server, session)).key };
  }

  /** The actor's credentials as a browser session and as its own API key. */
  const credentials = (a: Actor) =>
    [
      ['session', { cookie: a.session }],
      ['API key', { bearer: a.key }],
    ] as const;

  async function roleOf(id: number): Promise<string | undefined> {
    return (await server.store.findUserById(id))?.role;
  }

  describe('PATCH /v1/user (self-service) carries no privileges', () => {
    it.each(['MEMBER', 'VIEWER'] as const)(
      'a %s’s role, e-mail and flags are not writable; only the username changes',
      async (role) => {
        const a = await actor(role);
        for (const [label, credential] of credentials(a)) {
          for (const wanted of ['ADMIN', ...SYSTEM_SPELLINGS]) {
            const alone = await call(server, 'PATCH', '/v1/user', { ...credential, json: { role: wanted } });
            expect(alone.status, `${label}: role ${JSON.stringify(wanted)} alone`).toBe(422);
            await alone.arrayBuffer();
          }
          const username = unique('self');
          const body = await expectJson<{ data: Record<string, unknown> }>(
            await call(server, 'PATCH', '/v1/user', {
              ...credential,
              json: {
                username,
                role: 'ADMIN',
                user_role: 'ADMIN',
                email: DEFAULT_ADMIN.email,
                id: globalId('User', adminId),
                auth_method: 'OAUTH2',
                password_needs_reset: false,
              },
            }),
            200,
          );
          expect(body.data, label).toMatchObject({
            id: a.user.globalId,
            username,
            role,
            email: a.user.email,
            auth_method: 'LOCAL',
            password_needs_reset: true,
          });
        }
        const stored = await server.store.findUserById(a.user.id);
        expect(stored).toMatchObject({ role, email: a.user.email, authMethod: 'LOCAL', resetPassword: true });
        expect((await server.store.findUserById(adminId))?.username).toBe('admin');
      },
    );
  });

  describe('the admin route on oneself or others, as a non-admin', () => {
    it.each(['MEMBER', 'VIEWER'] as const)(
      'a %s: PATCH /v1/users/{self|admin|missing} → 403, never a 404, nothing changes',
      async (role) => {
        const a = await actor(role);
        const message = role === 'VIEWER' ? VIEWERS_CANNOT : ADMIN_ONLY;
        const targets = [
          ['self', a.user.globalId],
          ['the default admin', globalId('User', adminId)],
          ['a missing user', globalId('User', 987_654)],
        ] as const;
        const adminHash = (await server.store.findUserById(adminId))?.passwordHash;
        for (const [label, credential] of credentials(a)) {
          for (const [target, id] of targets) {
            for (const body of [{ role: 'ADMIN' }, { username: unique('x') }, { password: 'taken-over-1' }]) {
              const response = await call(server, 'PATCH', `/v1/users/${id}`, { ...credential, json: body });
              expect(response.status, `${label} → ${target} ${JSON.stringify(body)}`).toBe(403);
              await expectError(response, 403, 'forbidden', message);
            }
          }
        }
        expect(await roleOf(a.user.id)).toBe(role);
        expect((await server.store.findUserById(a.user.id))?.username).toBe(a.user.username);
        expect((await server.store.findUserById(adminId))?.passwordHash).toBe(adminHash);
      },
    );
  });

  describe('method overrides', () => {
    let viewer: Actor;
    beforeAll(async () => {
      viewer = await actor('VIEWER');
    });

    const overridden = (method: string): Record<string, string> =>
      Object.fromEntries(OVERRIDE_HEADERS.map((h) => [h, method]));

    it.each([
      ['POST', '/v1/projects'],
      ['PUT', '/v1/projects/1'],
      ['DELETE', '/v1/projects/1'],
      ['POST', '/v1/traces'],
      ['DELETE', '/v1/datasets/1'],
      ['POST', '/v1/users'],
    ])('a viewer’s %s %s dressed up as a GET is still a write → 403', async (method, path) => {
      const count = await userCount(server);
      for (const [label, credential] of credentials(viewer)) {
        const response = await call(server, method, `${path}?_method=GET`, {
          ...credential,
          headers: overridden('GET'),
          json: path === '/v1/users' ? {} : undefined,
        });
        expect(response.status, label).toBe(403);
        await expectError(response, 403, 'forbidden', VIEWERS_CANNOT);
      }
      expect(await userCount(server)).toBe(count);
    });

    it.each(['POST', 'PUT', 'DELETE', 'PATCH'])(
      'a GET asking to be a %s is served as the GET it is',
      async (method) => {
        for (const [label, credential] of credentials(viewer)) {
          // The host's GET answers 200 with the principal; its POST would have answered 201.
          const projects = await call(server, 'GET', `/v1/projects?_method=${method}`, {
            ...credential,
            headers: overridden(method),
          });
          const body = await expectJson<{ principal: { role: string } }>(projects, 200);
          expect(body.principal.role, label).toBe('VIEWER');
          const me = await call(server, 'GET', `/v1/user?_method=${method}&username=overridden`, {
            ...credential,
            headers: overridden(method),
          });
          expect((await expectJson<{ data: { username: string } }>(me, 200)).data.username, label).toBe(
            viewer.user.username,
          );
        }
      },
    );

    it('a member’s POST on /v1/users/{id} asking to be a DELETE removes nobody', async () => {
      const member = await actor('MEMBER');
      const target = await createUser(server, 'MEMBER');
      for (const [label, credential] of credentials(member)) {
        for (const method of ['POST', 'GET']) {
          const response = await call(server, method, `/v1/users/${target.globalId}?_method=DELETE`, {
            ...credential,
            headers: overridden('DELETE'),
          });
          expect(response.status, `${label} ${method}`).toBeGreaterThanOrEqual(400);
          expect(response.status, `${label} ${method}`).toBeLessThan(500);
          await response.arrayBuffer();
        }
      }
      expect(await server.store.findUserById(target.id)).not.toBeNull();
      // Even the admin cannot turn a GET into a DELETE.
      const asAdmin = await call(server, 'GET', `/v1/users/${target.globalId}?_method=DELETE`, {
        cookie: admin,
        headers: overridden('DELETE'),
      });
      expect(asAdmin.status).not.toBe(204);
      await asAdmin.arrayBuffer();
      expect(await server.store.findUserById(target.id)).not.toBeNull();
    });
  });

  describe('SYSTEM in any role input', () => {
    it.each(SYSTEM_SPELLINGS.map((s) => [JSON.stringify(s), s] as const))(
      'POST /v1/users with role %s → 400, nobody created',
      async (_label, role) => {
        const count = await userCount(server);
        for (const authMethod of ['LOCAL', 'OAUTH2']) {
          const name = unique('sys');
          const response = await call(server, 'POST', '/v1/users', {
            bearer: ADMIN_SECRET,
            json: { user: { email: `${name}@example.com`, username: name, role, auth_method: authMethod } },
          });
          await expectError(response, 400, 'bad_request', 'Cannot create users with SYSTEM role');
        }
        expect(await userCount(server)).toBe(count);
      },
    );

    it.each([
      ['an array', ['SYSTEM']],
      ['an object', { name: 'SYSTEM' }],
      ['a number', 0],
    ])('POST /v1/users with role as %s → 422', async (_label, role) => {
      const name = unique('sys');
      await expectError(
        await call(server, 'POST', '/v1/users', {
          bearer: ADMIN_SECRET,
          json: { user: { email: `${name}@example.com`, username: name, role } },
        }),
        422,
        'invalid_input',
      );
    });

    it('PATCH /v1/users/{id} to SYSTEM, in every spelling, by an admin session or the admin secret → 400, role unchanged', async () => {
      const target = await createUser(server, 'MEMBER');
      for (const credential of [{ cookie: admin }, { bearer: ADMIN_SECRET }]) {
        for (const role of SYSTEM_SPELLINGS) {
          const response = await call(server, 'PATCH', `/v1/users/${target.globalId}`, {
            ...credential,
            json: { role },
          });
          await expectError(response, 400, 'bad_request', 'Cannot assign the SYSTEM role');
        }
      }
      expect(await roleOf(target.id)).toBe('MEMBER');
      sessionOf(await login(server, target.email, target.password));
    });

    it('the system user can be neither changed nor used to log in', async () => {
      const systemId = internalsOf(server.gatehouse).systemUserId!;
      const path = `/v1/users/${globalId('User', systemId)}`;
      const before = await server.store.findUserById(systemId);
      for (const body of [{ role: 'ADMIN' }, { username: 'not-system' }, { password: 'known-now-1' }]) {
        await expectError(
          await call(server, 'PATCH', path, { cookie: admin, json: body }),
          403,
          'forbidden',
          'The system user cannot be modified',
        );
        // The admin secret acts as the system user, and is told the same.
        await expectError(
          await call(server, 'PATCH', path, { bearer: ADMIN_SECRET, json: body }),
          403,
          'forbidden',
          'The system user cannot be modified',
        );
      }
      expect(await server.store.findUserById(systemId)).toEqual(before);
      await expectError(
        await login(server, 'system@localhost', 'anything'),
        401,
        'invalid_credentials',
        'Invalid email and/or password',
      );
    });
  });

  describe('one’s own role', () => {
    it('no admin changes their own role, by session, by API key, to any value', async () => {
      const other = await actor('ADMIN');
      const defaultAdmin = {
        user: { id: adminId, globalId: globalId('User', adminId) },
        session: admin,
        key: (await createUserKey(server, admin)).key,
      };
      for (const a of [other, defaultAdmin]) {
        for (const [label, credential] of [
          ['session', { cookie: a.session }],
          ['API key', { bearer: a.key }],
        ] as const) {
          for (const role of ['MEMBER', 'VIEWER', 'ADMIN', 'admin']) {
            const response = await call(server, 'PATCH', `/v1/users/${a.user.globalId}`, {
              ...credential,
              json: { role },
            });
            expect(response.status, `${label} → ${role}`).toBe(403);
            await expectError(response, 403, 'forbidden', 'Cannot modify own role');
          }
          // Nor their own password through the admin route, which skips the current-password check.
          await expectError(
            await call(server, 'PATCH', `/v1/users/${a.user.globalId}`, {
              ...credential,
              json: { password: 'no-check-1' },
            }),
            403,
            'forbidden',
          );
        }
        expect(await roleOf(a.user.id)).toBe('ADMIN');
      }
    });
  });

  describe('protected accounts', () => {
    it('the default admin and the system user cannot be deleted by any admin credential, themselves included', async () => {
      const other = await actor('ADMIN');
      const ids = [adminId, internalsOf(server.gatehouse).systemUserId!];
      const adminKey = (await createUserKey(server, admin)).key;
      const callers = [
        ['another admin (session)', { cookie: other.session }],
        ['another admin (API key)', { bearer: other.key }],
        ['the admin secret', { bearer: ADMIN_SECRET }],
        ['the default admin itself (session)', { cookie: admin }],
        ['the default admin itself (API key)', { bearer: adminKey }],
      ] as const;
      for (const [label, credential] of callers) {
        for (const id of ids)
          await expectError(
            await call(server, 'DELETE', `/v1/users/${globalId('User', id)}`, credential),
            403,
            'forbidden',
            PROTECTED,
          ).catch((e: unknown) => {
            throw new Error(`${label} deleting ${id}: ${String(e)}`);
          });
      }
      for (const id of ids) expect(await server.store.findUserById(id), String(id)).not.toBeNull();
    });

    it('renaming the default admin does not unprotect it (the guard also keys on the e-mail)', async () => {
      const path = `/v1/users/${globalId('User', adminId)}`;
      await expectStatus(
        await call(server, 'PATCH', path, { bearer: ADMIN_SECRET, json: { username: unique('renamed-admin') } }),
        200,
      );
      try {
        await expectError(await call(server, 'DELETE', path, { bearer: ADMIN_SECRET }), 403, 'forbidden', PROTECTED);
        await expectError(
          await call(server, 'PATCH', path, { bearer: ADMIN_SECRET, json: { role: 'VIEWER' } }),
          403,
          'forbidden',
          'Cannot modify role for the default admin user',
        );
        expect(await roleOf(adminId)).toBe('ADMIN');
      } finally {
        await expectStatus(
          await call(server, 'PATCH', path, { bearer: ADMIN_SECRET, json: { username: 'admin' } }),
          200,
        );
      }
    });
  });

  describe('someone else’s API keys', () => {
    it.each(['MEMBER', 'VIEWER'] as const)(
      'a %s’s key or session deleting another user’s key → 404 like a missing key; the key lives',
      async (role) => {
        const a = await actor(role);
        const b = await actor('MEMBER');
        const bKey = await createUserKey(server, b.session, { name: 'b' });
        const missing = await call(server, 'DELETE', `/v1/user/api_keys/${globalId('UserApiKey', 987_654)}`, {
          bearer: a.key,
        });
        const missingBody = await expectError(missing, 404, 'not_found', 'API key not found');
        for (const [label, credential] of credentials(a)) {
          const response = await call(server, 'DELETE', `/v1/user/api_keys/${bKey.id}`, credential);
          expect(response.status, label).toBe(404);
          expect(await expectError(response, 404, 'not_found', 'API key not found'), label).toEqual(missingBody);
        }
        await expectStatus(await call(server, 'GET', '/v1/user', { bearer: bKey.key }), 200);
        expect(await server.store.findApiKey(idOf(bKey.id))).not.toBeNull();
      },
    );

    it('a member cannot delete a system key: 403 on its route, 404 through the personal route, 422 with its id type there', async () => {
      const a = await actor('MEMBER');
      const system = await createSystemKey(server);
      const asUserKeyId = globalId('UserApiKey', idOf(system.id));
      for (const [label, credential] of credentials(a)) {
        await expectError(
          await call(server, 'DELETE', `/v1/system/api_keys/${system.id}`, credential),
          403,
          'forbidden',
          ADMIN_ONLY,
        ).catch((e: unknown) => {
          throw new Error(`${label}: ${String(e)}`);
        });
        await expectError(
          await call(server, 'DELETE', `/v1/user/api_keys/${asUserKeyId}`, credential),
          404,
          'not_found',
          'API key not found',
        );
        await expectError(
          await call(server, 'DELETE', `/v1/user/api_keys/${system.id}`, credential),
          422,
          'invalid_input',
        );
      }
      await expectStatus(await call(server, 'GET', '/v1/projects', { bearer: system.key }), 200);
      expect(await server.store.findApiKey(idOf(system.id))).not.toBeNull();
    });
  });
});

describe('SYSTEM through configuration', () => {
  it.each(['Root:SYSTEM', 'Root:system', 'Root: System ', 'Owner:ADMIN,Root:sYsTeM'])(
    'ROLE_MAPPING %j is refused at start-up',
    (mapping) => {
      let error: unknown;
      try {
        parseAuthEnv({
          PHOENIX_ENABLE_AUTH: 'true',
          PHOENIX_SECRET: 'secret0for0tests0abcdefghijklmnop0123',
          PHOENIX_OAUTH2_ACME_CLIENT_ID: 'client',
          PHOENIX_OAUTH2_ACME_CLIENT_SECRET: 'client-secret',
          PHOENIX_OAUTH2_ACME_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
          PHOENIX_OAUTH2_ACME_ROLE_ATTRIBUTE_PATH: 'role',
          PHOENIX_OAUTH2_ACME_ROLE_MAPPING: mapping,
        });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.message).join('\n')).toContain(
        'SYSTEM role cannot be assigned via OAuth2',
      );
    },
  );

  it('PHOENIX_ADMINS cannot name the system user’s e-mail (it is no valid address)', () => {
    expect(() =>
      parseAuthEnv({
        PHOENIX_ENABLE_AUTH: 'true',
        PHOENIX_SECRET: 'secret0for0tests0abcdefghijklmnop0123',
        PHOENIX_ADMINS: 'ops=system@localhost',
      }),
    ).toThrow(ConfigError);
  });

  it('PHOENIX_ADMINS naming the system user’s username creates and promotes nobody', async () => {
    const server = await startServer(ADAPTERS[0]!, {
      ...NO_RATE_LIMIT,
      PHOENIX_ADMINS: 'system=ops@example.com;SYSTEM=root@example.com',
    });
    try {
      const system = await server.store.findUserById(internalsOf(server.gatehouse).systemUserId!);
      expect(system).toMatchObject({ username: 'system', email: 'system@localhost', role: 'SYSTEM' });
      expect(await server.store.findUserByEmail('ops@example.com')).toBeNull();
      // A different name is a different person: an ordinary admin, not the system identity.
      const root = await server.store.findUserByEmail('root@example.com');
      expect(root).toMatchObject({ username: 'SYSTEM', role: 'ADMIN' });
      expect(await server.store.countUsersByRole('SYSTEM')).toBe(1);
      await expectStatus(
        await call(server, 'DELETE', `/v1/users/${globalId('User', root!.id)}`, { bearer: ADMIN_SECRET }),
        204,
      );
    } finally {
      await server.close();
    }
  });
});
