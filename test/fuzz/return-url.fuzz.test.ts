/**
 * `returnUrl` validation (docs/phoenix-contract.md#return-url) against open-redirect shapes and arbitrary
 * strings: whatever it accepts is a path on this origin — as given, percent-decoded, and behind the
 * root path the callback prepends — and every plain same-site path is still accepted.
 */
import { isSafeReturnUrl } from '@gatehouse-auth/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIMEOUT_MS, runs } from './runs.js';

const ORIGIN = 'https://app.test';
const ROOT_PATHS = ['', '/app', '/a/b'] as const;

/** Starts of known open-redirect payloads, including encoded, full-width and look-alike slashes. */
const redirectStart = fc.constantFrom(
  '//',
  '/\\',
  '\\\\',
  '\\/',
  '/\t/',
  '\t//',
  ' //',
  '/%2f',
  '%2f%2f',
  '%2F%2F',
  '/%5c',
  '/%5C',
  '%5c%5c',
  '/%09/',
  '/%0a/',
  '/%00/',
  'https:',
  'https://',
  'http:/',
  'javascript:',
  'JaVaScRiPt:',
  'data:',
  '／／',
  '/／',
  '\uff3c\uff3c',
  '/\u2215',
  '/\u2044',
  '/.',
  '/..',
  '/./',
  '/%2e%2e/',
  '/\u3002',
  '%252f%252f',
  '/%252f',
  '///',
  '/;/',
  '/@',
  '',
  '/',
  '?',
  '#',
);
const host = fc.constantFrom(
  'evil.com',
  'evil.com/',
  '@evil.com',
  'user:pass@evil.com',
  'evil.com:443',
  '127.0.0.1',
  '[::1]',
  'app.test.evil.com',
  'xn--pple-43d.com',
  'аpp.test',
);
const tail = fc.oneof(
  fc.constant(''),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('/path?x=1#y', '%2f..%2f', '\\..\\', '\r\nLocation: //evil.com'),
);

/** Percent-encodes some characters, the way an attacker would hide them from a naive check. */
const encodeSome = (value: string, mask: number) =>
  [...value]
    .map((char, i) =>
      (mask >> (i % 31)) & 1
        ? encodeURIComponent(char).replace(/^[A-Za-z0-9]$/, (c) => `%${c.charCodeAt(0).toString(16)}`)
        : char,
    )
    .join('');

const candidate = fc.oneof(
  fc.tuple(redirectStart, host, tail).map((parts) => parts.join('')),
  fc
    .tuple(redirectStart, host, tail, fc.integer({ min: 0, max: 2 ** 31 - 1 }))
    .map(([a, b, c, mask]) => encodeSome(`${a}${b}${c}`, mask)),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }).map((text) => `/${text}`),
  fc.string({
    unit: fc.constantFrom('/', '\\', '%', '2', 'f', 'F', '5', 'c', '.', 'a', ':', '@', '\t', ' '),
    maxLength: 12,
  }),
);

function decodeOrNull(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/** The stated rule for one form of the value: `/` alone or `/` + word character, printable ASCII, no backslash. */
function looksLikeLocalPath(value: string): boolean {
  return /^\/($|\w)/.test(value) && /^[\x20-\x7e]*$/.test(value) && !value.includes('\\');
}

describe('isSafeReturnUrl (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('accepts only paths that stay on the origin, as given and decoded, behind any root path', () => {
    fc.assert(
      fc.property(candidate, (value) => {
        if (!isSafeReturnUrl(value)) return;
        const decoded = decodeOrNull(value);
        expect(decoded).not.toBeNull();
        for (const form of [value, decoded ?? '']) {
          expect(looksLikeLocalPath(form), JSON.stringify(form)).toBe(true);
          expect(form.startsWith('//')).toBe(false);
          expect(/^[a-z][a-z0-9+.-]*:/i.test(form)).toBe(false);
          for (const root of ROOT_PATHS) {
            const target = new URL(`${root}${form}`, ORIGIN);
            expect(target.origin).toBe(ORIGIN);
            expect(target.username + target.password).toBe('');
          }
        }
        // The callback's Location header is built from the value as given: it must be a valid header
        // (no 500) and, as the browser reads it back, still point at this origin.
        for (const root of ROOT_PATHS) {
          const location = new Headers({ location: `${root}${value}` }).get('location') ?? '';
          expect(new URL(location, ORIGIN).origin).toBe(ORIGIN);
        }
      }),
      runs(5000, {
        examples: [
          ['/%2F%2Fevil.com'],
          ['/\\evil.com'],
          ['/\t/evil.com'],
          ['%2f%2fevil.com'],
          ['javascript:alert(1)'],
          ['/a/..//evil.com'],
        ],
      }),
    );
  });

  it('refuses every value whose decoded form starts like another origin', () => {
    fc.assert(
      fc.property(fc.tuple(redirectStart, host, tail), ([start, target, rest]) => {
        const value = `${start}${target}${rest}`;
        const decoded = decodeOrNull(value);
        // Not a path (scheme, backslash, whitespace first), or a slash then (after blanks) another slash.
        // eslint-disable-next-line no-control-regex -- blanks include the control characters URL parsers skip
        const crossOrigin = [value, decoded ?? '//'].some((form) => /^(?:[^/]|\/[\x00-\x20]*[\\/])/.test(form));
        if (crossOrigin) expect(isSafeReturnUrl(value)).toBe(false);
      }),
      runs(3000),
    );
  });

  it('accepts every plain path of word characters, with any query and fragment', () => {
    const segment = fc.string({ unit: fc.constantFrom(...'abcXYZ019_-.~'), minLength: 1, maxLength: 8 });
    const path = fc
      .tuple(
        fc.string({ unit: fc.constantFrom(...'abcXYZ019_'), minLength: 1, maxLength: 8 }),
        fc.array(segment, { maxLength: 4 }),
        fc.option(fc.string({ unit: fc.constantFrom('a', 'b', '0', '9', '=', '&', '+', '-', '%20'), maxLength: 12 }), {
          nil: undefined,
        }),
        fc.option(segment, { nil: undefined }),
      )
      .map(
        ([first, rest, query, fragment]) =>
          `/${[first, ...rest].join('/')}${query === undefined ? '' : `?${query}`}${fragment === undefined ? '' : `#${fragment}`}`,
      );
    fc.assert(
      fc.property(path, (value) => {
        expect(isSafeReturnUrl(value)).toBe(true);
      }),
      runs(2000, { examples: [['/projects'], ['/projects/7?tab=traces#x']] }),
    );
    expect(isSafeReturnUrl('/')).toBe(true);
  });
});
