/**
 * Passkeys over real HTTP on every adapter, answered by a software authenticator (real ES256
 * signatures, CBOR attestation `none`) so @simplewebauthn's verification really runs: registration
 * from settings, rename and removal, the passkey as the second factor of a password login,
 * passwordless sign-in, the role policy and the admin reset; and the attacks: another origin or RP
 * id, a replayed answer, a ceremony of another browser, a counter going backwards, another user's
 * credential, no user verification on a passwordless sign-in, guessing against the lockout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS_AND_STORES,
  ADMIN_SECRET,
  ACCESS_COOKIE,
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
  startServer,
  type Session,
  type TestServer,
  type TestUser,
} from './support.js';
import { SoftAuthenticator, type Forgery } from '../../../packages/core/test/support/soft-authenticator.js';

const MFA_COOKIE = 'phoenix-mfa-challenge';
const WEBAUTHN_COOKIE = 'phoenix-webauthn-challenge';
const ENV = {
  PHOENIX_DISABLE_RATE_LIMIT: 'true',
  GATEHOUSE_ENCRYPTION_KEY: 'http-passkey-encryption-key-0123456789',
  GATEHOUSE_MFA_REQUIRED_ROLES: 'ADMIN,MEMBER',
};

interface CreationOptions {
  challenge: string;
  rp: { id: string; name: string };
  user: { id: string; name: string; displayName: string };
  excludeCredentials?: { id: string }[];
  authenticatorSelection?: Record<string, unknown>;
}
interface RequestOptions {
  challenge: string;
  rpId: string;
  allowCredentials?: { id: string }[];
  userVerification?: string;
}
interface Ceremony<T> {
  options: T;
  /** The Cookie header holding this ceremony's handle (plus whatever else the caller sent). */
  cookie: string;
}
interface PasskeyJson {
  id: string;
  name: string;
  transports: string[];
  created_at: string;
  last_used_at: string | null;
}

const join = (...parts: string[]) => parts.filter((p) => p !== '').join('; ');

async function ceremony<T>(response: Response, base: string): Promise<Ceremony<T>> {
  const cookie = setCookie(response, WEBAUTHN_COOKIE);
  const body = await expectJson<{ data: { options: T; expires_at: string } }>(response, 200);
  return { options: body.data.options, cookie: join(base, `${WEBAUTHN_COOKIE}=${cookie.value}`) };
}

async function registrationOptions(server: TestServer, session: Session): Promise<Ceremony<CreationOptions>> {
  return ceremony(await call(server, 'POST', '/v1/user/mfa/passkeys/options', { cookie: session }), session.cookie);
}

function finishRegistration(server: TestServer, cookie: string, response: unknown, name?: string) {
  return call(server, 'POST', '/v1/user/mfa/passkeys', { cookie, json: { response, ...(name ? { name } : {}) } });
}

/** A VIEWER (no factor required) with one registered passkey on `authenticator`. */
async function viewerWithPasskey(
  server: TestServer,
  authenticator = new SoftAuthenticator(new URL(server.url).origin),
): Promise<{ user: TestUser; session: Session; authenticator: SoftAuthenticator; passkey: PasskeyJson }> {
  const user = await createUser(server, 'VIEWER');
  const session = await loginSession(server, user.email, user.password);
  const started = await registrationOptions(server, session);
  const created = await expectJson<{ data: PasskeyJson }>(
    await finishRegistration(server, started.cookie, authenticator.register(started.options), 'Laptop'),
    201,
  );
  return { user, session, authenticator, passkey: created.data };
}

/** The password step: the MFA challenge cookie. */
async function passwordStep(server: TestServer, user: TestUser): Promise<{ cookie: string; methods: string[] }> {
  const response = await login(server, user.email, user.password);
  const challenge = setCookie(response, MFA_COOKIE);
  const body = await expectJson<{ purpose: string; methods: string[] }>(response, 200);
  expect(body.purpose).toBe('verify');
  return { cookie: `${MFA_COOKIE}=${challenge.value}`, methods: body.methods };
}

async function secondFactorOptions(server: TestServer, mfaCookie: string): Promise<Ceremony<RequestOptions>> {
  return ceremony(await call(server, 'POST', '/auth/mfa/passkey/options', { cookie: mfaCookie, json: {} }), mfaCookie);
}

function verifyWithPasskey(server: TestServer, cookie: string, passkey: unknown) {
  return call(server, 'POST', '/auth/mfa/verify', { cookie, json: { passkey } });
}

async function passwordlessOptions(server: TestServer): Promise<Ceremony<RequestOptions>> {
  return ceremony(await call(server, 'POST', '/auth/passkey/options', { json: {} }), '');
}

function passwordless(server: TestServer, cookie: string, response: unknown, headers?: Record<string, string>) {
  return call(server, 'POST', '/auth/passkey/verify', { cookie, json: { response }, headers });
}

function sessionFrom(response: Response): Session {
  const access = setCookie(response, ACCESS_COOKIE).value;
  const refresh = setCookie(response, REFRESH_COOKIE).value;
  expectDeletedCookie(response, WEBAUTHN_COOKIE);
  return { access, refresh, cookie: `${ACCESS_COOKIE}=${access}; ${REFRESH_COOKIE}=${refresh}` };
}

async function signInSecondFactor(
  server: TestServer,
  user: TestUser,
  authenticator: SoftAuthenticator,
  forgery?: Forgery,
) {
  const step = await passwordStep(server, user);
  const started = await secondFactorOptions(server, step.cookie);
  return verifyWithPasskey(server, started.cookie, authenticator.assert(started.options, forgery));
}

describe.each(ADAPTERS_AND_STORES)('%s on %s: passkeys', (adapter, store) => {
  let server: TestServer;
  let origin: string;

  beforeAll(async () => {
    server = await startServer(adapter, ENV, { store });
    origin = new URL(server.url).origin;
  });
  afterAll(() => server?.close());

  it('registers from settings with the configured relying party, lists, renames and removes with the password', async () => {
    const user = await createUser(server, 'VIEWER');
    const session = await loginSession(server, user.email, user.password);
    const response = await call(server, 'POST', '/v1/user/mfa/passkeys/options', { cookie: session });
    const cookie = setCookie(response, WEBAUTHN_COOKIE);
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(Number(cookie.attributes.get('max-age'))).toBeLessThanOrEqual(300);
    const started = await ceremony<CreationOptions>(response, session.cookie);
    // From configuration (the derived URL), not from the request.
    expect(started.options.rp.id).toBe('127.0.0.1');
    expect(started.options.user.name).toBe(user.email);
    expect(started.options.user.id).not.toContain(String(user.id));
    expect(started.options.authenticatorSelection).toMatchObject({ residentKey: 'preferred' });

    const authenticator = new SoftAuthenticator(origin);
    const done = await finishRegistration(server, started.cookie, authenticator.register(started.options), 'Laptop');
    expectDeletedCookie(done, WEBAUTHN_COOKIE);
    const created = await expectJson<{ data: PasskeyJson }>(done, 201);
    expect(created.data).toMatchObject({ name: 'Laptop', transports: ['internal'], last_used_at: null });

    // A second registration excludes the first credential, and gets a default name.
    const again = await registrationOptions(server, session);
    expect(again.options.excludeCredentials?.map((c) => c.id)).toEqual([authenticator.credentials[0]!.id]);
    expect(again.options.user.id).toBe(started.options.user.id);
    const second = await expectJson<{ data: PasskeyJson }>(
      await finishRegistration(server, again.cookie, new SoftAuthenticator(origin).register(again.options)),
      201,
    );
    expect(second.data.name).toBe('Passkey 2');

    const renamed = await expectJson<{ data: PasskeyJson }>(
      await call(server, 'PATCH', `/v1/user/mfa/passkeys/${second.data.id}`, {
        cookie: session,
        json: { name: 'Phone' },
      }),
      200,
    );
    expect(renamed.data.name).toBe('Phone');
    await expectError(
      await call(server, 'PATCH', `/v1/user/mfa/passkeys/${second.data.id}`, { cookie: session, json: { name: ' ' } }),
      422,
      'invalid_input',
    );
    const list = await expectJson<{ data: PasskeyJson[] }>(
      await call(server, 'GET', '/v1/user/mfa/passkeys', { cookie: session }),
      200,
    );
    expect(list.data.map((p) => p.name)).toEqual(['Laptop', 'Phone']);
    expect(JSON.stringify(list.data)).not.toMatch(/public|counter|credential/i);
    const status = await expectJson<{ data: Record<string, unknown> }>(
      await call(server, 'GET', '/v1/user/mfa', { cookie: session }),
      200,
    );
    expect(status.data).toMatchObject({ passkeys: 2, totp: { enrolled: false } });

    // Removal asks for the password again.
    const remove = (id: string, password?: string) =>
      call(server, 'POST', `/v1/user/mfa/passkeys/${id}/remove`, {
        cookie: session,
        json: password ? { password } : {},
      });
    await expectError(await remove(second.data.id), 401, 'invalid_credentials');
    await expectError(await remove(second.data.id, 'wrong-password'), 401, 'invalid_credentials');
    await expectStatus(await remove(second.data.id, user.password), 204);
    await expectError(await remove(second.data.id, user.password), 404, 'not_found');
    const after = await expectJson<{ data: PasskeyJson[] }>(
      await call(server, 'GET', '/v1/user/mfa/passkeys', { cookie: session }),
      200,
    );
    expect(after.data.map((p) => p.name)).toEqual(['Laptop']);

    await server.gatehouse.audit.flush();
    const trail = await expectJson<{ data: { type: string; details: Record<string, unknown> }[] }>(
      await call(
        server,
        'GET',
        `/v1/audit_events?user_id=${encodeURIComponent(user.globalId)}&type=passkey.registered,passkey.removed`,
        { bearer: ADMIN_SECRET },
      ),
      200,
    );
    expect(trail.data.map((e) => [e.type, e.details.name ?? e.details.by])).toEqual([
      ['passkey.removed', 'self'],
      ['passkey.registered', 'Passkey 2'],
      ['passkey.registered', 'Laptop'],
    ]);
  });

  it('asks for the passkey after the password and signs in with it; the counter is stored', async () => {
    const { user, authenticator } = await viewerWithPasskey(server);
    const step = await passwordStep(server, user);
    expect(step.methods).toEqual(['passkey']);
    const started = await secondFactorOptions(server, step.cookie);
    expect(started.options.rpId).toBe('127.0.0.1');
    expect(started.options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.credentials[0]!.id]);
    const done = await verifyWithPasskey(server, started.cookie, authenticator.assert(started.options));
    const body = await expectJson<{ data: { method: string } }>(done.clone(), 200);
    expect(body.data.method).toBe('passkey');
    const session = sessionFrom(done);
    expectDeletedCookie(done, MFA_COOKIE);
    await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
    const list = await expectJson<{ data: PasskeyJson[] }>(
      await call(server, 'GET', '/v1/user/mfa/passkeys', { cookie: session }),
      200,
    );
    expect(list.data[0]!.last_used_at).not.toBeNull();
    const stored = await server.store.findPasskeyByCredentialId(authenticator.credentials[0]!.id);
    expect(stored?.counter).toBe(1);
    // Presence is enough for a second factor: the password was the first.
    await expectStatus(await signInSecondFactor(server, user, authenticator, { uv: false }), 200);
  });

  it('signs in without a password with a discoverable passkey and user verification', async () => {
    const { user, authenticator } = await viewerWithPasskey(server);
    const started = await passwordlessOptions(server);
    expect(started.options.userVerification).toBe('required');
    expect(started.options.allowCredentials ?? []).toEqual([]);
    const done = await passwordless(server, started.cookie, authenticator.assert(started.options), {
      'user-agent': 'passkey-test/1.0',
    });
    expect(done.status).toBe(204);
    const session = sessionFrom(done);
    const me = await expectJson<{ data: { email: string } }>(
      await call(server, 'GET', '/v1/user', { cookie: session }),
      200,
    );
    expect(me.data.email).toBe(user.email);
    const sessions = await expectJson<{ data: { sign_in_method: string; user_agent: string; current: boolean }[] }>(
      await call(server, 'GET', '/v1/user/sessions', { cookie: session }),
      200,
    );
    expect(sessions.data.find((s) => s.current)).toMatchObject({
      sign_in_method: 'passkey',
      user_agent: 'passkey-test/1.0',
    });
    await server.gatehouse.audit.flush();
    const trail = await expectJson<{ data: { type: string; details: Record<string, unknown> }[] }>(
      await call(
        server,
        'GET',
        `/v1/audit_events?user_id=${encodeURIComponent(user.globalId)}&type=sign_in.succeeded`,
        {
          bearer: ADMIN_SECRET,
        },
      ),
      200,
    );
    expect(trail.data[0]?.details).toMatchObject({ method: 'passkey' });
  });

  it('refuses another origin or RP id, at registration and at sign-in', async () => {
    const user = await createUser(server, 'VIEWER');
    const session = await loginSession(server, user.email, user.password);
    const phished = await registrationOptions(server, session);
    const evil = new SoftAuthenticator('https://gatehouse.example.evil');
    await expectError(
      await finishRegistration(server, phished.cookie, evil.register(phished.options)),
      400,
      'passkey_rejected',
    );
    const wrongRp = await registrationOptions(server, session);
    await expectError(
      await finishRegistration(
        server,
        wrongRp.cookie,
        new SoftAuthenticator(origin).register(wrongRp.options, { rpId: 'example.evil' }),
      ),
      400,
      'passkey_rejected',
    );
    // A Host header naming another site does not move the relying party.
    const hosted = await call(server, 'POST', '/v1/user/mfa/passkeys/options', {
      cookie: session,
      headers: { 'x-forwarded-host': 'example.evil' },
    });
    expect((await ceremony<CreationOptions>(hosted, session.cookie)).options.rp.id).toBe('127.0.0.1');

    const { authenticator } = await viewerWithPasskey(server);
    for (const forgery of [{ origin: 'https://gatehouse.example.evil' }, { rpId: 'example.evil' }]) {
      const started = await passwordlessOptions(server);
      await expectError(
        await passwordless(server, started.cookie, authenticator.assert(started.options, forgery)),
        401,
        'invalid_passkey',
      );
    }
  });

  it('refuses a replayed answer, a ceremony of another browser and an answer to another challenge', async () => {
    const { user, authenticator } = await viewerWithPasskey(server);
    const started = await passwordlessOptions(server);
    const answer = authenticator.assert(started.options);
    sessionFrom(await passwordless(server, started.cookie, answer));
    // The same answer again: its ceremony is spent.
    await expectError(await passwordless(server, started.cookie, answer), 401, 'invalid_passkey');

    // Browser A asked; browser B (its own ceremony, or none) posts A's answer.
    const a = await passwordlessOptions(server);
    const b = await passwordlessOptions(server);
    const answerForA = authenticator.assert(a.options);
    await expectError(await passwordless(server, b.cookie, answerForA), 401, 'invalid_passkey');
    await expectError(await passwordless(server, '', answerForA), 401, 'invalid_passkey');
    // B's attempt spent nothing of A's ceremony, but A's answer must still be fresh: it is.
    sessionFrom(await passwordless(server, a.cookie, answerForA));

    // The second factor's ceremony: a signed answer to a challenge the server never issued.
    const step = await passwordStep(server, user);
    const second = await secondFactorOptions(server, step.cookie);
    await expectError(
      await verifyWithPasskey(server, second.cookie, authenticator.assert(second.options, { challenge: 'AAAA' })),
      401,
      'invalid_mfa_code',
    );
    // And a registration ceremony cannot finish a sign-in.
    const { session } = await viewerWithPasskey(server);
    const registration = await registrationOptions(server, session);
    await expectError(
      await passwordless(
        server,
        registration.cookie,
        authenticator.assert({ ...registration.options, rpId: '127.0.0.1' }),
      ),
      401,
      'invalid_passkey',
    );
  });

  it('refuses a counter that goes backwards (a cloned authenticator)', async () => {
    const { user, authenticator } = await viewerWithPasskey(server);
    await expectStatus(await signInSecondFactor(server, user, authenticator, { counter: 10 }), 200);
    await expectError(await signInSecondFactor(server, user, authenticator, { counter: 5 }), 401, 'invalid_mfa_code');
    await expectError(await signInSecondFactor(server, user, authenticator, { counter: 10 }), 401, 'invalid_mfa_code');
    const started = await passwordlessOptions(server);
    await expectError(
      await passwordless(server, started.cookie, authenticator.assert(started.options, { counter: 3 })),
      401,
      'invalid_passkey',
    );
    await expectStatus(await signInSecondFactor(server, user, authenticator, { counter: 11 }), 200);
    expect((await server.store.findPasskeyByCredentialId(authenticator.credentials[0]!.id))?.counter).toBe(11);
  });

  it("refuses another user's credential as the second factor, and a user handle that does not match", async () => {
    const alice = await viewerWithPasskey(server);
    const bob = await viewerWithPasskey(server);
    const step = await passwordStep(server, alice.user);
    const started = await secondFactorOptions(server, step.cookie);
    const bobs = bob.authenticator.assert({ ...started.options, allowCredentials: [] });
    await expectError(await verifyWithPasskey(server, started.cookie, bobs), 401, 'invalid_mfa_code');

    const signIn = await passwordlessOptions(server);
    await expectError(
      await passwordless(
        server,
        signIn.cookie,
        bob.authenticator.assert(signIn.options, { userHandle: alice.authenticator.credentials[0]!.userHandle }),
      ),
      401,
      'invalid_passkey',
    );
    const withoutHandle = await passwordlessOptions(server);
    await expectError(
      await passwordless(
        server,
        withoutHandle.cookie,
        bob.authenticator.assert(withoutHandle.options, { userHandle: null }),
      ),
      401,
      'invalid_passkey',
    );
  });

  it('refuses a passwordless sign-in without user verification', async () => {
    const { authenticator } = await viewerWithPasskey(server);
    const started = await passwordlessOptions(server);
    await expectError(
      await passwordless(server, started.cookie, authenticator.assert(started.options, { uv: false })),
      401,
      'invalid_passkey',
    );
  });

  it('locks the account after repeated failed passkey attempts', async () => {
    const { user, authenticator } = await viewerWithPasskey(server);
    for (let i = 0; i < 5; i++) {
      const started = await passwordlessOptions(server);
      await expectError(
        await passwordless(server, started.cookie, authenticator.assert(started.options, { uv: false })),
        401,
        'invalid_passkey',
      );
    }
    const started = await passwordlessOptions(server);
    await expectError(
      await passwordless(server, started.cookie, authenticator.assert(started.options)),
      429,
      'too_many_login_attempts',
    );
    await expectError(await login(server, user.email, user.password), 429, 'too_many_login_attempts');
  });

  it('counts a passkey as the factor a role requires; the admin reset removes it and ends the sessions', async () => {
    const { user, session, authenticator } = await viewerWithPasskey(server);
    await expectStatus(
      await call(server, 'PATCH', `/v1/users/${user.globalId}`, { bearer: ADMIN_SECRET, json: { role: 'MEMBER' } }),
      200,
    );
    // A MEMBER must have a factor: the passkey is one, so the login asks for it instead of enrolment.
    expect((await passwordStep(server, user)).methods).toEqual(['passkey']);
    await expectStatus(await signInSecondFactor(server, user, authenticator), 200);

    await expectStatus(await call(server, 'DELETE', `/v1/users/${user.globalId}/mfa`, { bearer: ADMIN_SECRET }), 204);
    expect(await server.store.listPasskeys(user.id)).toEqual([]);
    await expectError(await call(server, 'GET', '/v1/user', { cookie: session }), 401, 'invalid_token');
    const enrol = await expectJson<{ purpose: string }>(await login(server, user.email, user.password), 200);
    expect(enrol.purpose).toBe('enroll');
    const started = await passwordlessOptions(server);
    await expectError(
      await passwordless(server, started.cookie, authenticator.assert(started.options)),
      401,
      'invalid_passkey',
    );
  });

  it('needs a browser session to manage passkeys: API keys and the admin secret are refused', async () => {
    const user = await createUser(server, 'VIEWER');
    const session = await loginSession(server, user.email, user.password);
    const key = await expectJson<{ data: { key: string } }>(
      await call(server, 'POST', '/v1/user/api_keys', { cookie: session, json: { data: { name: 'k' } } }),
      201,
    );
    await expectError(
      await call(server, 'POST', '/v1/user/mfa/passkeys/options', { bearer: key.data.key }),
      403,
      'forbidden',
    );
    await expectError(await call(server, 'GET', '/v1/user/mfa/passkeys', { bearer: ADMIN_SECRET }), 403, 'forbidden');
    await expectError(await call(server, 'POST', '/v1/user/mfa/passkeys/options'), 401, 'unauthenticated');
    // Malformed answers are a 400, and nothing is stored.
    const started = await registrationOptions(server, session);
    await expectError(await finishRegistration(server, started.cookie, { id: 'x' }), 400, 'passkey_rejected');
    expect(await server.store.listPasskeys(user.id)).toEqual([]);
  });
});

describe('passkeys without second factors configured', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('hono', { PHOENIX_DISABLE_RATE_LIMIT: 'true' });
  });
  afterAll(() => server?.close());

  it('refuses registration with mfa_unavailable', async () => {
    const user = await createUser(server, 'VIEWER');
    const session = await loginSession(server, user.email, user.password);
    await expectError(
      await call(server, 'POST', '/v1/user/mfa/passkeys/options', { cookie: session }),
      403,
      'mfa_unavailable',
    );
  });
});

describe.each(['hono', 'express', 'fastify'] as const)(
  '%s: the per-address rate limit covers passkey sign-in',
  (adapter) => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(adapter, { GATEHOUSE_ENCRYPTION_KEY: ENV.GATEHOUSE_ENCRYPTION_KEY });
    });
    afterAll(() => server?.close());

    it('answers 429 once the auth bucket (12) is spent on passkey guesses', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 13; i++) statuses.push((await passwordless(server, '', { id: 'x' })).status);
      expect(statuses.slice(0, 12).every((status) => status === 401)).toBe(true);
      expect(statuses[12]).toBe(429);
    });
  },
);
