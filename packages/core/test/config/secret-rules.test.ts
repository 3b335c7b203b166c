import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, secretProblems } from '../../src/config/index.js';

describe('secretProblems', () => {
  it.each([
    ['4fd8ea0caef4f6f87ca5a74912d51baf'],
    ['57d2e6c8fda06190411e9bd342747ee8'],
    ['validsecret123456789012345678901234567890'],
    // Upper-case letters and special characters are allowed but not required.
    ['a1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a1!@#$%^&*()_+-=[]{}|;:,.<>?/~`"'],
  ])('accepts %j', (value) => {
    expect(secretProblems(value, 'Phoenix secret')).toBeNull();
  });

  it.each([
    ['', 'Phoenix secret must be non-empty'],
    ['abc def1234567890123456789012345678', 'Phoenix secret must not contain whitespace characters'],
    ['abc\tdef1234567890123456789012345678', 'Phoenix secret must not contain whitespace characters'],
    ['abc\ndef1234567890123456789012345678', 'Phoenix secret must not contain whitespace characters'],
    ['abc\u001cdef1234567890123456789012345678', 'Phoenix secret must not contain whitespace characters'],
    ['abc\u00a0def1234567890123456789012345678', 'Phoenix secret must not contain whitespace characters'],
    ['clé1234567890123456789012345678901', 'Phoenix secret must contain only ASCII characters'],
    ['비밀1234567890123456789012345678901', 'Phoenix secret must contain only ASCII characters'],
    ['secret🔑1234567890123456789012345678', 'Phoenix secret must contain only ASCII characters'],
    ['short', 'Phoenix secret must be at least 32 characters long and at least one digit'],
    ['abc1', 'Phoenix secret must be at least 32 characters long'],
    [
      'ABC',
      'Phoenix secret must be at least 32 characters long, at least one digit, and at least one lowercase letter',
    ],
    ['12345678901234567890123456789012', 'Phoenix secret must contain at least one lowercase letter'],
    ['abcdefghijklmnopqrstuvwxyzabcdef', 'Phoenix secret must contain at least one digit'],
    [
      'ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF',
      'Phoenix secret must contain at least one digit and at least one lowercase letter',
    ],
    ['ABC1', 'Phoenix secret must be at least 32 characters long and at least one lowercase letter'],
  ])('rejects %j with %j', (value, message) => {
    expect(secretProblems(value, 'Phoenix secret')).toBe(message);
  });

  it('checks in the Phoenix order: non-empty, whitespace, ASCII, then strength', () => {
    // Whitespace and non-ASCII and too short: whitespace is reported, alone.
    expect(secretProblems('é é', 'Phoenix secret')).toBe('Phoenix secret must not contain whitespace characters');
    // Non-ASCII and too short: ASCII is reported, alone.
    expect(secretProblems('é', 'Phoenix secret')).toBe('Phoenix secret must contain only ASCII characters');
  });

  it('uses the given subject', () => {
    expect(secretProblems('short', 'Phoenix admin secret')).toBe(
      'Phoenix admin secret must be at least 32 characters long and at least one digit',
    );
  });

  it('draws the length line at exactly 32 characters', () => {
    expect(MIN_SECRET_LENGTH).toBe(32);
    expect(secretProblems('a1'.padEnd(31, 'x'), 'S')).toBe('S must be at least 32 characters long');
    expect(secretProblems('a1'.padEnd(32, 'x'), 'S')).toBeNull();
  });

  it('never repeats the value in its message', () => {
    const value = 'TOPSECRETVALUE';
    expect(secretProblems(value, 'Phoenix secret')).not.toContain(value);
  });
});
