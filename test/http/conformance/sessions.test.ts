/**
 * The session list over real HTTP on every adapter: what a session row shows (sign-in method,
 * client address from the trusted-proxy rule only, a bounded user agent, created / last refreshed,
 * the idle and the absolute end, which one is the current), ending one / the others / all of them,
 * the admin routes, `end_other_sessions` on a password change, and the absolute lifetime against a
 * clock the test moves.
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
  expectDeletedCookie,
  expectError,
  expectJson,
  expectStatus,
  globalId,
  login,
  loginSession,
  sessionOf,
  setCookie,
  startServer,
  type Session,
  type TestServer,
  type TestUser,
} from './support.js';

interface SessionJson {
  id: string;
  created_at: string;
  last_refreshed_at: string | null;
  idle_expires_at: string;
  absolute_expires_at: string;
  client_address: string | null;
  user_agent: string | null;
  sign_in_method: string | null;
  idp: string | null;
  current: boolean;
}

const MINUTE = 60_000;
const sessionId = (n: number) => Buffer.from(`UserSession:${n}`, 'utf8').toString('base64');

/** A clock the test moves; the server reads it for every token, expiry and refresh. */
class MovableClock {
  ms = Date.now();
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

async function list(server: TestServer, session: Session | string): Promise<SessionJson[]> {
  const options = typeof session === 'string' ? { bearer: session } : { cookie: session };
  return (await expectJson<{ data: SessionJson[] }>(await call(server, 'GET', '/v1/user/sessions', options), 200)).data;
}

async function status(server: TestServer, session: Session): Promise<number> {
  const response = await call(server, 'GET', '/v1/projects', { bearer: session.access });
  await response.text();
  return response.status;
}

async function refresh(server: TestServer, session: Session): Promise<Response> {
  return call(server, 'POST', '/auth/refresh', { cookie: `${REFRESH_COOKIE}=${session.refresh}` });
}

describe.each(ADAPTERS)('%s: sessions', (adapter) => {
  let server: TestServer;
  const clock = new MovableClock();

  beforeAll(async () => {
    server = await startServer(
      adapter,
      {
        ...NO_RATE_LIMIT,
        GATEHOUSE_SESSION_MAX_LIFETIME_MINUTES: '60',
        PHOENIX_REFRESH_TOKEN_EXPIRY_MINUTES: '30',
        PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: '10',
      },
      // The test client reaches the server from loopback: that is the trusted proxy here.
      { trustedProxies: ['127.0.0.1'], gatehouse: { clock } },
    );
  });
  afterAll(() => server?.close());

  async function member(): Promise<TestUser> {
    return createUser(server, 'MEMBER');
  }

  it('lists the own sessions: method, client address, user agent, times, and which is the current one', async () => {
    const user = await member();
    const first = sessionOf(
      await login(server, user.email, user.password, {
        'user-agent': 'Firefox/140 (first)',
        'x-forwarded-for': '6.6.6.6, 198.51.100.7',
      }),
    );
    clock.advance(1000);
    const second = sessionOf(
      await login(server, user.email, user.password, { 'user-agent': `Chrome/141 ${'x'.repeat(2000)}` }),
    );
    const rows = await list(server, second);
    expect(rows).toHaveLength(2);
    const [newest, oldest] = rows as [SessionJson, SessionJson];
    expect(newest.current).toBe(true);
    expect(oldest.current).toBe(false);
    // Only the proxy's own hop is believed: the client-written left-most entry is not.
    expect(oldest.client_address).toBe('198.51.100.7');
    expect(newest.client_address).toBe('127.0.0.1');
    expect(oldest.user_agent).toBe('Firefox/140 (first)');
    expect(newest.user_agent).toHaveLength(512);
    expect(oldest).toMatchObject({ sign_in_method: 'password', idp: null, last_refreshed_at: null });
    const created = Date.parse(oldest.created_at);
    expect(Date.parse(oldest.absolute_expires_at) - created).toBe(60 * MINUTE);
    expect(Date.parse(oldest.idle_expires_at) - created).toBe(30 * MINUTE);
    // The list is the caller's own: another user sees neither.
    const other = await loginSession(server, (await member()).email, 'pass-word-1');
    expect((await list(server, other)).map((row) => row.id)).not.toContain(oldest.id);
    expect(await status(server, first)).toBe(200);
  });

  it('a refresh shows as last refreshed and moves the idle end, never the absolute end', async () => {
    const user = await member();
    const session = await loginSession(server, user.email, user.password);
    const [before] = await list(server, session);
    clock.advance(5 * MINUTE);
    const next = sessionOf(await refresh(server, session));
    const [after] = await list(server, next);
    expect(after?.id).toBe(before?.id);
    expect(after?.last_refreshed_at).toBe(new Date(clock.now()).toISOString());
    expect(Date.parse(after!.idle_expires_at)).toBe(Date.parse(before!.idle_expires_at) + 5 * MINUTE);
    expect(after?.absolute_expires_at).toBe(before?.absolute_expires_at);
    expect(after?.current).toBe(true);
  });

  it('DELETE /v1/user/sessions/{id} ends that session at once; the current one also loses its cookies', async () => {
    const user = await member();
    const here = await loginSession(server, user.email, user.password);
    const there = await loginSession(server, user.email, user.password);
    const target = (await list(server, here)).find((row) => !row.current)!;
    await expectStatus(await call(server, 'DELETE', `/v1/user/sessions/${target.id}`, { cookie: here }), 204);
    expect(await status(server, there)).toBe(401);
    await expectError(await refresh(server, there), 401, 'invalid_token');
    expect(await status(server, here)).toBe(200);
    const own = (await list(server, here))[0]!;
    const response = await call(server, 'DELETE', `/v1/user/sessions/${own.id}`, { cookie: here });
    await expectStatus(response, 204);
    expectDeletedCookie(response, ACCESS_COOKIE);
    expectDeletedCookie(response, REFRESH_COOKIE);
    expect(await status(server, here)).toBe(401);
  });

  it("another user's session is a 404 and lives on; a malformed id is a 422", async () => {
    const victim = await loginSession(server, (await member()).email, 'pass-word-1');
    const victimId = (await list(server, victim))[0]!.id;
    const attacker = await loginSession(server, (await member()).email, 'pass-word-1');
    await expectError(
      await call(server, 'DELETE', `/v1/user/sessions/${victimId}`, { cookie: attacker }),
      404,
      'not_found',
      'Session not found',
    );
    await expectError(
      await call(server, 'DELETE', `/v1/user/sessions/${sessionId(999_999)}`, { cookie: attacker }),
      404,
      'not_found',
    );
    await expectError(
      await call(server, 'DELETE', `/v1/user/sessions/${globalId('User', 1)}`, { cookie: attacker }),
      422,
      'invalid_input',
    );
    expect(await status(server, victim)).toBe(200);
  });

  it('DELETE /v1/user/sessions?others=true keeps the current session; without it every one ends', async () => {
    const user = await member();
    const here = await loginSession(server, user.email, user.password);
    const a = await loginSession(server, user.email, user.password);
    const b = await loginSession(server, user.email, user.password);
    await expectError(
      await call(server, 'DELETE', '/v1/user/sessions?others=maybe', { cookie: here }),
      422,
      'invalid_input',
      'others must be true or false',
    );
    const kept = await call(server, 'DELETE', '/v1/user/sessions?others=true', { cookie: here });
    await expectStatus(kept, 204);
    expect(kept.headers.getSetCookie()).toEqual([]);
    expect([await status(server, a), await status(server, b), await status(server, here)]).toEqual([401, 401, 200]);
    expect(await list(server, here)).toHaveLength(1);
    const all = await call(server, 'DELETE', '/v1/user/sessions', { cookie: here });
    await expectStatus(all, 204);
    expectDeletedCookie(all, ACCESS_COOKIE);
    expect(await status(server, here)).toBe(401);
  });

  it('a viewer manages its own sessions too; the admin routes are for admins only', async () => {
    const viewer = await createUser(server, 'VIEWER');
    const session = await loginSession(server, viewer.email, viewer.password);
    const other = await loginSession(server, viewer.email, viewer.password);
    await expectStatus(await call(server, 'DELETE', '/v1/user/sessions?others=true', { cookie: session }), 204);
    expect(await status(server, other)).toBe(401);
    await expectError(
      await call(server, 'GET', `/v1/users/${viewer.globalId}/sessions`, { cookie: session }),
      403,
      'forbidden',
    );
    await expectError(
      await call(server, 'DELETE', `/v1/users/${viewer.globalId}/sessions`, { cookie: session }),
      403,
      'forbidden',
    );
  });

  it('admins list and end the sessions of another user; an unknown user is a 404', async () => {
    const user = await member();
    const session = await loginSession(server, user.email, user.password);
    const rows = (
      await expectJson<{ data: SessionJson[] }>(
        await call(server, 'GET', `/v1/users/${user.globalId}/sessions`, { bearer: ADMIN_SECRET }),
        200,
      )
    ).data;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ sign_in_method: 'password', current: false });
    await expectError(
      await call(server, 'GET', `/v1/users/${globalId('User', 999_999)}/sessions`, { bearer: ADMIN_SECRET }),
      404,
      'not_found',
    );
    await expectStatus(
      await call(server, 'DELETE', `/v1/users/${user.globalId}/sessions`, { bearer: ADMIN_SECRET }),
      204,
    );
    expect(await status(server, session)).toBe(401);
    expect(
      (
        await expectJson<{ data: SessionJson[] }>(
          await call(server, 'GET', `/v1/users/${user.globalId}/sessions`, { bearer: ADMIN_SECRET }),
          200,
        )
      ).data,
    ).toEqual([]);
  });

  it('a password change ends the other sessions by default and keeps this one; end_other_sessions false keeps them all', async () => {
    const user = await member();
    const here = await loginSession(server, user.email, user.password);
    const there = await loginSession(server, user.email, user.password);
    const change = (json: Record<string, unknown>) => call(server, 'PATCH', '/v1/user', { cookie: here, json });
    await expectError(
      await change({ password: 'next-pass-1', current_password: user.password, end_other_sessions: 'no' }),
      422,
      'invalid_input',
    );
    await expectJson(
      await change({ password: 'next-pass-1', current_password: user.password, end_other_sessions: false }),
      200,
    );
    expect(await status(server, there)).toBe(200);
    const changed = await change({ password: 'next-pass-2', current_password: 'next-pass-1' });
    await expectJson(changed, 200);
    expect(changed.headers.getSetCookie()).toEqual([]);
    expect(await status(server, there)).toBe(401);
    expect(await status(server, here)).toBe(200);
    expect(await list(server, here)).toHaveLength(1);
  });

  it('the absolute lifetime: a session refreshed all along ends at 60 minutes with session_expired', async () => {
    const user = await member();
    let session = await loginSession(server, user.email, user.password);
    const start = clock.now();
    for (let minute = 9; minute <= 54; minute += 9) {
      clock.advance(9 * MINUTE);
      const response = await refresh(server, session);
      if (minute === 54) {
        // Six minutes left: the access token and its cookie are cut to the absolute end.
        expect(setCookie(response, ACCESS_COOKIE).attributes.get('max-age')).toBe(String(6 * 60));
      }
      session = sessionOf(response);
    }
    expect(await status(server, session)).toBe(200);
    clock.ms = start + 60 * MINUTE;
    expect(await status(server, session)).toBe(401);
    await expectError(await refresh(server, session), 401, 'session_expired', 'Session expired: sign in again');
    // Ended, not only refused: the next attempt no longer finds the session.
    await expectError(await refresh(server, session), 401, 'invalid_token');
    expect(await list(server, await loginSession(server, user.email, user.password))).toHaveLength(1);
  });
});
