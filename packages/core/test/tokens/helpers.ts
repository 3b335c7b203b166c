import { createHmac } from 'node:crypto';
import { expect } from 'vitest';
import { AuthenticationError } from '../../src/errors/index.js';
import { createTokenCodec, type TokenCodec, type TokenCodecOptions, type TokenKind } from '../../src/tokens/index.js';

export const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
export const OTHER_SECRET = 'another-secret-9876543210-zyxwvutsrqpo';
export const NOW_S = 1_700_000_000;

export interface TestClock {
  seconds: number;
  now: () => number;
}

export function testClock(seconds = NOW_S): TestClock {
  const clock: TestClock = { seconds, now: () => clock.seconds * 1000 };
  return clock;
}

export function codecAt(clock: TestClock, options: Partial<TokenCodecOptions> = {}): TokenCodec {
  return createTokenCodec({ secret: SECRET, now: clock.now, ...options });
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** A compact JWS built by hand, so that tests can produce what our signer never would. */
export function handToken(
  header: Record<string, unknown>,
  payload: unknown,
  { secret = SECRET, hash = 'sha256' }: { secret?: string; hash?: string } = {},
): string {
  const input = `${b64url(header)}.${typeof payload === 'string' ? payload : b64url(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

export function header(kind: TokenKind, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'HS256', typ: `gh-${kind}+jwt`, ...extra };
}

export function payload(kind: TokenKind, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { knd: kind, iss: 'gatehouse', sub: '7', jti: '42', iat: NOW_S, nbf: NOW_S, exp: NOW_S + 600, ...extra };
}

export function decodeSegment(token: string, index: number): unknown {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8'));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** Asserts the exact error, and that nothing of the token or of jose's diagnosis leaks out. */
export async function expectRefused(
  promise: Promise<unknown>,
  token: unknown,
  code: 'invalid_token' | 'expired_token' = 'invalid_token',
): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AuthenticationError);
  const { message, cause } = error as AuthenticationError;
  expect({ code: (error as AuthenticationError).code, message }).toEqual({
    code,
    message: code === 'invalid_token' ? 'Invalid token' : 'Expired token',
  });
  expect(cause).toBeUndefined();
  // Short garbage like '.' occurs in any stack trace by chance; real tokens are long.
  if (typeof token === 'string' && token.length >= 8) {
    expect(JSON.stringify(error)).not.toContain(token);
    expect(String((error as Error).stack)).not.toContain(token);
  }
}
