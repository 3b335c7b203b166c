import { Secret, TOTP } from 'otpauth';

/*
 * RFC 6238 with the parameters every authenticator app understands: SHA-1, 6 digits, 30-second
 * steps. otpauth computes and compares the codes (its comparison is constant-time); replay
 * refusal is ours: the accepted step is returned so the store can refuse any step not later
 * than the last one used.
 */

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps of clock drift accepted either side of now. */
export const TOTP_WINDOW = 1;
/** 160 bits, the HMAC-SHA-1 block recommendation of RFC 4226 §4. */
const SECRET_BYTES = 20;

export interface TotpEnrolment {
  /** Base32, as typed into an authenticator app by hand. */
  readonly secret: string;
  /** `otpauth://totp/...`, the QR code's content. */
  readonly uri: string;
}

function totpFor(secretBase32: string, issuer: string, label: string): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

export function newTotpSecret(issuer: string, label: string): TotpEnrolment {
  const secret = new Secret({ size: SECRET_BYTES }).base32;
  return { secret, uri: totpFor(secret, issuer, label).toString() };
}

export function totpUri(secretBase32: string, issuer: string, label: string): string {
  return totpFor(secretBase32, issuer, label).toString();
}

/** Only six ASCII digits are a code; spaces people type between groups are dropped first. */
export function normalizeTotpCode(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const code = raw.replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(code) ? code : null;
}

/** The 30-second step the code belongs to (within ±1 of now), or null when it matches none. */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number): number | null {
  const delta = totpFor(secretBase32, 'x', 'x').validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
  return delta === null ? null : Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS) + delta;
}

/** The code of a step: for tests and tools that play the authenticator. */
export function totpCodeAt(secretBase32: string, nowMs: number): string {
  return totpFor(secretBase32, 'x', 'x').generate({ timestamp: nowMs });
}
