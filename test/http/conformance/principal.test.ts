/**
 * The principal a host handler receives, on every adapter: id and GlobalID, username, e-mail, role,
 * auth method and credential kind, right after `authenticate`, and kept current when the user is
 * renamed (the change evicts the cached principal). Denials say what happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  ADMIN_SECRET,
  call,
  createSystemKey,
  createUser,
  createUserKey,
  expectError,
  expectJson,
  loginSession,
  startServer,
  type TestServer,
} from './support.js';

type Whoami = { principal: Record<string, unknown> };

describe.each(ADAPTERS)('%s: the principal and the messages', (adapter) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(adapter);
  });
  afterAll(() => server?.close());

  it('a session and a user key carry the user; the admin secret and a system key carry the system user', async () => {
    const member = await createUser(server, 'MEMBER');
    const session = await loginSession(server, member.email, member.password);
    const identity = {
      userId: member.id,
      userGlobalId: member.globalId,
      username: member.username,
      email: member.email,
      authMethod: 'LOCAL',
      role: 'MEMBER',
    };
    expect(
      (await expectJson<Whoami>(await call(server, 'GET', '/v1/whoami', { cookie: session }), 200)).principal,
    ).toMatchObject({ kind: 'session', ...identity });
    const key = await createUserKey(server, session);
    expect(
      (await expectJson<Whoami>(await call(server, 'GET', '/v1/whoami', { bearer: key.key }), 200)).principal,
    ).toMatchObject({ kind: 'user_api_key', ...identity });

    const system = { username: 'system', email: 'system@localhost', role: 'SYSTEM', authMethod: 'LOCAL' };
    expect(
      (await expectJson<Whoami>(await call(server, 'GET', '/v1/whoami', { bearer: ADMIN_SECRET }), 200)).principal,
    ).toMatchObject({ kind: 'admin_secret', ...system });
    const systemKey = await createSystemKey(server);
    expect(
      (await expectJson<Whoami>(await call(server, 'GET', '/v1/whoami', { bearer: systemKey.key }), 200)).principal,
    ).toMatchObject({ kind: 'system_api_key', ...system });
  });

  it('a username change reaches the next request of every credential of that user', async () => {
    const member = await createUser(server, 'MEMBER');
    const session = await loginSession(server, member.email, member.password);
    const key = await createUserKey(server, session);
    // Both cached now.
    await expectJson(await call(server, 'GET', '/v1/whoami', { cookie: session }), 200);
    await expectJson(await call(server, 'GET', '/v1/whoami', { bearer: key.key }), 200);
    const renamed = `${member.username}-renamed`;
    await expectJson(await call(server, 'PATCH', '/v1/user', { cookie: session, json: { username: renamed } }), 200);
    for (const credentials of [{ cookie: session }, { bearer: key.key }]) {
      expect(
        (await expectJson<Whoami>(await call(server, 'GET', '/v1/whoami', credentials), 200)).principal,
      ).toMatchObject({ username: renamed });
    }
  });

  it('no credential → "Authentication required"; a system key on an admin route → the role it needs', async () => {
    await expectError(await call(server, 'GET', '/v1/whoami'), 401, 'unauthenticated', 'Authentication required');
    const systemKey = await createSystemKey(server);
    await expectError(
      await call(server, 'DELETE', '/v1/projects/p-1', { bearer: systemKey.key }),
      403,
      'forbidden',
      'This action requires the ADMIN role.',
    );
    const viewer = await createUser(server, 'VIEWER');
    const session = await loginSession(server, viewer.email, viewer.password);
    await expectError(
      await call(server, 'POST', '/v1/projects', { cookie: session, json: {} }),
      403,
      'forbidden',
      'This action requires the MEMBER or ADMIN role: viewers have read-only access.',
    );
  });
});
