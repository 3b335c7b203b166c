/**
 * Account enumeration through login and password-reset: whatever the account state (unknown e-mail,
 * wrong password, OAuth-only, the system user, a deleted user), the answer must be the same status,
 * body and headers (Date aside), and take the same time. The timing tests compare medians of
 * interleaved tries in random order, which cancels drift and background load; argon2id costs
 * ~10 ms and a lookup that skipped it ~0.5 ms, so the bounds (×0.5–×2) are far from both noise and
 * the failure they catch.
 */
import { performance } from 'node:perf_hooks';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  call,
  createUser,
  expectStatus,
  login,
  startServer,
  unique,
  type TestServer,
  type TestUser,
} from '../http/conformance/support.js';

const ROUNDS = 30;
const WARM_UP = 4;

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Everything a client can observe, except the Date header (and Set-Cookie, asserted absent). */
async function observe(response: Response): Promise<Answer> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'date') headers[name] = value;
  });
  expect(response.headers.getSetCookie()).toEqual([]);
  return { status: response.status, body: await response.text(), headers };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timed(request: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const response = await request();
  await response.arrayBuffer();
  return performance.now() - started;
}

/** `rounds` timings of each request, alternating in a random order each round. */
async function interleaved(
  a: () => Promise<Response>,
  b: () => Promise<Response>,
  rounds: number,
): Promise<{ a: number; b: number }> {
  const times = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < WARM_UP + rounds; i++) {
    const aFirst = Math.random() < 0.5;
    const first = await timed(aFirst ? a : b);
    const second = await timed(aFirst ? b : a);
    if (i < WARM_UP) continue;
    times.a.push(aFirst ? first : second);
    times.b.push(aFirst ? second : first);
  }
  return { a: median(times.a), b: median(times.b) };
}

async function oauthUser(server: TestServer): Promise<string> {
  const name = unique('sso');
  const email = `${name}@example.com`;
  await expectStatus(
    await call(server, 'POST', '/v1/users', {
      bearer: ADMIN_SECRET,
      json: { user: { email, username: name, role: 'MEMBER', auth_method: 'OAUTH2' } },
    }),
    201,
  );
  return email;
}

async function deletedUser(server: TestServer): Promise<TestUser> {
  const user = await createUser(server, 'MEMBER');
  await expectStatus(await call(server, 'DELETE', `/v1/users/${user.globalId}`, { bearer: ADMIN_SECRET }), 204);
  return user;
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function resetEmail(server: TestServer, email: string): Promise<Response> {
  return call(server, 'POST', '/auth/password-reset-email', { json: { email } });
}

describe.each(ADAPTERS)('%s: enumeration by status, body and headers', (adapter) => {
  let server: TestServer;
  let member: TestUser;
  let accounts: Record<string, string>;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT });
    member = await createUser(server, 'MEMBER');
    accounts = {
      'an unknown e-mail': 'nobody-at-all@example.com',
      'an OAuth-only account': await oauthUser(server),
      'the system user': 'system@localhost',
      'a deleted account': (await deletedUser(server)).email,
    };
  });
  afterAll(() => server?.close());

  it('login: a wrong password answers exactly like every account that cannot log in', async () => {
    const reference = await observe(await login(server, member.email, 'wrong-password-1'));
    expect(reference.status).toBe(401);
    for (const [label, email] of Object.entries(accounts)) {
      expect(await observe(await login(server, email, 'wrong-password-1')), label).toEqual(reference);
    }
    // Even the account's own spelling variants: nothing hints that the address was recognised.
    expect(await observe(await login(server, ` ${member.email.toUpperCase()}`, 'wrong-password-1'))).toEqual(reference);
  });

  it('password-reset-email: an existing LOCAL account answers exactly like every other address', async () => {
    const reference = await observe(await resetEmail(server, member.email));
    expect(reference.status).toBe(204);
    for (const [label, email] of Object.entries(accounts)) {
      expect(await observe(await resetEmail(server, email)), label).toEqual(reference);
    }
  });
});

describe.each(ADAPTERS)('%s: enumeration by timing', (adapter) => {
  let server: TestServer;
  let member: TestUser;

  beforeAll(async () => {
    // Lockout would answer repeated failures in microseconds: only the credential check is timed.
    server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION: 'true' });
    member = await createUser(server, 'MEMBER');
  });
  afterAll(() => server?.close());

  it('login: an unknown e-mail costs the same argon2 work as a wrong password', { timeout: 20_000 }, async () => {
    let n = 0;
    const medians = await interleaved(
      () => login(server, member.email, 'wrong-password-1'),
      () => login(server, `ghost${n++}@example.com`, 'wrong-password-1'),
      ROUNDS,
    );
    // Precondition: hashing dominates the request, else this comparison could not catch a skipped hash.
    expect(medians.a, `known-user median ${medians.a.toFixed(2)} ms`).toBeGreaterThan(3);
    const ratio = medians.b / medians.a;
    expect(ratio, `unknown ${medians.b.toFixed(2)} ms / known ${medians.a.toFixed(2)} ms`).toBeGreaterThan(0.5);
    expect(ratio, `unknown ${medians.b.toFixed(2)} ms / known ${medians.a.toFixed(2)} ms`).toBeLessThan(2);
  });

  it(
    'password-reset-email: an existing account answers as fast as an unknown e-mail (mail is sent afterwards)',
    { timeout: 20_000 },
    async () => {
      const medians = await interleaved(
        () => resetEmail(server, member.email),
        () => resetEmail(server, 'ghost-reset@example.com'),
        ROUNDS,
      );
      // Both are a lookup of a few ms; delivering before answering (STARTTLS, AUTH, DATA to the loopback
      // relay) costs over 100 ms, so 15 ms separates the two cases with room for a noisy machine.
      const label = `known ${medians.a.toFixed(2)} ms, unknown ${medians.b.toFixed(2)} ms`;
      expect(Math.abs(medians.a - medians.b), label).toBeLessThan(15);
    },
  );
});

describe.each(ADAPTERS)('%s: enumeration while the SMTP relay is down', (adapter) => {
  let server: TestServer;
  let member: TestUser;

  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_SMTP_PORT: String(await closedPort()) });
    member = await createUser(server, 'MEMBER');
  });
  afterAll(() => server?.close());

  it('an existing LOCAL account and an unknown e-mail get the same answer, promptly', async () => {
    const started = performance.now();
    const known = await observe(await resetEmail(server, member.email));
    const knownMs = performance.now() - started;
    const unknown = await observe(await resetEmail(server, 'nobody-during-outage@example.com'));
    expect(known).toEqual(unknown);
    expect(knownMs).toBeLessThan(1_000);
    expect(server.mails).toEqual([]);
  });
});
