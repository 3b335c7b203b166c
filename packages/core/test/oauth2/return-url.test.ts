import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isSafeReturnUrl } from '../../src/oauth2/return-url.js';

describe('isSafeReturnUrl', () => {
  it.each(['/', '/projects', '/projects/7?tab=traces#x', '/_private', '/a/../b', '/a%20b'])('accepts %j', (value) => {
    expect(isSafeReturnUrl(value)).toBe(true);
  });

  it.each([
    '',
    'projects',
    '//evil.com',
    '///evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    'https://evil.com',
    'javascript:alert(1)',
    '%2F%2Fevil.com',
    '/%2F/evil.com',
    '/%5Cevil.com',
    '/\t/evil.com',
    '/a\nLocation: https://evil.com',
    '/a\\b',
    '/%E0%A4%A',
    '/%7Euser', // stricter than Phoenix: the value as given must pass too
    '/.',
    '/-',
  ])('refuses %j', (value) => {
    expect(isSafeReturnUrl(value)).toBe(false);
  });

  it('never accepts a value the URL parser resolves to another origin', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (value) => {
        if (!isSafeReturnUrl(value)) return;
        expect(new URL(value, 'https://app.example').origin).toBe('https://app.example');
        expect(new URL(decodeURIComponent(value), 'https://app.example').origin).toBe('https://app.example');
      }),
      { numRuns: 2000 },
    );
  });
});
