import { describe, expect, it } from 'vitest';
import {
  beginPasskeyAtLogin,
  beginPasskeyRegistration,
  beginPasskeySignIn,
  completeMfaLogin,
  createUser,
  createUserApiKey,
  finishPasskeyRegistration,
  finishPasskeySignIn,
  getMfaStatus,
  login,
  passwordLogin,
  relyingParty,
  resetUserMfa,
} from '../../src/services/index.js';
import { makeHarness, principalOf, rejectsWith, type Harness } from '../support/harness.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import type { StoreUnderTest } from './service-suite.js';

/*
 * Passkeys through the services on every store (memory, SQLite, PostgreSQL): the ceremony rows,
 * counters and sessions are the store's. A software authenticator (real ES256, CBOR attestation)
 * answers, so @simplewebauthn's verification runs. The HTTP side is test/http/conformance/passkeys.test.ts.
 */

const ENV = { GATEHOUSE_ENCRYPTION_KEY: 'passkey-encryption-key-0123456789abcdef' };
const PASSWORD = 'member-pw';
const EMAIL = 'member@example.com';

/** A member with a session, and one passkey registered on `authenticator`. */
async function memberWithPasskey(h: Harness) {
  const admin = await login(h.deps, { email: 'admin@localhost', password: 'admin-initial' });
  const adminP = await principalOf(h, admin.accessToken);
  const member = await createUser(h.deps, adminP, {
    email: EMAIL,
    username: 'member',
    role: 'MEMBER',
    password: PASSWORD,
  });
  const memberP = await principalOf(h, (await login(h.deps, { email: EMAIL, password: PASSWORD })).accessToken);
  const authenticator = new SoftAuthenticator(relyingParty(h.deps).origin);
  const started = await beginPasskeyRegistration(h.deps, memberP);
  const passkey = await finishPasskeyRegistration(h.deps, memberP, started.handle, {
    response: authenticator.register(started.options),
    name: 'Laptop',
  });
  return { adminP, member, memberP, authenticator, passkey };
}

export function definePasskeyServiceSuite(name: string, makeStore: () => Promise<StoreUnderTest>) {
  async function withHarness(fn: (h: Harness) => Promise<void>) {
    const { store, cleanup } = await makeStore();
    const h = await makeHarness(ENV, store);
    try {
      await fn(h);
    } finally {
      h.auth.close();
      await cleanup();
    }
  }

  describe(`passkeys on ${name}`, () => {
    it('registers a passkey; the password login then asks for it, and its assertion finishes the login', () =>
      withHarness(async (h) => {
        const { member, memberP, authenticator, passkey } = await memberWithPasskey(h);
        expect(passkey).toMatchObject({ userId: member.id, name: 'Laptop', counter: 0, transports: ['internal'] });
        expect((await getMfaStatus(h.deps, memberP)).passkeys).toBe(1);
        const outcome = await passwordLogin(h.deps, { email: EMAIL, password: PASSWORD });
        if (outcome.kind !== 'mfa') throw new Error('expected a second step');
        expect(outcome.challenge.methods).toEqual(['passkey']);
        const ceremony = await beginPasskeyAtLogin(h.deps, outcome.challenge.token);
        const answer = authenticator.assert(ceremony.options);
        const done = await completeMfaLogin(h.deps, outcome.challenge.token, {
          passkey: answer,
          webauthnHandle: ceremony.handle,
        });
        expect(done.method).toBe('passkey');
        expect((await h.deps.store.findPasskeyByCredentialId(passkey.credentialId))?.counter).toBe(1);
        // The same answer on a new challenge: its ceremony is spent.
        const again = await passwordLogin(h.deps, { email: EMAIL, password: PASSWORD });
        if (again.kind !== 'mfa') throw new Error('expected a second step');
        await rejectsWith(
          completeMfaLogin(h.deps, again.challenge.token, { passkey: answer, webauthnHandle: ceremony.handle }),
          'invalid_mfa_code',
        );
      }));

    it('signs in without a password, records the session as a passkey sign-in, and refuses a replay or no UV', () =>
      withHarness(async (h) => {
        const { member, authenticator } = await memberWithPasskey(h);
        const ceremony = await beginPasskeySignIn(h.deps);
        expect(ceremony.options.userVerification).toBe('required');
        const answer = authenticator.assert(ceremony.options);
        const session = await finishPasskeySignIn(h.deps, ceremony.handle, answer, { userAgent: 'suite' });
        expect(session.user.id).toBe(member.id);
        expect((await h.deps.store.findSession(session.sessionId))?.signInMethod).toBe('passkey');
        await rejectsWith(finishPasskeySignIn(h.deps, ceremony.handle, answer), 'invalid_passkey');
        const unverified = await beginPasskeySignIn(h.deps);
        await rejectsWith(
          finishPasskeySignIn(h.deps, unverified.handle, authenticator.assert(unverified.options, { uv: false })),
          'invalid_passkey',
        );
      }));

    it('refuses a counter that went back, and an expired ceremony', () =>
      withHarness(async (h) => {
        const { authenticator } = await memberWithPasskey(h);
        const first = await beginPasskeySignIn(h.deps);
        await finishPasskeySignIn(h.deps, first.handle, authenticator.assert(first.options, { counter: 7 }));
        const second = await beginPasskeySignIn(h.deps);
        await rejectsWith(
          finishPasskeySignIn(h.deps, second.handle, authenticator.assert(second.options, { counter: 7 })),
          'invalid_passkey',
        );
        const late = await beginPasskeySignIn(h.deps);
        h.clock.advance(5 * 60_000);
        await rejectsWith(
          finishPasskeySignIn(h.deps, late.handle, authenticator.assert(late.options)),
          'invalid_passkey',
        );
      }));

    it("lets an admin reset remove the user's passkeys; API keys cannot register one", () =>
      withHarness(async (h) => {
        const { adminP, member, memberP } = await memberWithPasskey(h);
        const { key } = await createUserApiKey(h.deps, memberP, { name: 'ci' });
        await rejectsWith(beginPasskeyRegistration(h.deps, await principalOf(h, key)), 'forbidden');
        await resetUserMfa(h.deps, adminP, member.id);
        expect(await h.deps.store.countPasskeys(member.id)).toBe(0);
      }));
  });
}
