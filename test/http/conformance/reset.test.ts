/**
 * Password reset by e-mail (docs/phoenix-contract.md#reset-email, #reset, #reset-mail) through a real SMTP server. Gatehouse builds
 * the link from PHOENIX_ROOT_URL, else from the request's own URL, and never from `Referer`
 * (docs/architecture.md#rule-9; Phoenix's Referer-based link is pitfall 8 of docs/phoenix-contract.md#pitfalls).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  call,
  createUser,
  expectError,
  expectJson,
  expectStatus,
  login,
  loginSession,
  resetLink,
  sessionOf,
  sleep,
  startServer,
  unique,
  waitForMail,
  type ReceivedMail,
  type TestServer,
  type TestUser,
} from './support.js';

const HOSTILE_REFERER = 'https://evil.example.net/phish?x=1';
const ROOT_URL = 'https://gatehouse.example.org/sub';

async function requestReset(
  server: TestServer,
  email: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return call(server, 'POST', '/auth/password-reset-email', { json: { email }, headers });
}

/** Requests a reset and returns the mail and the token in its link. */
async function resetMail(
  server: TestServer,
  user: TestUser,
  headers?: Record<string, string>,
): Promise<{ mail: ReceivedMail; token: string; link: URL }> {
  const before = server.mails.length;
  await expectStatus(await requestReset(server, user.email, headers), 204);
  const mail = await waitForMail(server, user.email, before);
  const link = resetLink(mail);
  const token = link.searchParams.get('token');
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  return { mail, token: token!, link };
}

function reset(server: TestServer, token: unknown, password: unknown): Promise<Response> {
  return call(server, 'POST', '/auth/password-reset', { json: { token, password } });
}

describe.each(ADAPTERS)('%s: password reset', (adapter) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
  });
  afterAll(() => server?.close());

  it('204, and a mail with an HTML part (anchor id="reset-url") and a text part', async () => {
    const user = await createUser(server, 'MEMBER');
    const { mail, link } = await resetMail(server, user);
    expect(mail.to).toContain(user.email);
    expect(mail.subject).not.toBe('');
    expect(mail.html).toMatch(/<a\b[^>]*id="reset-url"/);
    expect(mail.text.trim()).not.toBe('');
    expect(mail.text).toContain(link.toString());
  });

  it('links to the configured public URL (here derived from PHOENIX_HOST/PHOENIX_PORT), never to a Referer', async () => {
    const user = await createUser(server, 'MEMBER');
    const { link } = await resetMail(server, user, { referer: HOSTILE_REFERER });
    expect(link.origin).toBe(new URL(server.url).origin);
    expect(link.pathname).toBe('/reset-password-with-token');
    expect(link.toString()).not.toContain('evil.example.net');
  });

  it('the full flow: 204, old sessions die, old password fails, new password works, needs-reset is false', async () => {
    const user = await createUser(server, 'MEMBER');
    const before = await loginSession(server, user.email, user.password);
    const { token } = await resetMail(server, user);
    // Asking for a reset changes nothing yet.
    await expectStatus(await call(server, 'GET', '/v1/user', { cookie: before }), 200);
    sessionOf(await login(server, user.email, user.password));

    expect((await reset(server, token, 'brand-new-1')).status).toBe(204);
    await expectError(await call(server, 'GET', '/v1/user', { cookie: before }), 401, 'invalid_token', 'Invalid token');
    await expectError(
      await login(server, user.email, user.password),
      401,
      'invalid_credentials',
      'Invalid email and/or password',
    );
    const after = await loginSession(server, user.email, 'brand-new-1');
    const me = await expectJson<{ data: { password_needs_reset: boolean } }>(
      await call(server, 'GET', '/v1/user', { cookie: after }),
      200,
    );
    expect(me.data.password_needs_reset).toBe(false);
  });

  it('a token is single use: the second use → 401 "Invalid token"', async () => {
    const user = await createUser(server, 'MEMBER');
    const { token } = await resetMail(server, user);
    expect((await reset(server, token, 'first-choice-1')).status).toBe(204);
    await expectError(await reset(server, token, 'second-choice-1'), 401, 'invalid_token', 'Invalid token');
    sessionOf(await login(server, user.email, 'first-choice-1'));
  });

  it('a password the policy refuses → 422, nothing changes and the token stays usable', async () => {
    const user = await createUser(server, 'MEMBER');
    const { token } = await resetMail(server, user);
    await expectError(await reset(server, token, 'abc'), 422, 'password_policy');
    await expectError(
      await reset(server, token, 'has space'),
      422,
      'password_policy',
      'Password must not contain whitespace characters',
    );
    sessionOf(await login(server, user.email, user.password));
    expect((await reset(server, token, 'good-enough-1')).status).toBe(204);
    sessionOf(await login(server, user.email, 'good-enough-1'));
  });

  it('only the most recent token works', async () => {
    const user = await createUser(server, 'MEMBER');
    const first = await resetMail(server, user);
    const second = await resetMail(server, user);
    expect(second.token).not.toBe(first.token);
    await expectError(await reset(server, first.token, 'from-first-1'), 401, 'invalid_token', 'Invalid token');
    expect((await reset(server, second.token, 'from-second-1')).status).toBe(204);
  });

  it('the e-mail is case-insensitive', async () => {
    const user = await createUser(server, 'MEMBER');
    const before = server.mails.length;
    await expectStatus(await requestReset(server, `  ${user.email.toUpperCase()}  `), 204);
    const mail = await waitForMail(server, user.email, before);
    expect(mail.to.toLowerCase()).toContain(user.email);
  });

  it('unknown e-mail → 204 and no mail; an OAuth2 user → 204 and no mail', async () => {
    const oauthName = unique('oauth');
    await expectStatus(
      await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: { email: `${oauthName}@example.com`, username: oauthName, role: 'MEMBER', auth_method: 'OAUTH2' },
          send_welcome_email: false,
        },
      }),
      201,
    );
    const start = server.mails.length;
    await expectStatus(await requestReset(server, 'no-such-user@example.com'), 204);
    await expectStatus(await requestReset(server, `${oauthName}@example.com`), 204);
    // A delivery that is on its way lands before this later one.
    const marker = await createUser(server, 'MEMBER');
    await resetMail(server, marker);
    await sleep(100);
    expect(server.mails.slice(start).map((m) => m.to)).toEqual([expect.stringContaining(marker.email)]);
  });

  it.each([
    ['no email', {}],
    ['empty email', { email: '' }],
    ['blank email', { email: '   ' }],
    ['non-string email', { email: 42 }],
  ])('%s → 422 "Email required"', async (_label, body) => {
    const before = server.mails.length;
    await expectError(
      await call(server, 'POST', '/auth/password-reset-email', { json: body }),
      422,
      'invalid_input',
      'Email required',
    );
    expect(server.mails.length).toBe(before);
  });

  it.each([
    ['no password', { token: 'x' }],
    ['empty password', { token: 'x', password: '' }],
  ])('%s → 422 "Password required"', async (_label, body) => {
    await expectError(
      await call(server, 'POST', '/auth/password-reset', { json: body }),
      422,
      'invalid_input',
      'Password required',
    );
  });

  it.each([
    ['no token', { password: 'new-pass-1' }],
    ['garbage token', { token: 'garbage', password: 'new-pass-1' }],
  ])('%s → 401 "Invalid token"', async (_label, body) => {
    await expectError(
      await call(server, 'POST', '/auth/password-reset', { json: body }),
      401,
      'invalid_token',
      'Invalid token',
    );
  });

  it('a session token is not a reset token', async () => {
    const user = await createUser(server, 'MEMBER');
    const session = await loginSession(server, user.email, user.password);
    await expectError(await reset(server, session.access, 'new-pass-1'), 401, 'invalid_token', 'Invalid token');
    await expectError(await reset(server, session.refresh, 'new-pass-1'), 401, 'invalid_token', 'Invalid token');
    sessionOf(await login(server, user.email, user.password));
  });

  it('a deleted user gets no mail and their pending token → 401', async () => {
    const user = await createUser(server, 'MEMBER');
    const { token } = await resetMail(server, user);
    await expectStatus(await call(server, 'DELETE', `/v1/users/${user.globalId}`, { bearer: ADMIN_SECRET }), 204);
    await expectError(await reset(server, token, 'new-pass-1'), 401, 'invalid_token', 'Invalid token');
  });
});

describe.each(ADAPTERS)('%s: password reset with PHOENIX_ROOT_URL', (adapter) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_ROOT_URL: ROOT_URL });
  });
  afterAll(() => server?.close());

  it('builds the link from PHOENIX_ROOT_URL, whatever the Referer says', async () => {
    const user = await createUser(server, 'MEMBER');
    const { link } = await resetMail(server, user, { referer: HOSTILE_REFERER });
    expect(link.origin).toBe('https://gatehouse.example.org');
    expect(link.pathname).toBe('/sub/reset-password-with-token');
    expect(link.toString()).not.toContain('evil.example.net');
    expect(link.toString()).not.toContain('127.0.0.1');
  });

  it('and ignores X-Forwarded-Host from an untrusted peer', async () => {
    const user = await createUser(server, 'MEMBER');
    const { link } = await resetMail(server, user, {
      'x-forwarded-host': 'evil.example.net',
      'x-forwarded-proto': 'http',
    });
    expect(link.origin).toBe('https://gatehouse.example.org');
  });
});

describe.each(ADAPTERS)('%s: password reset without SMTP', (adapter) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_SMTP_HOSTNAME: '' });
  });
  afterAll(() => server?.close());

  it('→ 503 "SMTP server not configured", for known and unknown e-mails alike', async () => {
    const user = await createUser(server, 'MEMBER');
    await expectError(await requestReset(server, user.email), 503, 'smtp_not_configured', 'SMTP server not configured');
    await expectError(
      await requestReset(server, 'nobody@example.com'),
      503,
      'smtp_not_configured',
      'SMTP server not configured',
    );
    expect(server.mails).toEqual([]);
  });
});
