import { describe, expect, it } from 'vitest';
import { randomId, randomPassword, randomToken } from '../../src/crypto/index.js';

describe('randomId', () => {
  it('is 22 base64url characters by default', () => {
    expect(randomId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('encodes the requested number of bytes', () => {
    expect(randomId(3)).toMatch(/^[A-Za-z0-9_-]{4}$/);
    expect(Buffer.from(randomId(48), 'base64url')).toHaveLength(48);
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => randomId()));
    expect(ids.size).toBe(10_000);
  });

  it.each([0, -1, 1.5, Number.NaN, 2048])('refuses %s bytes', (bytes) => {
    expect(() => randomId(bytes)).toThrow(RangeError);
  });
});

describe('randomToken', () => {
  it('is 43 base64url characters by default', () => {
    expect(randomToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('does not repeat', () => {
    expect(randomToken()).not.toBe(randomToken());
  });
});

describe('randomPassword', () => {
  it('is 64 lower-case hex characters', () => {
    expect(randomPassword()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not repeat', () => {
    expect(randomPassword()).not.toBe(randomPassword());
  });
});
