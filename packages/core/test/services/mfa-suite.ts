import { describe, expect, it } from 'vitest';
import { normalizeRecoveryCode, totpCodeAt } from '../../src/mfa/index.js';
import type { Principal } from '../../src/policy/index.js';
import {
  beginEnrolmentAtLogin,
  beginTotpEnrolment,
  completeMfaLogin,
  confirmEnrolmentAtLogin,
  confirmTotpEnrolment,
  createUser,
  createUserApiKey,
  getMfaStatus,
  login,
  passwordLogin,
  regenerateRecoveryCodes,
  removeTotp,
  resetUserMfa,
  type MfaChallenge,
} from '../../src/services/index.js';
import { bearer, makeHarness, principalOf, rejectsWith, type Harness } from '../support/harness.js';
import type { StoreUnderTest } from './service-suite.js';

export const ENCRYPTION_KEY = 'mfa-encryption-key-0123456789abcdef';
const FORMER_KEY = 'former-mfa-encryption-key-012345678';
const MFA_ENV = { GATEHOUSE_ENCRYPTION_KEY: ENCRYPTION_KEY };
const PASSWORD = 'member-pw';
const EMAIL = 'member@example.com';
const STEP = 30_000;

/** The default admin's session and a member with a known password and a session. */
async function world(h: Harness) {
  const admin = await login(h.deps, { email: 'admin@localhost', password: 'admin-initial' });
  const adminP = await principalOf(h, admin.accessToken);
  const member = await createUser(h.deps, adminP, {
    email: EMAIL,
    username: 'member',
    role: 'MEMBER',
    password: PASSWORD,
  });
  const memberSession = await login(h.deps, { email: EMAIL, password: PASSWORD });
  return { adminP, member, memberP: await principalOf(h, memberSession.accessToken), memberSession };
}

/** Enrols the member's authenticator; returns its secret and the recovery codes. */
async function enrol(h: Harness, memberP: Principal) {
  const start = await beginTotpEnrolment(h.deps, memberP);
  const codes = await confirmTotpEnrolment(h.deps, memberP, totpCodeAt(start.secret, h.clock.now()));
  // The confirming code's step is spent: the next login waits for the next step, as a person would.
  h.clock.advance(STEP);
  return { secret: start.secret, codes };
}

async function challengeOf(h: Harness, email = EMAIL, password = PASSWORD): Promise<MfaChallenge> {
  const outcome = await passwordLogin(h.deps, { email, password });
  if (outcome.kind !== 'mfa') throw new Error('expected a second step');
  return outcome.challenge;
}

export function defineMfaServiceSuite(name: string, makeStore: () => Promise<StoreUnderTest>) {
  async function withHarness(fn: (h: Harness) => Promise<void>, env: Record<string, string> = MFA_ENV) {
    const { store, cleanup } = await makeStore();
    const h = await makeHarness(env, store);
    try {
      await fn(h);
    } finally {
      h.auth.close();
      await cleanup();
    }
  }

  describe(`second factors on ${name}`, () => {
    it('enrols TOTP with a QR code and a confirmation code; the secret is stored only encrypted', () =>
      withHarness(async (h) => {
        const { member, memberP } = await world(h);
        const start = await beginTotpEnrolment(h.deps, memberP);
        expect(start.secret).toMatch(/^[A-Z2-7]{32}$/);
        expect(start.uri).toContain(`secret=${start.secret}`);
        expect(start.uri).toMatch(/^otpauth:\/\/totp\/127\.0\.0\.1%3A6006:member%40example\.com\?/);
        expect(start.uri).toContain('algorithm=SHA1&digits=6&period=30');
        expect(start.qrSvg).toMatch(/^<svg[^>]*>/);
        const row = await h.store.findTotpFactor(member.id);
        expect(row).toMatchObject({ confirmedAt: null });
        expect(row?.secretCiphertext).not.toContain(start.secret);
        // Not enrolled until confirmed: the password alone still signs in.
        expect((await passwordLogin(h.deps, { email: EMAIL, password: PASSWORD })).kind).toBe('session');

        await rejectsWith(confirmTotpEnrolment(h.deps, memberP, '000000'), 'invalid_mfa_code');
        const codes = await confirmTotpEnrolment(h.deps, memberP, totpCodeAt(start.secret, h.clock.now()));
        expect(codes).toHaveLength(10);
        expect(new Set(codes).size).toBe(10);
        for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
        expect(await getMfaStatus(h.deps, memberP)).toMatchObject({
          available: true,
          required: false,
          totp: { enrolled: true },
          recoveryCodesRemaining: 10,
        });
        // A second enrolment is refused while one is confirmed.
        await rejectsWith(beginTotpEnrolment(h.deps, memberP), 'mfa_already_enrolled');
      }));

    it('turns the password login into a challenge; the code finishes it; `login` refuses to skip it', () =>
      withHarness(async (h) => {
        const { memberP } = await world(h);
        const { secret } = await enrol(h, memberP);
        await rejectsWith(login(h.deps, { email: EMAIL, password: PASSWORD }), 'mfa_required');
        const challenge = await challengeOf(h);
        expect(challenge).toMatchObject({ purpose: 'verify', methods: ['totp', 'recovery_code'] });
        expect(challenge.expiresAt).toBe(h.clock.now() + 300_000);
        const done = await completeMfaLogin(h.deps, challenge.token, { code: totpCodeAt(secret, h.clock.now()) });
        expect(done.method).toBe('totp');
        expect((await principalOf(h, done.session.accessToken)).userId).toBe(memberP.userId);
        // Single use: the same challenge cannot mint a second session.
        h.clock.advance(STEP);
        await rejectsWith(
          completeMfaLogin(h.deps, challenge.token, { code: totpCodeAt(secret, h.clock.now()) }),
          'invalid_token',
        );
      }));

    it('accepts a code once (a replay in its window is refused) and one step of drift either side', () =>
      withHarness(
        async (h) => {
          const { memberP } = await world(h);
          const { secret } = await enrol(h, memberP);
          const code = totpCodeAt(secret, h.clock.now());
          await completeMfaLogin(h.deps, (await challengeOf(h)).token, { code });
          await rejectsWith(completeMfaLogin(h.deps, (await challengeOf(h)).token, { code }), 'invalid_mfa_code');
          // The previous step is older than the one just used: refused too.
          await rejectsWith(
            completeMfaLogin(h.deps, (await challengeOf(h)).token, { code: totpCodeAt(secret, h.clock.now() - STEP) }),
            'invalid_mfa_code',
          );
          // One step ahead (the phone's clock runs fast) is accepted; two are not.
          await rejectsWith(
            completeMfaLogin(h.deps, (await challengeOf(h)).token, {
              code: totpCodeAt(secret, h.clock.now() + 2 * STEP),
            }),
            'invalid_mfa_code',
          );
          await completeMfaLogin(h.deps, (await challengeOf(h)).token, {
            code: totpCodeAt(secret, h.clock.now() + STEP),
          });
          // One step behind (the phone is slow) is accepted when nothing later was used.
          h.clock.advance(3 * STEP);
          await completeMfaLogin(h.deps, (await challengeOf(h)).token, {
            code: totpCodeAt(secret, h.clock.now() - STEP),
          });
          await rejectsWith(
            completeMfaLogin(h.deps, (await challengeOf(h)).token, {
              code: totpCodeAt(secret, h.clock.now() - 2 * STEP),
            }),
            'invalid_mfa_code',
          );
        },
        { ...MFA_ENV, PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: '20' },
      ));

    it('accepts each recovery code once, in any case and grouping; regenerating voids the old ones', () =>
      withHarness(async (h) => {
        const { memberP } = await world(h);
        const { secret, codes } = await enrol(h, memberP);
        const [first, second] = codes as [string, string];
        const done = await completeMfaLogin(h.deps, (await challengeOf(h)).token, {
          recoveryCode: first.toUpperCase().replaceAll('-', ' '),
        });
        expect(done).toMatchObject({ method: 'recovery_code', recoveryCodesRemaining: 9 });
        await rejectsWith(
          completeMfaLogin(h.deps, (await challengeOf(h)).token, { recoveryCode: first }),
          'invalid_mfa_code',
        );
        const fresh = await regenerateRecoveryCodes(h.deps, memberP, { code: totpCodeAt(secret, h.clock.now()) });
        expect(fresh).toHaveLength(10);
        expect(fresh).not.toContain(second);
        await rejectsWith(
          completeMfaLogin(h.deps, (await challengeOf(h)).token, { recoveryCode: second }),
          'invalid_mfa_code',
        );
        await completeMfaLogin(h.deps, (await challengeOf(h)).token, { recoveryCode: fresh[0] });
        // Only the keyed hashes are stored.
        expect(normalizeRecoveryCode(fresh[1])).not.toBeNull();
      }));

    it('refuses a challenge token as an access token, an access token as a challenge, and an expired challenge', () =>
      withHarness(async (h) => {
        const { memberP, memberSession } = await world(h);
        const { secret } = await enrol(h, memberP);
        const challenge = await challengeOf(h);
        const asAccess = await h.auth.authenticate(bearer(challenge.token));
        expect(asAccess.ok).toBe(false);
        for (const wrong of [memberSession.accessToken, memberSession.refreshToken, '', 'x.y.z', undefined]) {
          await rejectsWith(
            completeMfaLogin(h.deps, wrong, { code: totpCodeAt(secret, h.clock.now()) }),
            'invalid_token',
          );
        }
        h.clock.advance(301_000);
        await rejectsWith(
          completeMfaLogin(h.deps, challenge.token, { code: totpCodeAt(secret, h.clock.now()) }),
          'expired_token',
        );
      }));

    it('counts wrong codes as failed logins: the account locks, and a right code then waits', () =>
      withHarness(async (h) => {
        const { memberP } = await world(h);
        const { secret } = await enrol(h, memberP);
        const challenge = await challengeOf(h);
        for (let i = 0; i < 5; i++)
          await rejectsWith(completeMfaLogin(h.deps, challenge.token, { code: '123456' }), 'invalid_mfa_code');
        await rejectsWith(
          completeMfaLogin(h.deps, challenge.token, { code: totpCodeAt(secret, h.clock.now()) }),
          'too_many_login_attempts',
        );
        await rejectsWith(passwordLogin(h.deps, { email: EMAIL, password: PASSWORD }), 'too_many_login_attempts');
        h.clock.advance(301_000);
        await completeMfaLogin(h.deps, (await challengeOf(h)).token, { code: totpCodeAt(secret, h.clock.now()) });
      }));

    it('requires a factor of the configured roles: enrolment happens inside the login, before any session', () =>
      withHarness(
        async (h) => {
          const admin = await passwordLogin(h.deps, { email: 'admin@localhost', password: 'admin-initial' });
          expect(admin.kind).toBe('session');
          if (admin.kind !== 'session') return;
          const adminP = await principalOf(h, admin.session.accessToken);
          await createUser(h.deps, adminP, { email: EMAIL, username: 'member', role: 'MEMBER', password: PASSWORD });
          await rejectsWith(login(h.deps, { email: EMAIL, password: PASSWORD }), 'mfa_required');
          const challenge = await challengeOf(h);
          expect(challenge).toMatchObject({ purpose: 'enroll', methods: [] });
          // An enrolment challenge is not a verification challenge, nor the reverse.
          await rejectsWith(completeMfaLogin(h.deps, challenge.token, { code: '123456' }), 'invalid_token');
          const start = await beginEnrolmentAtLogin(h.deps, challenge.token);
          await rejectsWith(confirmEnrolmentAtLogin(h.deps, challenge.token, '000000'), 'invalid_mfa_code');
          const done = await confirmEnrolmentAtLogin(h.deps, challenge.token, totpCodeAt(start.secret, h.clock.now()));
          expect(done.recoveryCodes).toHaveLength(10);
          expect((await principalOf(h, done.session.accessToken)).role).toBe('MEMBER');
          await rejectsWith(
            confirmEnrolmentAtLogin(h.deps, challenge.token, totpCodeAt(start.secret, h.clock.now())),
            'invalid_token',
          );
          // From now on the member is asked for the code.
          const next = await challengeOf(h);
          expect(next.purpose).toBe('verify');
          await rejectsWith(beginEnrolmentAtLogin(h.deps, next.token), 'invalid_token');
        },
        { ...MFA_ENV, GATEHOUSE_MFA_REQUIRED_ROLES: 'MEMBER' },
      ));

    it("lets an admin reset another user's factors, which ends that user's sessions; nobody else can", () =>
      withHarness(async (h) => {
        const { adminP, member, memberP, memberSession } = await world(h);
        await enrol(h, memberP);
        await rejectsWith(resetUserMfa(h.deps, memberP, member.id), 'forbidden');
        await resetUserMfa(h.deps, adminP, member.id);
        expect((await h.auth.authenticate(bearer(memberSession.accessToken))).ok).toBe(false);
        expect(await h.store.findTotpFactor(member.id)).toBeNull();
        expect(await h.store.countUnusedRecoveryCodes(member.id)).toBe(0);
        expect((await passwordLogin(h.deps, { email: EMAIL, password: PASSWORD })).kind).toBe('session');
        await rejectsWith(resetUserMfa(h.deps, adminP, 999_999), 'not_found');
      }));

    it('keeps API keys working and refuses to let them (or the admin secret) manage factors', () =>
      withHarness(async (h) => {
        const { memberP } = await world(h);
        const { key } = await createUserApiKey(h.deps, memberP, { name: 'ci' });
        await enrol(h, memberP);
        const keyP = await principalOf(h, key);
        expect(keyP.kind).toBe('user_api_key');
        await rejectsWith(beginTotpEnrolment(h.deps, keyP), 'forbidden');
        await rejectsWith(removeTotp(h.deps, keyP, { code: '123456' }), 'forbidden');
        await rejectsWith(getMfaStatus(h.deps, keyP), 'forbidden');
      }));

    it('removes the authenticator only with a current code or a recovery code', () =>
      withHarness(async (h) => {
        const { memberP } = await world(h);
        const { codes } = await enrol(h, memberP);
        await rejectsWith(removeTotp(h.deps, memberP, {}), 'invalid_mfa_code');
        await rejectsWith(removeTotp(h.deps, memberP, { code: '000000' }), 'invalid_mfa_code');
        await removeTotp(h.deps, memberP, { recoveryCode: codes[3] });
        expect(await getMfaStatus(h.deps, memberP)).toMatchObject({
          totp: { enrolled: false },
          recoveryCodesRemaining: 0,
        });
        expect((await passwordLogin(h.deps, { email: EMAIL, password: PASSWORD })).kind).toBe('session');
      }));

    it('rotates the encryption key: former keys still open secrets and recovery codes, and secrets move to the new key', async () => {
      const { store, cleanup } = await makeStore();
      try {
        const before = await makeHarness({ GATEHOUSE_ENCRYPTION_KEY: FORMER_KEY }, store);
        const { member, memberP } = await world(before);
        const { secret, codes } = await enrol(before, memberP);
        const sealedBefore = (await store.findTotpFactor(member.id))?.secretCiphertext;
        before.auth.close();

        const after = await makeHarness(
          { GATEHOUSE_ENCRYPTION_KEY: ENCRYPTION_KEY, GATEHOUSE_ENCRYPTION_KEY_PREVIOUS: FORMER_KEY },
          store,
        );
        after.clock.ms = before.clock.ms + STEP;
        await completeMfaLogin(after.deps, (await challengeOf(after)).token, {
          code: totpCodeAt(secret, after.clock.now()),
        });
        const sealedAfter = (await store.findTotpFactor(member.id))?.secretCiphertext;
        expect(sealedAfter?.split('.')[1]).not.toBe(sealedBefore?.split('.')[1]);
        await completeMfaLogin(after.deps, (await challengeOf(after)).token, { recoveryCode: codes[0] });
        after.auth.close();

        // With the former key dropped, the re-sealed secret still opens; an unknown key fails closed (500).
        const dropped = await makeHarness(MFA_ENV, store);
        dropped.clock.ms = after.clock.ms + STEP;
        await completeMfaLogin(dropped.deps, (await challengeOf(dropped)).token, {
          code: totpCodeAt(secret, dropped.clock.now()),
        });
        dropped.auth.close();
        const wrongKey = await makeHarness({ GATEHOUSE_ENCRYPTION_KEY: 'another-encryption-key-0123456789ab' }, store);
        wrongKey.clock.ms = dropped.clock.ms + STEP;
        await rejectsWith(
          completeMfaLogin(wrongKey.deps, (await challengeOf(wrongKey)).token, {
            code: totpCodeAt(secret, wrongKey.clock.now()),
          }),
          'internal',
        );
        wrongKey.auth.close();

        // No key at all: the enrolled user is still asked for the factor, which cannot be checked (fail closed).
        const none = await makeHarness({}, store);
        await rejectsWith(
          completeMfaLogin(none.deps, (await challengeOf(none)).token, { code: '123456' }),
          'mfa_unavailable',
        );
        none.auth.close();
      } finally {
        await cleanup();
      }
    });

    it('is unavailable without GATEHOUSE_ENCRYPTION_KEY', () =>
      withHarness(async (h) => {
        const { memberP } = await world(h);
        await rejectsWith(beginTotpEnrolment(h.deps, memberP), 'mfa_unavailable');
        expect(await getMfaStatus(h.deps, memberP)).toMatchObject({ available: false, totp: { enrolled: false } });
      }, {}));
  });
}
