import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors/index.js';
import { assertValidEmail, isValidEmail, sanitizeEmail } from '../../src/crypto/index.js';

describe('isValidEmail', () => {
  it.each([
    'user@example.com',
    'first.last+tag@sub.example.co.uk',
    'a@b.c',
    'USER@EXAMPLE.COM',
    'ü@bücher.de',
    'x@localhost.localdomain',
  ])('accepts %j', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each([
    ['missing @', 'user.example.com'],
    ['missing TLD', 'user@example'],
    ['empty TLD', 'user@example.'],
    ['missing domain', 'user@.com'],
    ['missing domain entirely', 'user@'],
    ['missing local part', '@example.com'],
    ['two @', 'user@@example.com'],
    ['@ in domain', 'user@exa@mple.com'],
    ['space in local part', 'us er@example.com'],
    ['space in domain', 'user@exam ple.com'],
    ['space in TLD', 'user@example.c om'],
    ['leading space', ' user@example.com'],
    ['trailing space', 'user@example.com '],
    ['leading tab', '\tuser@example.com'],
    ['leading newline', '\nuser@example.com'],
    ['trailing newline', 'user@example.com\n'],
    ['trailing CRLF', 'user@example.com\r\n'],
    ['embedded newline', 'user@example.com\nother@example.com'],
    ['no-break space', 'user@example.com\u00a0'],
    ['empty string', ''],
    ['dot right after @', 'user@.example'],
    ['only dots in domain', 'user@..'],
  ])('rejects %s', (_label, email) => {
    expect(isValidEmail(email)).toBe(false);
  });
});

describe('isValidEmail against the Phoenix pattern', () => {
  // Phoenix's regex, with `\s` widened to Python's whitespace; safe to run on short inputs.
  const ws = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
  const reference = new RegExp(`^[^@${ws}]+@[^@${ws}]+\\.[^@${ws}]+$`);
  const piece = fc.constantFrom(
    'a',
    'Z',
    '.',
    '@',
    ' ',
    '\n',
    '\t',
    '-',
    '+',
    'é',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\u001c',
  );

  it('agrees with the pattern on arbitrary short strings', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
        (email) => {
          expect(isValidEmail(email)).toBe(reference.test(email));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('stays fast on input that makes the pattern backtrack', () => {
    const hostile = `a@${'.'.repeat(100_000)}@`;
    const start = performance.now();
    expect(isValidEmail(hostile)).toBe(false);
    expect(sanitizeEmail(`a${' '.repeat(100_000)}b`)).toBe(`a${' '.repeat(100_000)}b`);
    expect(performance.now() - start).toBeLessThan(200);
  });
});

describe('assertValidEmail', () => {
  it('throws ValidationError with code invalid_email', () => {
    expect(() => assertValidEmail('nope')).toThrow(ValidationError);
    expect(() => assertValidEmail('nope')).toThrow(
      expect.objectContaining({ code: 'invalid_email', message: 'Invalid email address' }),
    );
  });

  it('returns for a valid address', () => {
    expect(() => assertValidEmail('user@example.com')).not.toThrow();
  });
});

describe('sanitizeEmail', () => {
  it.each([
    ['User@Example.COM', 'user@example.com'],
    ['  user@example.com  ', 'user@example.com'],
    ['\tUser@Example.com\n', 'user@example.com'],
    ['\r\n user@example.com \r\n', 'user@example.com'],
    ['', ''],
    ['   ', ''],
    ['in ner@example.com', 'in ner@example.com'],
  ])('%j becomes %j', (input, output) => {
    expect(sanitizeEmail(input)).toBe(output);
  });

  it('makes a padded, upper-cased address valid', () => {
    expect(isValidEmail(sanitizeEmail(' Admin@Localhost.Dev\n'))).toBe(true);
  });
});
