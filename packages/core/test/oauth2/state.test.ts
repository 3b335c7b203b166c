import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createStateCodec, STATE_TTL_SECONDS } from '../../src/oauth2/state.js';

const SECRET = 'state-secret-0123456789-abcdefghijklmnop';

describe('OAuth2 state codec', () => {
  let now = Date.UTC(2026, 10, 29);
  const codec = createStateCodec(SECRET, () => now);
  const state = { idp: 'acme', originUrl: 'https://app.example/phoenix', returnUrl: '/projects' };

  it('round-trips the IdP, origin and return URL', async () => {
    expect(await codec.verify(await codec.sign(state, 'r1'))).toEqual(state);
    expect(await codec.verify(await codec.sign({ ...state, returnUrl: null }, 'r2'))).toEqual({
      ...state,
      returnUrl: null,
    });
  });

  it('two states for the same login differ (random part)', async () => {
    expect(await codec.sign(state, 'a')).not.toBe(await codec.sign(state, 'b'));
  });

  it('expires with its cookie', async () => {
    const token = await codec.sign(state, 'r');
    now += (STATE_TTL_SECONDS + 1) * 1000;
    expect(await codec.verify(token)).toBeNull();
    now -= (STATE_TTL_SECONDS + 1) * 1000;
  });

  it('refuses another secret, a tampered payload, another token type and alg none', async () => {
    const other = createStateCodec('another-secret-0123456789-abcdefghijk', () => now);
    expect(await codec.verify(await other.sign(state, 'r'))).toBeNull();
    const [h, p, s] = (await codec.sign(state, 'r')).split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), idp: 'other' }),
    ).toString('base64url');
    expect(await codec.verify(`${h}.${forged}.${s}`)).toBeNull();
    const key = new TextEncoder().encode(SECRET);
    const access = await new SignJWT({ idp: 'acme', origin_url: 'x' })
      .setProtectedHeader({ alg: 'HS256', typ: 'gh-access+jwt' })
      .setIssuer('gatehouse')
      .setExpirationTime('5m')
      .sign(key);
    expect(await codec.verify(access)).toBeNull();
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'gatehouse-oauth2-state+jwt' })).toString('base64url')}.${p}.`;
    expect(await codec.verify(none)).toBeNull();
    expect(await codec.verify('garbage')).toBeNull();
  });
});
