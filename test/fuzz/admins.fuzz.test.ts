/**
 * `PHOENIX_ADMINS` (docs/phoenix-contract.md#admins) under arbitrary input: every accepted entry obeys the format
 * rules, no pair is dropped without a problem, a parsed list formats back to itself, and garbage
 * surfaces as a `ConfigError` naming the variable.
 */
import { ConfigError, parseAuthEnv } from '@gatehouse-auth/core';
import { collectAdmins, parseAdmins } from '@gatehouse-auth/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adminsValue, padding } from './env.js';
import { TIMEOUT_MS, runs } from './runs.js';

/** Text rich in the characters the format gives meaning to. */
const adminsText = fc.oneof(
  adminsValue,
  fc.string({ maxLength: 40 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          ';',
          '=',
          '@',
          ',',
          '.',
          ' ',
          '\t',
          '\n',
          'com',
          'x',
          'A',
          'É',
          'İ',
          'ı',
          '\u212A',
          '\u0000',
          '\u00a0',
          '"',
          "'",
          'a.b@c.de',
        ),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 24 },
    )
    .map((parts) => parts.join('')),
);

/** What an accepted address must look like: ASCII, one `@`, a dotted domain, nothing the format reserves. */
const ACCEPTABLE_EMAIL = /^[a-z0-9._'+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$/;

const format = (admins: readonly { username: string; email: string }[]) =>
  admins.map(({ username, email }) => `${username}=${email}`).join(';');

/** Usernames may hold `=`, `,` and spaces inside, never `;`; they have no surrounding whitespace. */
const username = fc
  .string({ unit: fc.constantFrom(..."abcXYZ019 ,=.-_'é"), minLength: 1, maxLength: 12 })
  .map((name) => name.trim())
  .filter((name) => name !== '');
const email = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...'abcXYZ019._+-'), minLength: 1, maxLength: 8 }),
    fc.string({ unit: fc.constantFrom(...'abcXYZ019'), minLength: 1, maxLength: 8 }),
    fc.constantFrom('com', 'ORG', 'co', 'Example'),
  )
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`)
  .filter((address) => /^[A-Za-z0-9_+-](?:[A-Za-z0-9_+-]|\.(?!\.))*(?<!\.)@/.test(address));

describe('PHOENIX_ADMINS (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('accepts only entries that obey the rules, and drops no pair without a problem', () => {
    fc.assert(
      fc.property(adminsText, (raw) => {
        const { admins, problems } = collectAdmins(raw);
        const pairs = raw
          .split(';')
          .map((pair) => pair.trim())
          .filter((pair) => pair !== '');
        const refused = pairs.length - admins.length;
        // One problem per refused pair, two when a pair repeats both a username and an email.
        expect(problems.length).toBeGreaterThanOrEqual(refused);
        expect(problems.length).toBeLessThanOrEqual(2 * refused);
        expect(new Set(admins.map((admin) => admin.username)).size).toBe(admins.length);
        expect(new Set(admins.map((admin) => admin.email)).size).toBe(admins.length);
        for (const admin of admins) {
          expect(admin.username).not.toBe('');
          expect(admin.username).toBe(admin.username.trim());
          expect(admin.username).not.toContain(';');
          expect(admin.email).toMatch(ACCEPTABLE_EMAIL);
          // Taken from one pair as written, split at its last `=`.
          const source = pairs.find((pair) => {
            const at = pair.lastIndexOf('=');
            return (
              pair.slice(0, at).trim() === admin.username &&
              pair
                .slice(at + 1)
                .trim()
                .toLowerCase() === admin.email
            );
          });
          expect(source).toBeDefined();
        }
        for (const problem of problems) expect(problem).toMatch(/ in PHOENIX_ADMINS: /);
      }),
      runs(1000, {
        examples: [
          ['Washington, George, Jr.=george@x.com'],
          ['User=With=Equals=user@x.com'],
          ['a=a@x.com;a=A@X.COM'],
          ['a;b=b@x.com'],
        ],
      }),
    );
  });

  it('formats back to itself: parse(format(parse(x))) is parse(x), whatever the padding and empty pairs', () => {
    fc.assert(
      fc.property(adminsText, padding, padding, fc.boolean(), (raw, before, after, trailing) => {
        const { admins } = collectAdmins(raw);
        const formatted = admins.map(
          ({ username, email }) => `${before}${username}${after}=${before}${email.toUpperCase()}${after}`,
        );
        const again = collectAdmins(`${before};${formatted.join(` ;${after}`)}${trailing ? ';' : ''}`);
        expect(again).toEqual({ admins, problems: [] });
        expect(collectAdmins(format(admins))).toEqual({ admins, problems: [] });
      }),
      runs(1000),
    );
  });

  it('parses every well-formed list to exactly its entries, e-mails lower-cased', () => {
    const entries = fc
      .uniqueArray(fc.tuple(username, email), {
        maxLength: 6,
        selector: ([name]) => name,
      })
      .filter((list) => new Set(list.map(([, address]) => address.toLowerCase())).size === list.length);
    fc.assert(
      fc.property(entries, (list) => {
        const expected = list.map(([name, address]) => ({ username: name, email: address.toLowerCase() }));
        expect(parseAdmins(list.map(([name, address]) => ` ${name} = ${address} `).join(';'))).toEqual(expected);
      }),
      runs(1000),
    );
  });

  it('reports garbage as one ConfigError naming the variable, under any prefix', () => {
    fc.assert(
      fc.property(adminsText, fc.constantFrom('PHOENIX_', 'GATEHOUSE_'), (raw, prefix) => {
        const { problems } = collectAdmins(raw);
        let thrown: unknown = null;
        try {
          parseAuthEnv({ [`${prefix}ADMINS`]: raw }, { prefix });
        } catch (error) {
          thrown = error;
        }
        if (problems.length === 0) {
          expect(thrown).toBeNull();
          return;
        }
        expect(thrown).toBeInstanceOf(ConfigError);
        const { issues } = thrown as ConfigError;
        expect(issues.length).toBe(problems.length);
        for (const issue of issues) {
          expect(issue.variable).toBe(`${prefix}ADMINS`);
          expect(issue.message).toContain(`${prefix}ADMINS`);
        }
        expect(() => parseAdmins(raw)).toThrow(ConfigError);
      }),
      runs(80),
    );
  });
});
