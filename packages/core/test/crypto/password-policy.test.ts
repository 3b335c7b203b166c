import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors/index.js';
import { assertValidPassword, passwordProblems } from '../../src/crypto/index.js';

describe('passwordProblems: checks that stop at the first failure', () => {
  it.each([
    ['empty', '', 'Password must be non-empty'],
    ['a space', 'pass word', 'Password must not contain whitespace characters'],
    ['a newline', 'pass\nword', 'Password must not contain whitespace characters'],
    ['a trailing newline', 'password\n', 'Password must not contain whitespace characters'],
    ['a tab', '\tpassword', 'Password must not contain whitespace characters'],
    [
      'a no-break space (non-ASCII whitespace wins)',
      'pass\u00a0word',
      'Password must not contain whitespace characters',
    ],
    ['an ASCII file separator (Python isspace)', 'pass\u001cword', 'Password must not contain whitespace characters'],
    ['non-ASCII', 'pässword', 'Password must contain only ASCII characters'],
    ['Korean', '비밀번호입니다', 'Password must contain only ASCII characters'],
    ['an emoji', 'password🔑', 'Password must contain only ASCII characters'],
    ['a BOM (not whitespace in Phoenix)', '\ufeffpassword', 'Password must contain only ASCII characters'],
  ])('rejects a password with %s', (_label, password, message) => {
    expect(passwordProblems(password, 'default')).toBe(message);
    expect(passwordProblems(password, 'strong')).toBe(message);
  });

  it('reports whitespace before non-ASCII and emptiness before anything', () => {
    expect(passwordProblems('é é', 'strong')).toBe('Password must not contain whitespace characters');
  });
});

describe('passwordProblems: default policy', () => {
  it.each(['abcd', 'aaaa', '1234', 'x'.repeat(200), '\u0000bcd'])('accepts %j', (password) => {
    expect(passwordProblems(password, 'default')).toBeNull();
  });

  it.each(['a', 'ab', 'abc'])('rejects %j as too short', (password) => {
    expect(passwordProblems(password, 'default')).toBe('Password must be at least 4 characters long');
  });
});

describe('passwordProblems: strong policy', () => {
  it.each(['StrongPass1!', 'aB3$aB3$aB3$', 'Zz9_Zz9_Zz9_Zz9_'])('accepts %j', (password) => {
    expect(passwordProblems(password, 'strong')).toBeNull();
  });

  it.each([
    ['short', 'Str0ng!', 'at least 12 characters'],
    ['no uppercase', 'strongpass1!', 'uppercase'],
    ['no lowercase', 'STRONGPASS1!', 'lowercase'],
    ['no digit', 'StrongPasswd!', 'digit'],
    ['no special', 'StrongPass12', 'special character'],
  ])('rejects %s, naming the missing requirement', (_label, password, fragment) => {
    expect(passwordProblems(password, 'strong')).toContain(fragment);
  });

  it.each([
    ['Str0ng!', 'Password must be at least 12 characters long'],
    ['strongpass1!', 'Password must be at least one uppercase letter'],
    ['STRONGPASS1!', 'Password must be at least one lowercase letter'],
    ['StrongPasswd!', 'Password must be at least one digit'],
    ['StrongPass12', 'Password must be at least one special character'],
    [
      'Strongpass',
      'Password must be at least 12 characters long, at least one digit, and at least one special character',
    ],
    ['strongpass12', 'Password must be at least one uppercase letter and at least one special character'],
    [
      '-',
      'Password must be at least 12 characters long, at least one digit, at least one lowercase letter, at least one uppercase letter, and at least one special character',
    ],
  ])('gives %j the exact aggregated message', (password, message) => {
    expect(passwordProblems(password, 'strong')).toBe(message);
  });

  it.each([...'!@#$%^&*()_+'])('counts %s as special', (special) => {
    expect(passwordProblems(`StrongPass1${special}`, 'strong')).toBeNull();
  });

  it.each([...'-=[]{};:,.<>?/|~`\'"'])('does not count %s as special', (other) => {
    expect(passwordProblems(`StrongPass1${other}`, 'strong')).toBe('Password must be at least one special character');
  });
});

describe('assertValidPassword', () => {
  it('returns for a valid password', () => {
    expect(() => assertValidPassword('StrongPass1!', 'strong')).not.toThrow();
  });

  it('throws ValidationError with code password_policy and the same message', () => {
    let caught: unknown;
    try {
      assertValidPassword('abc', 'default');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({ code: 'password_policy', message: 'Password must be at least 4 characters long' });
  });
});
