import { describe, expect, it } from 'vitest';
import { timingSafeEqualString } from '../../src/crypto/index.js';

describe('timingSafeEqualString', () => {
  it.each([
    ['', '', true],
    ['secret', 'secret', true],
    ['ünïcødé 🔑', 'ünïcødé 🔑', true],
    ['secret', 'Secret', false],
    ['secret', 'secreT', false],
    ['secret', 'secret ', false],
    ['secret', 'secre', false],
    ['', 'x', false],
    ['x', '', false],
    ['a'.repeat(1000), 'a'.repeat(1001), false],
    // UTF-8 would turn both lone surrogates into U+FFFD and call them equal.
    ['\ud800', '\udfff', false],
    ['\ud800', '\ufffd', false],
  ])('%j vs %j -> %s', (a, b, equal) => {
    expect(timingSafeEqualString(a, b)).toBe(equal);
    expect(timingSafeEqualString(b, a)).toBe(equal);
  });
});
