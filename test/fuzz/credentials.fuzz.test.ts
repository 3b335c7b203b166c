/**
 * The credential readers under arbitrary header values: `parseBearer`
 * (docs/phoenix-contract.md#cookies-and-bearer, RFC 6750 §2.1), `nodeAuthorization` (repeated headers) and `readCookie` (RFC 6265 §4.2).
 * They never throw; what they return is cut from the input, and agrees with a grammar-based
 * oracle on every well-formed header.
 */
import { nodeAuthorization, parseBearer, readCookie } from '@gatehouse-auth/core/adapter-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIMEOUT_MS, runs } from './runs.js';

/** RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`, the scheme case-insensitive (RFC 9110 §11.1). */
const RFC6750 = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const B64TOKEN_CHARS = [...'ABCXYZabcxyz0189-._~+/'];

const header = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc
    .tuple(
      fc.constantFrom(
        'Bearer',
        'bearer',
        'BEARER',
        'bEaReR',
        'Basic',
        'Bearer:',
        'Bearerx',
        'Bear',
        '',
        ' Bearer',
        'Bearer\u0000',
        'ｂearer',
        'Beaer',
        'Token',
      ),
      fc.constantFrom(' ', '  ', '\t', '', ' \t', ',', '\u00a0', '\u3000'),
      fc.oneof(
        fc
          .string({ unit: fc.constantFrom(...B64TOKEN_CHARS), minLength: 1, maxLength: 40 })
          .map((token) => `${token}==`.slice(0, token.length + (token.length % 3))),
        fc.string({ maxLength: 20 }),
        fc.constantFrom('a b', 'a,b', 'a\tb', 'eyJ.eyJ.sig', 'x'.repeat(100_000)),
      ),
      fc.constantFrom('', ' ', '\t', ', Bearer other', ',', '\r\n'),
    )
    .map((parts) => parts.join('')),
);

describe('parseBearer (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('never throws; a token it returns is the non-empty, space-free rest after "Bearer "', () => {
    fc.assert(
      fc.property(header, (value) => {
        const token = parseBearer(value);
        if (token === false) return;
        expect(typeof token).toBe('string');
        if (typeof token !== 'string') return;
        expect(value.slice(0, 6).toLowerCase()).toBe('bearer');
        expect(value[6]).toBe(' ');
        expect(token).not.toBe('');
        expect(token).not.toContain(' ');
        expect(token).toBe(value.slice(7).trim());
        expect(value).toContain(token);
        expect(parseBearer(`Bearer ${token}`)).toBe(token);
      }),
      runs(3000),
    );
  });

  it('accepts every RFC 6750 credential, giving exactly its b64token', () => {
    const credential = fc
      .tuple(
        fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr'),
        fc.integer({ min: 1, max: 3 }),
        fc.string({ unit: fc.constantFrom(...B64TOKEN_CHARS), minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 2 }),
      )
      .map(([scheme, spaces, token, padding]) => ({
        value: `${scheme}${' '.repeat(spaces)}${token}${'='.repeat(padding)}`,
        token: `${token}${'='.repeat(padding)}`,
      }));
    fc.assert(
      fc.property(credential, ({ value, token }) => {
        expect(RFC6750.exec(value)?.[1]).toBe(token);
        expect(parseBearer(value)).toBe(token);
      }),
      runs(2000),
    );
  });

  it('refuses every value whose scheme is not bearer, and says "no header" only for no header', () => {
    fc.assert(
      fc.property(header, (value) => {
        const result = parseBearer(value);
        expect(result).not.toBeNull();
        if (!/^bearer /i.test(value)) expect(result).toBe(false);
      }),
      runs(2000),
    );
    expect(parseBearer(null)).toBeNull();
    expect(parseBearer(undefined)).toBeNull();
  });
});

describe('nodeAuthorization (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('passes a single Authorization header through and refuses a repeated one, in any case', () => {
    const name = fc.constantFrom(
      'authorization',
      'Authorization',
      'AUTHORIZATION',
      'aUtHoRiZaTiOn',
      'authorisation',
      'x-authorization',
      'Cookie',
      'host',
      'authorizatioN ',
    );
    fc.assert(
      fc.property(
        fc.option(header, { nil: undefined }),
        fc.array(fc.tuple(name, header), { maxLength: 6 }),
        (authorization, pairs) => {
          const rawHeaders = pairs.flat();
          const copies = pairs.filter(([headerName]) => headerName.toLowerCase() === 'authorization').length;
          const expected = authorization === undefined ? null : copies > 1 ? '' : authorization;
          const result = nodeAuthorization({ authorization }, rawHeaders);
          expect(result).toBe(expected);
          // '' is how a repeated header reaches parseBearer: always refused.
          if (result === '') expect(parseBearer(result)).toBe(false);
        },
      ),
      runs(2000),
    );
  });
});

const COOKIE = 'phoenix-access-token';
/** RFC 6265 §4.1.1 cookie-octet (no space, DQUOTE, comma, semicolon, backslash or CTL); `=` is allowed. */
const cookieOctets = fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~!#$%&()*+/:<=>?@[]^`{|}'), maxLength: 12 });
const cookieName = fc.oneof(
  fc.constantFrom(COOKIE, `x${COOKIE}`, `${COOKIE}2`, `${COOKIE.toUpperCase()}`, 'phoenix-refresh-token', 'a'),
  fc.string({ unit: fc.constantFrom(...'abcxyz-_019'), minLength: 1, maxLength: 8 }),
);
const trap = fc.constantFrom(`${COOKIE}=evil`, `x=${COOKIE}=evil`, `"${COOKIE}=evil"`);

describe('readCookie (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('never throws; a value it returns is a trimmed, non-empty piece of the header after `<name>=` at a pair boundary', () => {
    const anyHeader = fc.oneof(
      header,
      fc
        .array(fc.oneof(fc.string({ maxLength: 12 }), trap, fc.constantFrom('; ', ';', ' ', '=', COOKIE)), {
          maxLength: 10,
        })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(anyHeader, cookieName, (value, name) => {
        const result = readCookie(value, name);
        if (result === null) return;
        expect(result).not.toBe('');
        expect(result).toBe(result.trim());
        expect(result).not.toContain(';');
        expect(value).toContain(result);
        const starts = [
          ...value.matchAll(new RegExp(`(?:^|;)[ \\t]*${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}=`, 'g')),
        ];
        // The first `<name>=` at a boundary decides, even when its value is empty.
        const [first] = starts;
        expect(first).toBeDefined();
        if (first) expect((value.slice(first.index + first[0].length).split(';')[0] ?? '').trim()).toBe(result);
      }),
      runs(3000),
    );
  });

  it('agrees with RFC 6265 parsing on every well-formed Cookie header: the first pair of that name, exactly', () => {
    const pairs = fc.array(
      fc.tuple(
        cookieName,
        fc.oneof(
          cookieOctets,
          trap.map((text) => text.replace(/"/g, '')),
        ),
      ),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(pairs, cookieName, (list, name) => {
        const value = list.map(([pairName, pairValue]) => `${pairName}=${pairValue}`).join('; ');
        const expected = list.find(([pairName]) => pairName === name)?.[1];
        expect(readCookie(value, name)).toBe(expected === undefined || expected === '' ? null : expected);
      }),
      runs(3000, {
        examples: [
          [[['x', `${COOKIE}=evil`]], COOKIE],
          [[[`x${COOKIE}`, 'evil']], COOKIE],
          [[['theme', `dark ${COOKIE}=evil`]], COOKIE],
        ],
      }),
    );
  });
});
