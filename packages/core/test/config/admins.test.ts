import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AdminAccount, collectAdmins, parseAdmins } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { configErrorOf } from './helpers.js';

describe('parseAdmins: valid inputs (reference TestGetEnvStartupAdmins)', () => {
  it.each<[string, string | undefined, AdminAccount[]]>([
    ['single_valid_user', 'franklin=benjamin@example.com', [{ username: 'franklin', email: 'benjamin@example.com' }]],
    [
      'multiple_valid_users',
      'franklin=benjamin@example.com;jefferson=thomas@example.com',
      [
        { username: 'franklin', email: 'benjamin@example.com' },
        { username: 'jefferson', email: 'thomas@example.com' },
      ],
    ],
    [
      'names_with_spaces',
      'Benjamin Franklin=benjamin@example.com;Thomas Jefferson=thomas@example.com',
      [
        { username: 'Benjamin Franklin', email: 'benjamin@example.com' },
        { username: 'Thomas Jefferson', email: 'thomas@example.com' },
      ],
    ],
    [
      'whitespace_handling',
      ' washington = george@example.com ; hamilton = alexander@example.com ',
      [
        { username: 'washington', email: 'george@example.com' },
        { username: 'hamilton', email: 'alexander@example.com' },
      ],
    ],
    [
      'username_with_equals',
      'User=With=Equals=user@example.com',
      [{ username: 'User=With=Equals', email: 'user@example.com' }],
    ],
    [
      'names_with_punctuation',
      'Samuel Adams=sam@example.com;J. Marshall=john@example.com',
      [
        { username: 'Samuel Adams', email: 'sam@example.com' },
        { username: 'J. Marshall', email: 'john@example.com' },
      ],
    ],
    [
      'username_with_comma',
      'Madison, James=james@example.com',
      [{ username: 'Madison, James', email: 'james@example.com' }],
    ],
    [
      'multiple_usernames_with_commas',
      'Hamilton, Alexander=alex@example.com;Burr, Aaron=aaron@example.com',
      [
        { username: 'Hamilton, Alexander', email: 'alex@example.com' },
        { username: 'Burr, Aaron', email: 'aaron@example.com' },
      ],
    ],
    [
      'username_with_multiple_commas',
      'Washington, George, Jr.=george@example.com',
      [{ username: 'Washington, George, Jr.', email: 'george@example.com' }],
    ],
    ['empty_string', '', []],
    ['none_value', undefined, []],
    ['only_separators', ' ; ;; ', []],
    ['trailing_semicolon', 'ann=ann@example.com;', [{ username: 'ann', email: 'ann@example.com' }]],
    ['email_lower_cased_and_trimmed', 'Ann= \tANN@Example.COM ', [{ username: 'Ann', email: 'ann@example.com' }]],
  ])('%s', (_id, raw, expected) => {
    expect(parseAdmins(raw)).toEqual(expected);
  });
});

describe('parseAdmins: invalid inputs (reference TestGetEnvStartupAdmins)', () => {
  it.each([
    [
      'email_only_no_equals',
      'madison@example.com',
      "Invalid format in PHOENIX_ADMINS: 'madison@example.com'. Expected format: 'username=email'",
    ],
    ['incomplete_email', 'John Hancock=john@', "Invalid email in PHOENIX_ADMINS: 'john@'"],
    ['missing_top_level_domain', 'John Jay=john@example', "Invalid email in PHOENIX_ADMINS: 'john@example'"],
    ['no_at_symbol', 'Robert Morris=robert', "Invalid email in PHOENIX_ADMINS: 'robert'"],
    [
      'multiple_at_symbols',
      'Charles Carroll=charles@exam@ple.com',
      "Invalid email in PHOENIX_ADMINS: 'charles@exam@ple.com'",
    ],
    ['empty_email', 'Patrick Henry=', "Invalid email in PHOENIX_ADMINS: ''"],
    [
      'duplicate_username',
      'John Adams=john@example.com;John Adams=different@example.com',
      "Duplicate username in PHOENIX_ADMINS: 'John Adams'",
    ],
    [
      'duplicate_email',
      'John Adams=john@example.com;Different User=john@example.com',
      "Duplicate email in PHOENIX_ADMINS: 'john@example.com'",
    ],
    [
      'duplicate_email_after_lower_casing',
      'a=john@example.com;b=JOHN@example.com',
      "Duplicate email in PHOENIX_ADMINS: 'john@example.com'",
    ],
    [
      'semicolon_in_username',
      'John; Adams=john@example.com',
      "Invalid format in PHOENIX_ADMINS: 'John'. Expected format: 'username=email'",
    ],
    [
      'empty_username',
      '=nobody@example.com',
      "Invalid format in PHOENIX_ADMINS: '=nobody@example.com'. Expected format: 'username=email'",
    ],
  ])('%s', (_id, raw, message) => {
    const error = configErrorOf(() => parseAdmins(raw));
    expect(error.issues).toEqual([{ variable: 'PHOENIX_ADMINS', message }]);
  });

  it('reports every problem, not only the first', () => {
    const { admins, problems } = collectAdmins(
      'nobody;ann=ann@example.com;bob=bob@;ann=other@example.com;carl=ann@example.com',
    );
    expect(admins).toEqual([{ username: 'ann', email: 'ann@example.com' }]);
    expect(problems).toEqual([
      "Invalid format in PHOENIX_ADMINS: 'nobody'. Expected format: 'username=email'",
      "Invalid email in PHOENIX_ADMINS: 'bob@'",
      "Duplicate username in PHOENIX_ADMINS: 'ann'",
      "Duplicate email in PHOENIX_ADMINS: 'ann@example.com'",
    ]);
  });

  it('names the variable it was given', () => {
    const error = configErrorOf(() => parseAdmins('oops', 'GATEHOUSE_ADMINS'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.issues).toEqual([
      {
        variable: 'GATEHOUSE_ADMINS',
        message: "Invalid format in GATEHOUSE_ADMINS: 'oops'. Expected format: 'username=email'",
      },
    ]);
  });

  it('cuts long values to 64 characters and escapes control characters', () => {
    const { problems } = collectAdmins(`${'x'.repeat(100)}\n`);
    expect(problems).toEqual([
      `Invalid format in PHOENIX_ADMINS: '${'x'.repeat(64)}…'. Expected format: 'username=email'`,
    ]);
    expect(collectAdmins('a\u0007b').problems).toEqual([
      "Invalid format in PHOENIX_ADMINS: 'a\\u0007b'. Expected format: 'username=email'",
    ]);
  });
});

describe('parseAdmins: properties', () => {
  const username = fc.string({
    unit: fc.constantFrom('a', 'B', 'z', '=', ',', ' ', '.', '-', 'é', '\t'),
    maxLength: 12,
  });
  const email = fc.oneof(fc.emailAddress(), fc.constantFrom('x@', 'a@b.co', 'A@B.CO', ' c@d.org ', 'nope', ''));
  const raw = fc
    .array(fc.tuple(username, email, fc.constantFrom(';', ' ; ', ';;')), { maxLength: 8 })
    .map((pairs) => pairs.map(([name, address, separator]) => `${name}=${address}${separator}`).join(''));
  const serialise = (admins: readonly AdminAccount[]) =>
    admins.map((admin) => `${admin.username}=${admin.email}`).join(';');

  it('re-parsing its own serialisation gives the same admins, without problems', () => {
    fc.assert(
      fc.property(raw, (text) => {
        const first = collectAdmins(text);
        const second = collectAdmins(serialise(first.admins));
        expect(second.problems).toEqual([]);
        expect(second.admins).toEqual(first.admins);
        if (first.problems.length === 0) expect(parseAdmins(serialise(parseAdmins(text)))).toEqual(parseAdmins(text));
      }),
      { numRuns: 300 },
    );
  });
});
