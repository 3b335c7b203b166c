import { describe, expect, it } from 'vitest';
import { createTokenCodec, type AuditEventInput } from '../../src/index.js';
import { PREVIOUS_SECRET_REPORT_INTERVAL_MS, previousSecretReporter } from '../../src/audit/index.js';

const CURRENT = 'current0secret0for0tests0abcdefghijk1';
const FIRST_OLD = 'first0old0secret0for0tests0abcdefghi1';
const SECOND_OLD = 'second0old0secret0for0tests0abcdefgh1';

function harness() {
  let now = Date.UTC(2026, 11, 2);
  const recorded: AuditEventInput[] = [];
  const clock = { now: () => now };
  const report = previousSecretReporter({ record: (event) => recorded.push(event) }, clock);
  return { recorded, report, clock, advance: (ms: number) => (now += ms) };
}

describe('previousSecretReporter', () => {
  it('reports each (secret, credential kind) once per interval, and again after it', () => {
    const h = harness();
    h.report(0, 'access');
    h.report(0, 'access');
    h.report(1, 'access');
    h.report(0, 'api_key');
    expect(h.recorded.map((e) => e.details)).toEqual([
      { secretIndex: 1, credential: 'access_token' },
      { secretIndex: 2, credential: 'access_token' },
      { secretIndex: 1, credential: 'api_key' },
    ]);
    h.advance(PREVIOUS_SECRET_REPORT_INTERVAL_MS - 1);
    h.report(0, 'access');
    expect(h.recorded).toHaveLength(3);
    h.advance(1);
    h.report(0, 'access');
    expect(h.recorded).toHaveLength(4);
    expect(h.recorded.every((e) => e.type === 'secret.previous_in_use' && e.subjectUserId === null)).toBe(true);
  });
});

describe("the codec's onPreviousSecret hook", () => {
  const sign = (secret: string, kind: 'access' | 'api_key', exp: number | null) =>
    createTokenCodec({ secret }).sign(kind, { jti: 'j1', sub: '7', expiresAt: exp });

  it('names the previous secret that signed an accepted token, and stays silent otherwise', async () => {
    const uses: [number, string][] = [];
    const codec = createTokenCodec({
      secret: CURRENT,
      previousSecrets: [FIRST_OLD, SECOND_OLD],
      onPreviousSecret: (index, kind) => uses.push([index, kind]),
    });
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    codec.verifySync(await sign(CURRENT, 'access', inAnHour), 'access');
    expect(uses).toEqual([]);
    codec.verifySync(await sign(SECOND_OLD, 'access', inAnHour), 'access');
    codec.verifySync(await sign(FIRST_OLD, 'api_key', null), 'api_key');
    expect(uses).toEqual([
      [1, 'access'],
      [0, 'api_key'],
    ]);
    // Refused tokens are not "in use": expired, or of another kind than expected.
    const expired = await sign(FIRST_OLD, 'access', Math.floor(Date.now() / 1000) - 3600);
    expect(() => codec.verifySync(expired, 'access')).toThrow('Expired token');
    const key = await sign(FIRST_OLD, 'api_key', null);
    expect(() => codec.verifySync(key, 'access')).toThrow('Invalid token');
    expect(uses).toHaveLength(2);
  });
});
