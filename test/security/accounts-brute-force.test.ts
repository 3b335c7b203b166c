/**
 * A distributed password-guessing attack on one account (docs/phoenix-contract.md#lockout): behind a trusted proxy
 * every guess comes from a different client address, so the per-address limiter (docs/phoenix-contract.md#rate-limits) never
 * fires, and only the per-account lockout stands in the way. After `maxAttempts` failures the
 * right password is refused from any address until the lockout ends, while the victim's existing
 * credentials and the password-reset escape hatch keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  call,
  createUser,
  createUserKey,
  expectError,
  expectStatus,
  login,
  loginSession,
  resetLink,
  sessionOf,
  startServer,
  waitForMail,
  type TestServer,
  type TestUser,
} from '../http/conformance/support.js';

const LOCKOUT = 'Too many failed login attempts. Please try again later.';
const PROXY = '127.0.0.1';

let hosts = 0;
/** A client address never used before in this file: half IPv4, half IPv6. */
function freshClient(): Record<string, string> {
  hosts += 1;
  const address =
    hosts % 2 ? `10.${(hosts >> 16) & 255}.${(hosts >> 8) & 255}.${hosts & 255}` : `2001:db8::${hosts.toString(16)}`;
  return { 'x-forwarded-for': address };
}

async function expectLockedOut(response: Response, label: string): Promise<void> {
  expect(response.headers.getSetCookie(), label).toEqual([]);
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter, label).toBeGreaterThan(290);
  expect(retryAfter, label).toBeLessThanOrEqual(300);
  await expectError(response, 429, 'too_many_login_attempts', LOCKOUT);
}

describe.each(ADAPTERS)('%s: brute force on one account from many addresses', (adapter) => {
  let server: TestServer;
  let maxAttempts: number;

  beforeAll(async () => {
    // Rate limiting on (the default): the per-address buckets must not be what stops the attack.
    server = await startServer(adapter, {}, { trustedProxies: [PROXY] });
    maxAttempts = server.gatehouse.config.bruteForce.maxAttempts;
    expect(server.gatehouse.config.rateLimitEnabled).toBe(true);
  });
  afterAll(() => server?.close());

  async function guessUntilLocked(email: string, variants: readonly string[] = [email]): Promise<void> {
    for (let i = 0; i < maxAttempts; i++) {
      const response = await login(server, variants[i % variants.length]!, `guess-${i}`, freshClient());
      await expectError(response, 401, 'invalid_credentials', 'Invalid email and/or password');
    }
  }

  it('after maxAttempts failures from distinct addresses, the right password from a fresh address → 429', async () => {
    const victim = await createUser(server, 'MEMBER');
    await guessUntilLocked(victim.email);
    const right = await login(server, victim.email, victim.password, freshClient());
    const wrong = await login(server, victim.email, 'guess-again', freshClient());
    const rightBody = await right.clone().text();
    // While locked, the answer gives no oracle: the right and a wrong password read the same.
    expect(await wrong.clone().text()).toBe(rightBody);
    await expectLockedOut(right, 'right password');
    await expectLockedOut(wrong, 'wrong password');
    for (let i = 0; i < 10; i++)
      await expectLockedOut(await login(server, victim.email, victim.password, freshClient()), `address ${i}`);
  });

  it('spelling variants of the address from different clients count against the same account', async () => {
    const victim = await createUser(server, 'MEMBER');
    const variants = [
      victim.email,
      ` ${victim.email.toUpperCase()} `,
      `\t${victim.email}\n`,
      victim.email.replace(/^./, (c) => c.toUpperCase()),
    ];
    await guessUntilLocked(victim.email, variants);
    for (const variant of variants)
      await expectLockedOut(await login(server, variant, victim.password, freshClient()), JSON.stringify(variant));
  });

  it('an unknown e-mail locks the same way (the lockout does not reveal which accounts exist)', async () => {
    await guessUntilLocked('ghost-target@example.com');
    await expectLockedOut(
      await login(server, 'ghost-target@example.com', 'anything', freshClient()),
      'unknown account',
    );
  });

  it('the attack cannot end the victim’s existing session or API key, and other accounts log in', async () => {
    const victim = await createUser(server, 'MEMBER');
    const bystander = await createUser(server, 'MEMBER');
    const session = await loginSession(server, victim.email, victim.password);
    const key = await createUserKey(server, session);
    await guessUntilLocked(victim.email);
    await expectLockedOut(await login(server, victim.email, victim.password, freshClient()), 'victim');
    await expectStatus(await call(server, 'GET', '/v1/user', { cookie: session }), 200);
    await expectStatus(await call(server, 'GET', '/v1/user', { bearer: key.key }), 200);
    sessionOf(await login(server, bystander.email, bystander.password, freshClient()));
  });

  it('a password reset is the way back in: it clears the lockout for the new password', async () => {
    const victim: TestUser = await createUser(server, 'MEMBER');
    await guessUntilLocked(victim.email);
    const before = server.mails.length;
    await expectStatus(
      await call(server, 'POST', '/auth/password-reset-email', {
        json: { email: victim.email },
        headers: freshClient(),
      }),
      204,
    );
    const token = resetLink(await waitForMail(server, victim.email, before)).searchParams.get('token');
    await expectStatus(
      await call(server, 'POST', '/auth/password-reset', {
        json: { token, password: 'fresh-start-1' },
        headers: freshClient(),
      }),
      204,
    );
    sessionOf(await login(server, victim.email, 'fresh-start-1', freshClient()));
  });
});
