/**
 * The adapter trust boundary on every adapter: public URLs come from configuration only (never
 * `Host`, `Referer` or `X-Forwarded-*`), requests for host names the deployment does not serve are
 * refused (DNS rebinding), the well-known accounts are protected by identity and own their names,
 * and a system key on the personal key routes is refused before its id is read. Each test tries the
 * attack; requests that fetch cannot send (a chosen `Host`, absolute-form) go over a raw socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../oauth2/provider.js';
import { rawRequest, type RawAnswer } from '../support/raw-http.js';
import {
  ADAPTERS,
  ADMIN_SECRET,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  call,
  createSystemKey,
  createUser,
  expectError,
  expectJson,
  expectStatus,
  loginSession,
  resetLink,
  startServer,
  waitForMail,
  type TestServer,
} from './conformance/support.js';

const portOf = (server: TestServer): number => Number(new URL(server.url).port);

function jsonOf(answer: RawAnswer): { error?: { code: string; message: string } } {
  return JSON.parse(answer.body) as { error?: { code: string; message: string } };
}

function raw(
  server: TestServer,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  json?: unknown,
): Promise<RawAnswer> {
  return rawRequest(portOf(server), {
    method,
    target,
    headers: json === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
}

let provider: TestProvider;
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => {
  await provider?.close();
});

describe.each(ADAPTERS)('%s: the adapter trust boundary', (adapter) => {
  describe('default configuration (no root URL, host check on)', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        PHOENIX_CSRF_TRUSTED_ORIGINS: 'https://trusted.example.com',
      });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('an absolute-form target is decided on its path: a member PUT on an admin route → 403', async () => {
      const member = await createUser(server, 'MEMBER');
      const session = await loginSession(server, member.email, member.password);
      const cookie = { Cookie: session.cookie };
      expect((await raw(server, 'PUT', '/v1/projects/1', cookie)).status).toBe(403);
      const absolute = await raw(server, 'PUT', `http://127.0.0.1:${portOf(server)}/v1/projects/1`, cookie);
      expect(absolute.status).toBe(403);
      expect(jsonOf(absolute).error?.code).toBe('forbidden');
      // The same target form still works where the role allows it.
      expect((await raw(server, 'GET', `http://127.0.0.1:${portOf(server)}/v1/projects/1`, cookie)).status).toBe(200);
    });

    it('a reset request for a host name it does not serve → 421 and no mail; the token is never created', async () => {
      const user = await createUser(server, 'MEMBER');
      const before = server.mails.length;
      const answer = await raw(
        server,
        'POST',
        '/auth/password-reset-email',
        { Host: 'evil.example' },
        { email: user.email },
      );
      expect(answer.status).toBe(421);
      expect(jsonOf(answer).error?.code).toBe('host_not_allowed');
      expect(jsonOf(answer).error?.message).toContain('PHOENIX_ROOT_URL');
      await new Promise((done) => setTimeout(done, 300));
      expect(server.mails.length).toBe(before);
    });

    it('DNS rebinding: Host and Origin both rebind.evil.example cannot log in nor read a guarded route (421)', async () => {
      const hostile = { Host: 'rebind.evil.example:6006', Origin: 'http://rebind.evil.example:6006' };
      const loginAnswer = await raw(server, 'POST', '/auth/login', hostile, {
        email: DEFAULT_ADMIN.email,
        password: DEFAULT_ADMIN.password,
      });
      expect(loginAnswer.status).toBe(421);
      expect(loginAnswer.headers['set-cookie']).toBeUndefined();
      const guarded = await raw(server, 'GET', '/v1/projects', { ...hostile, Authorization: `Bearer ${ADMIN_SECRET}` });
      expect(guarded.status).toBe(421);
      // Gatehouse's own /v1 routes and unknown auth paths too, before any route runs.
      expect(
        (await raw(server, 'GET', '/v1/user', { ...hostile, Authorization: `Bearer ${ADMIN_SECRET}` })).status,
      ).toBe(421);
      expect((await raw(server, 'GET', '/auth/nothing-here', hostile)).status).toBe(421);
    });

    it('IP literals, localhost and *.localhost are served without configuration', async () => {
      const bearer = { Authorization: `Bearer ${ADMIN_SECRET}` };
      for (const host of [
        '127.0.0.1:6006',
        '10.0.0.5:6006',
        '[::1]:6006',
        'localhost',
        'LOCALHOST:3000',
        'app.localhost',
        'localhost.',
      ]) {
        expect((await raw(server, 'GET', '/v1/projects', { ...bearer, Host: host })).status, host).toBe(200);
      }
      for (const host of ['localhost.evil.example', 'evil.example', '127.0.0.1.nip.io']) {
        expect((await raw(server, 'GET', '/v1/projects', { ...bearer, Host: host })).status, host).toBe(421);
      }
      // A Host that is no host name at all: refused too (@hono/node-server already answers 400).
      for (const host of ['not a host', '[::1']) {
        expect([400, 421], host).toContain(
          (await raw(server, 'GET', '/v1/projects', { ...bearer, Host: host })).status,
        );
      }
    });

    it('a system key on DELETE /v1/user/api_keys/{id} hears 403 before its id is parsed', async () => {
      const key = await createSystemKey(server);
      await expectError(
        await call(server, 'DELETE', '/v1/user/api_keys/not-an-id', { bearer: key.key }),
        403,
        'forbidden',
      );
      await expectError(
        await call(server, 'DELETE', '/v1/user/api_keys/VXNlckFwaUtleTox', { bearer: key.key }),
        403,
        'forbidden',
      );
    });

    it('the names admin and system are reserved: renaming into them or creating them → 409, the default admin keeps its protection when renamed', async () => {
      const adminSession = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password);
      await expectStatus(
        await call(server, 'PATCH', '/v1/user', { cookie: adminSession, json: { username: 'boss' } }),
        200,
      );
      const member = await createUser(server, 'MEMBER');
      const memberSession = await loginSession(server, member.email, member.password);
      for (const name of ['admin', 'Admin', 'SYSTEM']) {
        await expectError(
          await call(server, 'PATCH', '/v1/user', { cookie: memberSession, json: { username: name } }),
          409,
          'reserved_username',
        );
        await expectError(
          await call(server, 'PATCH', `/v1/users/${member.globalId}`, {
            bearer: ADMIN_SECRET,
            json: { username: name },
          }),
          409,
          'reserved_username',
        );
        await expectError(
          await call(server, 'POST', '/v1/users', {
            bearer: ADMIN_SECRET,
            json: {
              user: { email: `${name}-x@example.com`, username: name, role: 'VIEWER', auth_method: 'LOCAL' },
              send_welcome_email: false,
            },
          }),
          409,
          'reserved_username',
        );
      }
      // The renamed default admin is still the default admin: it cannot be deleted or demoted.
      const admin = await server.store.findUserByEmail(DEFAULT_ADMIN.email);
      const adminId = Buffer.from(`User:${admin!.id}`).toString('base64');
      await expectError(
        await call(server, 'DELETE', `/v1/users/${adminId}`, { bearer: ADMIN_SECRET }),
        403,
        'forbidden',
      );
      await expectError(
        await call(server, 'PATCH', `/v1/users/${adminId}`, { bearer: ADMIN_SECRET, json: { role: 'MEMBER' } }),
        403,
        'forbidden',
      );
      // A member is not protected by a name: the admin can delete it.
      await expectStatus(await call(server, 'DELETE', `/v1/users/${member.globalId}`, { bearer: ADMIN_SECRET }), 204);
      // The default admin may take its own name back.
      await expectStatus(
        await call(server, 'PATCH', '/v1/user', { cookie: adminSession, json: { username: 'admin' } }),
        200,
      );
    });
  });

  describe('host check off (GATEHOUSE_ALLOWED_HOSTS=*): links still never follow Host, Referer or X-Forwarded-*', () => {
    let server: TestServer;
    const idp = (): Record<string, string> => ({
      PHOENIX_OAUTH2_ACME_CLIENT_ID: provider.clients.basic.id,
      PHOENIX_OAUTH2_ACME_CLIENT_SECRET: provider.clients.basic.secret,
      PHOENIX_OAUTH2_ACME_OIDC_CONFIG_URL: provider.discoveryUrl,
    });
    beforeAll(async () => {
      server = await startServer(adapter, { ...NO_RATE_LIMIT, GATEHOUSE_ALLOWED_HOSTS: '*', ...idp() });
    });
    afterAll(async () => {
      await server?.close();
    });

    const hostile = {
      Host: 'evil.example',
      Referer: 'https://evil.example/phish',
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'https',
    };

    it('the reset link is the configured public URL whatever Host says', async () => {
      const user = await createUser(server, 'MEMBER');
      const before = server.mails.length;
      expect((await raw(server, 'POST', '/auth/password-reset-email', hostile, { email: user.email })).status).toBe(
        204,
      );
      const link = resetLink(await waitForMail(server, user.email, before));
      expect(link.origin).toBe(new URL(server.url).origin);
      expect(link.toString()).not.toContain('evil.example');
    });

    it('the OAuth2 redirect_uri and the state origin are the configured public URL', async () => {
      const answer = await raw(server, 'GET', '/oauth2/acme/login', hostile);
      expect(answer.status).toBe(302);
      const location = new URL(answer.headers.location ?? '');
      expect(location.searchParams.get('redirect_uri')).toBe(`${new URL(server.url).origin}/oauth2/acme/tokens`);
      const state = location.searchParams.get('state') ?? '';
      const payload = JSON.parse(Buffer.from(state.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      expect(JSON.stringify(payload)).not.toContain('evil.example');
    });
  });

  describe('PHOENIX_ROOT_URL and GATEHOUSE_ALLOWED_HOSTS', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, {
        ...NO_RATE_LIMIT,
        PHOENIX_ROOT_URL: 'https://phoenix.example.com/',
        GATEHOUSE_ALLOWED_HOSTS: 'phoenix.internal, .corp.example',
      });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("serves the root URL's host, the listed names and their subdomains; refuses the rest", async () => {
      const bearer = { Authorization: `Bearer ${ADMIN_SECRET}` };
      for (const host of [
        'phoenix.example.com',
        'PHOENIX.example.com:443',
        'phoenix.internal:6006',
        'a.corp.example',
        'b.a.corp.example',
      ]) {
        expect((await raw(server, 'GET', '/v1/projects', { ...bearer, Host: host })).status, host).toBe(200);
      }
      for (const host of ['example.com', 'corp.example.evil', 'evilcorp.example', 'phoenix.internal.evil']) {
        expect((await raw(server, 'GET', '/v1/projects', { ...bearer, Host: host })).status, host).toBe(421);
      }
    });

    it('the reset link starts with PHOENIX_ROOT_URL (without its trailing slash)', async () => {
      const user = await createUser(server, 'MEMBER');
      const before = server.mails.length;
      expect(
        (await raw(server, 'POST', '/auth/password-reset-email', { Host: 'phoenix.internal' }, { email: user.email }))
          .status,
      ).toBe(204);
      const link = resetLink(await waitForMail(server, user.email, before));
      expect(link.toString().startsWith('https://phoenix.example.com/reset-password-with-token?token=')).toBe(true);
    });

    it('a guarded route answers only for the allowed names, and the body says which settings to use', async () => {
      const answer = await raw(server, 'GET', '/v1/projects', {
        Host: 'evil.example',
        Authorization: `Bearer ${ADMIN_SECRET}`,
      });
      expect(answer.status).toBe(421);
      const { error } = jsonOf(answer);
      expect(error?.message).toMatch(/PHOENIX_ROOT_URL.*GATEHOUSE_ALLOWED_HOSTS/);
      expect(answer.body).not.toContain('evil.example');
      await expectJson(await call(server, 'GET', '/v1/user', { bearer: ADMIN_SECRET }), 200);
    });
  });
});
