/**
 * Second factors over real HTTP on every adapter: TOTP enrolment, the login challenge, recovery
 * codes, the role policy (composed with the default admin's forced password change), the admin
 * reset, and the attacks: a challenge token used as a session, a session used as a challenge, a
 * replayed code, code guessing against the lockout and the per-address rate limit.
 */
import { totpCodeAt } from '../../../packages/core/src/mfa/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_COOKIE,
  ADAPTERS_AND_STORES,
  ADMIN_SECRET,
  DEFAULT_ADMIN,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createUser,
  expectDeletedCookie,
  expectError,
  expectJson,
  expectStatus,
  login,
  loginSession,
  setCookie,
  setCookiesOf,
  startServer,
  type Session,
  type TestServer,
  type TestUser,
} from './support.js';

const MFA_COOKIE = 'phoenix-mfa-challenge';
const STEP = 30_000;
const MFA_ENV = {
  GATEHOUSE_ENCRYPTION_KEY: 'http-mfa-encryption-key-0123456789ab',
  GATEHOUSE_MFA_REQUIRED_ROLES: 'ADMIN,MEMBER',
};

interface Challenge {
  mfa_required: true;
  purpose: 'verify' | 'enroll';
  mfa_token: string;
  expires_at: string;
  methods: string[];
}

async function challengeOf(
  server: TestServer,
  user: { email: string; password: string },
  purpose: Challenge['purpose'] = 'verify',
): Promise<Challenge> {
  const response = await login(server, user.email, user.password);
  expect(setCookiesOf(response).map((c) => c.name)).toEqual([MFA_COOKIE]);
  const body = await expectJson<Challenge>(response, 200);
  expect(body).toMatchObject({ mfa_required: true, purpose });
  return body;
}

function sessionFrom(response: Response): Session {
  const access = setCookie(response, ACCESS_COOKIE).value;
  const refresh = setCookie(response, REFRESH_COOKIE).value;
  expectDeletedCookie(response, MFA_COOKIE);
  return { access, refresh, cookie: `${ACCESS_COOKIE}=${access}; ${REFRESH_COOKIE}=${refresh}` };
}

function verify(server: TestServer, json: Record<string, unknown>, cookie?: string): Promise<Response> {
  return call(server, 'POST', '/auth/mfa/verify', { json, ...(cookie === undefined ? {} : { cookie }) });
}

/** A viewer (not required to have a factor) who enrols from settings; returns the secret and codes. */
async function enrolledViewer(server: TestServer): Promise<{ user: TestUser; secret: string; codes: string[] }> {
  const user = await createUser(server, 'VIEWER');
  const session = await loginSession(server, user.email, user.password);
  const start = await expectJson<{ data: { secret: string; otpauth_uri: string; qr_svg: string } }>(
    await call(server, 'POST', '/v1/user/mfa/totp', { cookie: session }),
    200,
  );
  const confirmed = await expectJson<{ data: { recovery_codes: string[] } }>(
    await call(server, 'POST', '/v1/user/mfa/totp/confirm', {
      cookie: session,
      json: { code: totpCodeAt(start.data.secret, Date.now()) },
    }),
    200,
  );
  return { user, secret: start.data.secret, codes: confirmed.data.recovery_codes };
}

describe.each(ADAPTERS_AND_STORES)('%s on %s: second factors', (adapter, store) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT, ...MFA_ENV }, { store });
  });
  afterAll(() => server?.close());

  it('enrols from settings (QR code, manual key, confirmation), then asks for the code at login', async () => {
    const user = await createUser(server, 'VIEWER');
    const session = await loginSession(server, user.email, user.password);
    const status = await expectJson<{ data: Record<string, unknown> }>(
      await call(server, 'GET', '/v1/user/mfa', { cookie: session }),
      200,
    );
    expect(status.data).toEqual({
      available: true,
      required: false,
      totp: { enrolled: false, confirmed_at: null },
      recovery_codes_remaining: 0,
      passkeys: 0,
    });
    const start = await expectJson<{ data: { secret: string; otpauth_uri: string; qr_svg: string } }>(
      await call(server, 'POST', '/v1/user/mfa/totp', { cookie: session }),
      200,
    );
    expect(start.data.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(start.data.otpauth_uri).toContain(`secret=${start.data.secret}`);
    expect(start.data.qr_svg).toMatch(/^<svg/);
    await expectError(
      await call(server, 'POST', '/v1/user/mfa/totp/confirm', { cookie: session, json: { code: '000000' } }),
      401,
      'invalid_mfa_code',
    );
    const confirmed = await expectJson<{ data: { recovery_codes: string[] } }>(
      await call(server, 'POST', '/v1/user/mfa/totp/confirm', {
        cookie: session,
        json: { code: totpCodeAt(start.data.secret, Date.now()) },
      }),
      200,
    );
    expect(confirmed.data.recovery_codes).toHaveLength(10);

    const challenge = await challengeOf(server, user);
    expect(challenge.methods).toEqual(['totp', 'recovery_code']);
    const cookie = setCookie(await login(server, user.email, user.password), MFA_COOKIE);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(Number(cookie.attributes.get('max-age'))).toBeLessThanOrEqual(300);
    // The page flow: the challenge travels in its cookie only. The next step's code (the one just used
    // for confirmation is spent).
    const code = totpCodeAt(start.data.secret, Date.now() + STEP);
    const done = await verify(server, { code }, `${MFA_COOKIE}=${cookie.value}`);
    const body = await expectJson<{ data: { method: string; recovery_codes_remaining: number } }>(done.clone(), 200);
    expect(body.data).toEqual({ method: 'totp', recovery_codes_remaining: 10 });
    const signedIn = sessionFrom(done);
    const me = await expectJson<{ data: { email: string } }>(
      await call(server, 'GET', '/v1/user', { cookie: signedIn }),
      200,
    );
    expect(me.data.email).toBe(user.email);
    // The same code again, on a fresh challenge: a replay.
    await expectError(await verify(server, { mfa_token: challenge.mfa_token, code }), 401, 'invalid_mfa_code');
  });

  it('refuses a challenge token as a session, a session as a challenge, and a used challenge', async () => {
    const { user, codes } = await enrolledViewer(server);
    const challenge = await challengeOf(server, user);
    await expectError(await call(server, 'GET', '/v1/user', { bearer: challenge.mfa_token }), 401, 'invalid_token');
    await expectError(
      await call(server, 'GET', '/v1/user', { cookie: `${ACCESS_COOKIE}=${challenge.mfa_token}` }),
      401,
      'invalid_token',
    );
    await expectError(
      await call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${challenge.mfa_token}` }),
      401,
      'invalid_token',
    );
    const other = await loginSession(server, DEFAULT_ADMIN.email, DEFAULT_ADMIN.password).catch(() => null);
    expect(other).toBeNull(); // the default admin's role requires a factor: no session from a password alone
    const someone = await createUser(server, 'VIEWER');
    const session = await loginSession(server, someone.email, someone.password);
    for (const wrong of [session.access, session.refresh, 'not-a-token']) {
      await expectError(await verify(server, { mfa_token: wrong, recovery_code: codes[0] }), 401, 'invalid_token');
    }
    await expectError(await verify(server, { recovery_code: codes[0] }), 401, 'invalid_token');
    sessionFrom(await verify(server, { mfa_token: challenge.mfa_token, recovery_code: codes[0] }));
    await expectError(
      await verify(server, { mfa_token: challenge.mfa_token, recovery_code: codes[1] }),
      401,
      'invalid_token',
    );
  });

  it('accepts a recovery code once and refuses it the second time', async () => {
    const { user, codes } = await enrolledViewer(server);
    const first = await verify(server, {
      mfa_token: (await challengeOf(server, user)).mfa_token,
      recovery_code: codes[2],
    });
    expect(
      (await expectJson<{ data: { method: string; recovery_codes_remaining: number } }>(first.clone(), 200)).data,
    ).toEqual({
      method: 'recovery_code',
      recovery_codes_remaining: 9,
    });
    await expectError(
      await verify(server, { mfa_token: (await challengeOf(server, user)).mfa_token, recovery_code: codes[2] }),
      401,
      'invalid_mfa_code',
    );
  });

  it('locks the account after the configured number of wrong codes, even for the right one', async () => {
    const { user, secret } = await enrolledViewer(server);
    const challenge = await challengeOf(server, user);
    for (let i = 0; i < 5; i++)
      await expectError(
        await verify(server, { mfa_token: challenge.mfa_token, code: '000000' }),
        401,
        'invalid_mfa_code',
      );
    const locked = await verify(server, {
      mfa_token: challenge.mfa_token,
      code: totpCodeAt(secret, Date.now() + STEP),
    });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectError(locked, 429, 'too_many_login_attempts');
    await expectError(await login(server, user.email, user.password), 429, 'too_many_login_attempts');
  });

  it('sends required roles to enrol inside the login; the default admin then still changes its password', async () => {
    const challenge = await challengeOf(server, DEFAULT_ADMIN, 'enroll');
    expect(challenge.methods).toEqual([]);
    await expectError(await verify(server, { mfa_token: challenge.mfa_token, code: '123456' }), 401, 'invalid_token');
    const start = await expectJson<{ data: { secret: string; qr_svg: string } }>(
      await call(server, 'POST', '/auth/mfa/enroll', { json: { mfa_token: challenge.mfa_token } }),
      200,
    );
    expect(start.data.qr_svg).toMatch(/^<svg/);
    await expectError(
      await call(server, 'POST', '/auth/mfa/enroll/confirm', {
        json: { mfa_token: challenge.mfa_token, code: '000000' },
      }),
      401,
      'invalid_mfa_code',
    );
    const done = await call(server, 'POST', '/auth/mfa/enroll/confirm', {
      json: { mfa_token: challenge.mfa_token, code: totpCodeAt(start.data.secret, Date.now()) },
    });
    expect(
      (await expectJson<{ data: { recovery_codes: string[] } }>(done.clone(), 200)).data.recovery_codes,
    ).toHaveLength(10);
    const session = sessionFrom(done);
    const me = await expectJson<{ data: { role: string; password_needs_reset: boolean } }>(
      await call(server, 'GET', '/v1/user', { cookie: session }),
      200,
    );
    expect(me.data).toMatchObject({ role: 'ADMIN', password_needs_reset: true });
    // The admin secret and API keys are not password logins: unaffected.
    await expectStatus(await call(server, 'GET', '/v1/users', { bearer: ADMIN_SECRET }), 200);
    // A member, required too, is sent to enrol; a verify challenge cannot enrol.
    const member = await createUser(server, 'MEMBER');
    await challengeOf(server, member, 'enroll');
  });

  it('lets an admin reset a user’s factors, ending their sessions; a non-admin cannot', async () => {
    const { user, codes } = await enrolledViewer(server);
    const session = sessionFrom(
      await verify(server, { mfa_token: (await challengeOf(server, user)).mfa_token, recovery_code: codes[0] }),
    );
    await expectError(
      await call(server, 'DELETE', `/v1/users/${user.globalId}/mfa`, { cookie: session }),
      403,
      'forbidden',
    );
    await expectStatus(await call(server, 'DELETE', `/v1/users/${user.globalId}/mfa`, { bearer: ADMIN_SECRET }), 204);
    await expectError(await call(server, 'GET', '/v1/user', { cookie: session }), 401, 'invalid_token');
    await loginSession(server, user.email, user.password);
  });

  it('records a finished MFA login as a password sign-in: session details and the audit trail', async () => {
    const { user, codes } = await enrolledViewer(server);
    await expectError(
      await verify(server, { mfa_token: (await challengeOf(server, user)).mfa_token, code: '000000' }),
      401,
      'invalid_mfa_code',
    );
    const done = await call(server, 'POST', '/auth/mfa/verify', {
      json: { mfa_token: (await challengeOf(server, user)).mfa_token, recovery_code: codes[1] },
      headers: { 'user-agent': 'mfa-test/2.0' },
    });
    const session = sessionFrom(done);
    const sessions = await expectJson<{
      data: {
        sign_in_method: string | null;
        idp: string | null;
        client_address: string | null;
        user_agent: string | null;
        current: boolean;
      }[];
    }>(await call(server, 'GET', '/v1/user/sessions', { cookie: session }), 200);
    expect(sessions.data.find((s) => s.current)).toMatchObject({
      sign_in_method: 'password',
      idp: null,
      client_address: '127.0.0.1',
      user_agent: 'mfa-test/2.0',
    });

    await server.gatehouse.audit.flush();
    type Event = { type: string; user_agent: string | null; details: Record<string, unknown> };
    const trail = await expectJson<{ data: Event[] }>(
      await call(
        server,
        'GET',
        `/v1/audit_events?user_id=${encodeURIComponent(user.globalId)}&type=sign_in.succeeded,sign_in.failed`,
        { bearer: ADMIN_SECRET },
      ),
      200,
    );
    // Newest first: the enrolment's own login (no factor yet), then the wrong code, then the MFA login.
    expect(trail.data.map((e) => [e.type, e.details.reason ?? null])).toEqual([
      ['sign_in.succeeded', null],
      ['sign_in.failed', 'invalid_mfa_code'],
      ['sign_in.succeeded', null],
    ]);
    expect(trail.data[0]).toMatchObject({ user_agent: 'mfa-test/2.0', details: { method: 'password', idp: null } });
    expect(trail.data[1]?.details).toMatchObject({ method: 'password', login: user.email });

    // The admin reset ends the sessions, and says so.
    await expectStatus(await call(server, 'DELETE', `/v1/users/${user.globalId}/mfa`, { bearer: ADMIN_SECRET }), 204);
    await server.gatehouse.audit.flush();
    const ended = await expectJson<{ data: Event[] }>(
      await call(server, 'GET', `/v1/audit_events?user_id=${encodeURIComponent(user.globalId)}&type=session.ended`, {
        bearer: ADMIN_SECRET,
      }),
      200,
    );
    expect(ended.data.map((e) => e.details)).toEqual([{ session_id: null, by: 'admin', reason: 'mfa_reset' }]);
  });

  it('keeps API keys working and refuses them on the factor routes', async () => {
    const user = await createUser(server, 'VIEWER');
    const session = await loginSession(server, user.email, user.password);
    const key = await expectJson<{ data: { key: string } }>(
      await call(server, 'POST', '/v1/user/api_keys', { cookie: session, json: { data: { name: 'k' } } }),
      201,
    );
    await call(server, 'POST', '/v1/user/mfa/totp', { cookie: session });
    await expectStatus(await call(server, 'GET', '/v1/user', { bearer: key.data.key }), 200);
    await expectError(await call(server, 'POST', '/v1/user/mfa/totp', { bearer: key.data.key }), 403, 'forbidden');
    await expectError(
      await call(server, 'POST', '/v1/user/mfa/recovery-codes', { bearer: ADMIN_SECRET, json: {} }),
      403,
      'forbidden',
    );
  });
});

describe.each(['hono', 'express', 'fastify'] as const)(
  '%s: the per-address rate limit covers the MFA routes',
  (adapter) => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, { ...MFA_ENV });
    });
    afterAll(() => server?.close());

    it('answers 429 once the auth bucket (12) is spent on code guesses', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 13; i++) statuses.push((await verify(server, { mfa_token: 'x', code: '000000' })).status);
      expect(statuses.slice(0, 12).every((status) => status === 401)).toBe(true);
      expect(statuses[12]).toBe(429);
    });
  },
);
