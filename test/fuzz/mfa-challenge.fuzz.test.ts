/**
 * The MFA challenge token against every other token kind. Tokens of every kind are signed with the
 * real secret and with `jti`/`sub` chosen to collide with live rows of the other kinds (a session's
 * access token id equal to a pending challenge's id, and so on), so only the kind can tell them
 * apart. Properties: `authenticate` never accepts a challenge token, the refresh exchange accepts
 * nothing but a refresh token, and the MFA verification step accepts nothing but a live challenge token. A mis-kinded token that names a real row is exactly
 * what a confused check would let through.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatehouseError, TOKEN_KINDS, type TokenKind } from '../../packages/core/src/index.js';
import { totpCodeAt } from '../../packages/core/src/mfa/index.js';
import {
  beginTotpEnrolment,
  completeMfaLogin,
  confirmTotpEnrolment,
  createUser,
  createUserApiKey,
  login,
  passwordLogin,
  refreshSession,
  requestPasswordReset,
} from '../../packages/core/src/services/index.js';
import { bearer, makeHarness, type Harness } from '../../packages/core/test/support/harness.js';
import { TIMEOUT_MS, runs } from './runs.js';

const SESSION_KINDS: readonly TokenKind[] = ['access', 'api_key'];
let h: Harness;
let userIds: number[] = [];
const maxRowId = 6;

async function outcomeOfVerify(token: string): Promise<string> {
  try {
    await completeMfaLogin(h.deps, token, { recoveryCode: 'aaaa-aaaa-aaaa-aaaa' });
    return 'session';
  } catch (error) {
    return isGatehouseError(error) ? error.code : String(error);
  }
}

beforeAll(async () => {
  h = await makeHarness({
    GATEHOUSE_ENCRYPTION_KEY: 'fuzz-mfa-encryption-key-0123456789ab',
    PHOENIX_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION: 'true',
  });
  const admin = await login(h.deps, { email: 'admin@localhost', password: 'admin-initial' });
  const adminResult = await h.auth.authenticate(bearer(admin.accessToken));
  if (!adminResult.ok) throw new Error('admin session refused');
  userIds = [h.systemUserId, adminResult.principal.userId];
  // Several users, each with live rows of every kind, so every small id names something.
  for (let i = 0; i < 3; i++) {
    const email = `fuzz${i}@example.com`;
    const user = await createUser(h.deps, adminResult.principal, {
      email,
      username: `fuzz${i}`,
      role: 'MEMBER',
      password: 'pw-fuzz',
    });
    userIds.push(user.id);
    const session = await login(h.deps, { email, password: 'pw-fuzz' });
    const result = await h.auth.authenticate(bearer(session.accessToken));
    if (!result.ok) throw new Error('member session refused');
    await createUserApiKey(h.deps, result.principal, { name: `k${i}` });
    await requestPasswordReset(h.deps, email, { resetUrl: (token) => `https://x/${token}` });
    const start = await beginTotpEnrolment(h.deps, result.principal);
    await confirmTotpEnrolment(h.deps, result.principal, totpCodeAt(start.secret, h.clock.now()));
    const outcome = await passwordLogin(h.deps, { email, password: 'pw-fuzz' });
    expect(outcome.kind).toBe('mfa');
  }
});

afterAll(() => h?.auth.close());

describe('MFA challenge tokens versus the other kinds (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  const forged = fc.record({
    kind: fc.constantFrom(...TOKEN_KINDS),
    jti: fc.integer({ min: 1, max: maxRowId }),
    subIndex: fc.nat({ max: 4 }),
    lifetime: fc.constantFrom(-600, -1, 60, 299, 3600),
  });

  it('authenticate never accepts a challenge token; only access and API-key tokens can pass', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(forged, async ({ kind, jti, subIndex, lifetime }) => {
        const sub = String(userIds[subIndex % userIds.length]);
        const expiresAt = Math.floor(h.clock.now() / 1000) + lifetime;
        const token = await h.deps.tokens.sign(kind, { jti: String(jti), sub, expiresAt });
        const result = await h.auth.authenticate(bearer(token));
        if (result.ok) {
          accepted++;
          expect(SESSION_KINDS).toContain(kind);
        }
        if (kind === 'mfa_challenge') expect(result.ok).toBe(false);
      }),
      runs(300),
    );
    // The property can fail: well-formed access tokens naming live rows do get through.
    expect(accepted).toBeGreaterThan(0);
  });

  it('the MFA step accepts only a live challenge token, never a token of another kind naming a live row', async () => {
    let reached = 0;
    await fc.assert(
      fc.asyncProperty(forged, async ({ kind, jti, subIndex, lifetime }) => {
        const sub = String(userIds[subIndex % userIds.length]);
        const expiresAt = Math.floor(h.clock.now() / 1000) + lifetime;
        const token = await h.deps.tokens.sign(kind, { jti: String(jti), sub, expiresAt });
        const outcome = await outcomeOfVerify(token);
        // Past the token check the wrong recovery code is refused: the token itself was accepted.
        if (outcome === 'invalid_mfa_code') {
          reached++;
          expect(kind).toBe('mfa_challenge');
          // Past its `exp` only within the codec's 5 s clock tolerance (the row's own expiry is later).
          expect(lifetime).toBeGreaterThan(-5);
        } else {
          expect(['invalid_token', 'expired_token']).toContain(outcome);
        }
      }),
      runs(300),
    );
    expect(reached).toBeGreaterThan(0);
  });

  // Last: an accepted refresh token is consumed and a replay ends its session, so this one changes rows.
  it('the refresh exchange never accepts a challenge token; only refresh tokens can pass', async () => {
    let rotated = 0;
    await fc.assert(
      fc.asyncProperty(forged, async ({ kind, jti, subIndex, lifetime }) => {
        const sub = String(userIds[subIndex % userIds.length]);
        const expiresAt = Math.floor(h.clock.now() / 1000) + lifetime;
        const token = await h.deps.tokens.sign(kind, { jti: String(jti), sub, expiresAt });
        try {
          await refreshSession(h.deps, token);
          rotated++;
          expect(kind).toBe('refresh');
        } catch (error) {
          if (!isGatehouseError(error)) throw error;
          expect(['invalid_token', 'expired_token', 'session_expired', 'not_found']).toContain(error.code);
        }
      }),
      runs(300),
    );
    // The property can fail: a refresh token naming a live, unused row is exchanged.
    expect(rotated).toBeGreaterThan(0);
  });
});
