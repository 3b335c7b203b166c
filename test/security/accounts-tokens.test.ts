/**
 * Stolen and replayed tokens: refresh-token replay burns the whole token family (docs/divergences.md),
 * and a password-reset token is single use, bound to its user, and dies when the password changes
 * another way. Attack order matters, so each test writes out who uses which token when.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_COOKIE,
  ADAPTERS,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createUser,
  expectError,
  expectStatus,
  login,
  loginSession,
  resetLink,
  sessionOf,
  startServer,
  tokenId,
  waitForMail,
  type Session,
  type TestServer,
  type TestUser,
} from '../http/conformance/support.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

async function refresh(server: TestServer, cookie: string): Promise<Response> {
  return call(server, 'POST', '/auth/refresh', { cookie });
}

async function expectAccessDead(server: TestServer, access: string, label: string): Promise<void> {
  for (const options of [{ cookie: `${ACCESS_COOKIE}=${access}` }, { bearer: access }]) {
    const response = await call(server, 'GET', '/v1/user', options);
    expect(response.status, label).toBe(401);
    await response.arrayBuffer();
  }
}

async function expectRefreshDead(server: TestServer, token: string, label: string): Promise<void> {
  const response = await refresh(server, `${REFRESH_COOKIE}=${token}`);
  expect(
    response.headers.getSetCookie().filter((c) => !/Max-Age=0/i.test(c)),
    label,
  ).toEqual([]);
  await expectError(response, 401, 'invalid_token', 'Invalid refresh token');
}

async function expectAlive(server: TestServer, session: Session): Promise<void> {
  await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
}

/** Requests a reset for `user` and returns the token from the mailed link. */
async function resetToken(server: TestServer, user: TestUser): Promise<string> {
  const before = server.mails.length;
  await expectStatus(await call(server, 'POST', '/auth/password-reset-email', { json: { email: user.email } }), 204);
  const token = resetLink(await waitForMail(server, user.email, before)).searchParams.get('token');
  expect(token).toBeTruthy();
  return token!;
}

function reset(server: TestServer, body: Record<string, unknown>): Promise<Response> {
  return call(server, 'POST', '/auth/password-reset', { json: body });
}

async function expectPassword(server: TestServer, user: TestUser, password: string): Promise<void> {
  sessionOf(await login(server, user.email, password));
}

async function expectNotPassword(server: TestServer, user: TestUser, password: string): Promise<void> {
  await expectError(
    await login(server, user.email, password),
    401,
    'invalid_credentials',
    'Invalid email and/or password',
  );
}

describe.each(ADAPTERS)('%s: refresh-token replay', (adapter) => {
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    user = await createUser(server, 'MEMBER');
  });
  afterAll(() => server?.close());

  it('the thief refreshes first; the victim’s later use of the same token kills the thief’s new pair', async () => {
    const victim = await loginSession(server, user.email, user.password);
    const elsewhere = await loginSession(server, user.email, user.password);
    const thief = sessionOf(await refresh(server, `${REFRESH_COOKIE}=${victim.refresh}`));
    await expectAlive(server, thief);

    await expectRefreshDead(server, victim.refresh, 'the replay');
    await expectAccessDead(server, thief.access, 'the thief’s access token');
    await expectRefreshDead(server, thief.refresh, 'the thief’s refresh token');
    await expectAccessDead(server, victim.access, 'the original access token');
    // One login's family only: the user's other session is untouched and can still rotate.
    await expectAlive(server, elsewhere);
    await expectAlive(server, sessionOf(await refresh(server, elsewhere.cookie)));
  });

  it('replaying any ancestor of a three-deep chain revokes the newest pair', async () => {
    const first = await loginSession(server, user.email, user.password);
    const second = sessionOf(await refresh(server, first.cookie));
    const third = sessionOf(await refresh(server, second.cookie));
    await expectAlive(server, third);

    await expectRefreshDead(server, second.refresh, 'the middle token');
    await expectAccessDead(server, third.access, 'the newest access token');
    await expectRefreshDead(server, third.refresh, 'the newest refresh token');
    await expectRefreshDead(server, first.refresh, 'the oldest token');
    for (const session of [first, second, third])
      expect(await server.store.findRefreshToken(tokenId(session.refresh))).toBeNull();
  });

  it('a replay carrying a live access token of the family is refused, and that access token dies too', async () => {
    const first = await loginSession(server, user.email, user.password);
    const second = sessionOf(await refresh(server, first.cookie));
    await expectRefreshDead(server, `${first.refresh}; ${ACCESS_COOKIE}=${second.access}`, 'mixed cookies');
    await expectAccessDead(server, second.access, 'the access token sent with the replay');
  });

  it('of ten parallel refreshes of one token exactly one wins, and its pair is revoked by the losers', async () => {
    const session = await loginSession(server, user.email, user.password);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => refresh(server, `${REFRESH_COOKIE}=${session.refresh}`)),
    );
    const winners = responses.filter((r) => r.status === 204);
    expect(responses.map((r) => r.status).sort()).toEqual([204, ...Array<number>(9).fill(401)]);
    const won = sessionOf(winners[0]!);
    for (const r of responses) await r.arrayBuffer();
    await expectAccessDead(server, won.access, 'the winner’s access token');
    await expectRefreshDead(server, won.refresh, 'the winner’s refresh token');
  });

  it('a refresh token of a revoked family never mints again, even with the user’s fresh session cookie beside it', async () => {
    const stolen = await loginSession(server, user.email, user.password);
    sessionOf(await refresh(server, stolen.cookie));
    await expectRefreshDead(server, stolen.refresh, 'the replay');
    const fresh = await loginSession(server, user.email, user.password);
    await expectRefreshDead(server, `${stolen.refresh}; ${ACCESS_COOKIE}=${fresh.access}`, 'again');
    // The fresh login is a different family and was not collateral damage.
    await expectAlive(server, fresh);
  });
});

describe.each(ADAPTERS)('%s: password-reset tokens', (adapter) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
  });
  afterAll(() => server?.close());

  it('two parallel submissions of one token: exactly one wins and its password is the one set', async () => {
    const user = await createUser(server, 'MEMBER');
    const token = await resetToken(server, user);
    const [a, b] = await Promise.all([
      reset(server, { token, password: 'parallel-a-1' }),
      reset(server, { token, password: 'parallel-b-1' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([204, 401]);
    await a.arrayBuffer();
    await b.arrayBuffer();
    const winner = a.status === 204 ? 'parallel-a-1' : 'parallel-b-1';
    await expectPassword(server, user, winner);
    await expectNotPassword(server, user, winner === 'parallel-a-1' ? 'parallel-b-1' : 'parallel-a-1');
    await expectError(await reset(server, { token, password: 'third-try-1' }), 401, 'invalid_token', 'Invalid token');
  });

  it('a token resets only its own user: naming another user in the body changes nothing for them', async () => {
    const owner = await createUser(server, 'MEMBER');
    const other = await createUser(server, 'MEMBER');
    const token = await resetToken(server, owner);
    const response = await reset(server, {
      token,
      password: 'only-owner-1',
      email: other.email,
      user_id: other.id,
      id: other.globalId,
      username: other.username,
    });
    await expectStatus(response, 204);
    await expectPassword(server, owner, 'only-owner-1');
    await expectPassword(server, other, other.password);
    await expectNotPassword(server, other, 'only-owner-1');
  });

  it('a validly signed token whose subject is not the owner of its row → 401, and the genuine token still works', async () => {
    const owner = await createUser(server, 'MEMBER');
    const other = await createUser(server, 'MEMBER');
    const genuine = await resetToken(server, owner);
    const deps = internalsOf(server.gatehouse).deps!;
    const claims = await deps.tokens.verify(genuine, 'password_reset');
    // What a bug that let users choose the subject would produce: the row of one user, the name of another.
    const mixed = await deps.tokens.sign('password_reset', {
      jti: claims.jti,
      sub: String(other.id),
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    });
    await expectError(
      await reset(server, { token: mixed, password: 'takeover-1' }),
      401,
      'invalid_token',
      'Invalid token',
    );
    await expectPassword(server, other, other.password);
    await expectPassword(server, owner, owner.password);
    // The refused attempt did not spend the owner's token.
    await expectStatus(await reset(server, { token: genuine, password: 'owner-choice-1' }), 204);
    await expectPassword(server, owner, 'owner-choice-1');
  });

  it('a reset token is not a credential anywhere else', async () => {
    const user = await createUser(server, 'MEMBER');
    const token = await resetToken(server, user);
    await expectAccessDead(server, token, 'as an access token');
    await expectRefreshDead(server, token, 'as a refresh token');
    // Still usable for what it is for: nothing above spent it.
    await expectStatus(await reset(server, { token, password: 'still-valid-1' }), 204);
  });

  it('a pending token dies when the user changes the password themselves', async () => {
    const user = await createUser(server, 'MEMBER');
    const token = await resetToken(server, user);
    const session = await loginSession(server, user.email, user.password);
    await expectStatus(
      await call(server, 'PATCH', '/v1/user', {
        cookie: session,
        json: { password: 'self-chosen-1', current_password: user.password },
      }),
      200,
    );
    await expectError(
      await reset(server, { token, password: 'from-old-link-1' }),
      401,
      'invalid_token',
      'Invalid token',
    );
    await expectPassword(server, user, 'self-chosen-1');
  });

  it('a pending token dies when an admin sets the password', async () => {
    const user = await createUser(server, 'MEMBER');
    const token = await resetToken(server, user);
    await expectStatus(
      await call(server, 'PATCH', `/v1/users/${user.globalId}`, {
        bearer: ADMIN_SECRET,
        json: { password: 'admin-chosen-1' },
      }),
      200,
    );
    await expectError(
      await reset(server, { token, password: 'from-old-link-1' }),
      401,
      'invalid_token',
      'Invalid token',
    );
    await expectPassword(server, user, 'admin-chosen-1');
  });

  it('a used token stays dead after the password is reset again with a newer one', async () => {
    const user = await createUser(server, 'MEMBER');
    const first = await resetToken(server, user);
    await expectStatus(await reset(server, { token: first, password: 'round-one-1' }), 204);
    const second = await resetToken(server, user);
    await expectStatus(await reset(server, { token: second, password: 'round-two-1' }), 204);
    await expectError(
      await reset(server, { token: first, password: 'replayed-1' }),
      401,
      'invalid_token',
      'Invalid token',
    );
    await expectError(
      await reset(server, { token: second, password: 'replayed-2' }),
      401,
      'invalid_token',
      'Invalid token',
    );
    await expectPassword(server, user, 'round-two-1');
  });
});
