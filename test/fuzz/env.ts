/**
 * Environment generators for the configuration properties: values that are valid, near misses of
 * a stated rule, or plain garbage (unicode, control bytes, whitespace, 100 000-character strings).
 * Variable names come from the documented reference tables, so a variable added to the parser is
 * fuzzed without touching this file.
 */
import { CONFIG_REFERENCE, IDP_CONFIG_REFERENCE } from '@gatehouse-auth/core';
import fc from 'fast-check';

export type Env = Record<string, string | undefined>;

export const PREFIX = 'PHOENIX_';
const REFERENCE_PREFIX = 'PHOENIX_';

/** Global variable names without the prefix, e.g. `ENABLE_AUTH`. */
export const GLOBAL_NAMES: readonly string[] = CONFIG_REFERENCE.map((entry) =>
  entry.variable.slice(REFERENCE_PREFIX.length),
);
export const IDP_SUFFIXES: readonly string[] = IDP_CONFIG_REFERENCE.map((entry) => entry.variable);
/** Recognised by discovery (they declare an IdP) but refused. */
export const UNSUPPORTED_IDP_SUFFIXES = ['CLIENT_ASSERTION_FILE', 'CLIENT_ASSERTION_FILE_ENV_VAR'] as const;
const isBooleanDefault = (value: string | null) => value === 'true' || value === 'false';
export const BOOLEAN_NAMES = new Set(
  CONFIG_REFERENCE.filter((entry) => isBooleanDefault(entry.default)).map((entry) =>
    entry.variable.slice(REFERENCE_PREFIX.length),
  ),
);
export const BOOLEAN_IDP_SUFFIXES = new Set(
  IDP_CONFIG_REFERENCE.filter((entry) => isBooleanDefault(entry.default)).map((entry) => entry.variable),
);
export const SECRET_NAMES = new Set(
  CONFIG_REFERENCE.filter((entry) => entry.secret).map((entry) => entry.variable.slice(REFERENCE_PREFIX.length)),
);
export const SECRET_IDP_SUFFIXES = new Set(
  IDP_CONFIG_REFERENCE.filter((entry) => entry.secret).map((entry) => entry.variable),
);

/** IdP name segments: valid, mixed case, reserved, invalid characters, a Kelvin sign that lower-cases to ASCII. */
const IDP_SEGMENTS = ['OKTA', 'MY_IDP', 'AZURE2', 'Mixed', 'TOKEN', 'A-B', '\u212A', 'X Y'] as const;

export const idpVar = (prefix: string, segment: string, suffix: string) => `${prefix}OAUTH2_${segment}_${suffix}`;

const HUGE = 100_000;
/** Long values shaped like what each parser looks for, to expose super-linear regexes and splits. */
const huge = fc.constantFrom(
  'a'.repeat(HUGE),
  '9'.repeat(HUGE),
  `${'1'.repeat(HUGE)}x`,
  `a@${'b.'.repeat(HUGE / 2)}`,
  'a=a@x.co;'.repeat(1000), // every pair after the first is a duplicate: one issue each
  'R:ADMIN,'.repeat(HUGE / 8),
  `https://${'a'.repeat(HUGE)}.example.com`,
  '/'.repeat(HUGE),
  '['.repeat(HUGE),
  ' '.repeat(HUGE),
);

const garbage: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\t\n',
      '\u00a0',
      '\u200b',
      '\u0000',
      '\u001b[2J',
      'null',
      'undefined',
      'NaN',
      'Infinity',
      '-0',
      '%s',
      '${PHOENIX_SECRET}',
      '\u2028',
    ),
  },
  { weight: 1, arbitrary: huge },
);

/** A wrapper that pads a value with whitespace the parser must strip. */
export const padding = fc.constantFrom('', ' ', '\t', '  \t ');

const bool = fc.constantFrom('true', 'false', 'TRUE', 'False', 'tRuE');
const nearBool = fc.constantFrom('yes', '1', '0', 'truee', 't rue', 'ｔｒｕｅ', 'true\u200b', 'on');

/** The 16 random characters that make a secret recognisable wherever it might leak. */
const marker = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
  minLength: 16,
  maxLength: 16,
});

/** Secrets that pass the rules (≥ 32 ASCII, a digit, a lower-case letter) and near misses of each rule. */
const secretValue: fc.Arbitrary<string> = fc
  .tuple(
    marker,
    fc.constantFrom(
      (m: string) => `${m}0a${m}`,
      (m: string) => `${m}AB${m}`.toUpperCase(), // no lower-case letter
      (m: string) => `${m}`, // too short
      (m: string) => `${m} ${m}01`, // whitespace
      (m: string) => `${m}\u001c${m}01`, // whitespace for Python only
      (m: string) => `${m}é${m}01`, // not ASCII
      (m: string) => `${m}\u0000${m}01`, // a control byte is ASCII and not whitespace
      (m: string) => m.repeat(HUGE / 16),
    ),
  )
  .map(([m, shape]) => shape(m));

const minutes = fc.oneof(
  fc.double({ min: 1e-12, max: 1e300, noNaN: true }).map(String),
  fc.integer({ min: -5, max: 1_000_000 }).map(String),
  fc.constantFrom(
    '0.0000001',
    '0.000008',
    '0.0000084',
    '1e-320',
    '1000000000',
    '1000000001',
    '1e15',
    '1e300',
    '.5',
    '5.',
    '+3',
    '0x10',
    '1_0',
    '1e999',
    '0.02',
    '-0',
    '0',
  ),
);
const integer = fc.oneof(
  fc.integer({ min: -10, max: 70_000 }).map(String),
  fc.constantFrom('65535', '65536', '0', '1.0', '+5', '-0', '9007199254740993', '1e3', '0x1f'),
);
const emailish = fc.constantFrom(
  'a@example.com',
  'Ops@Example.COM',
  'a@b',
  'a b@x.co',
  'a@@x.co',
  '@x.co',
  'a@x.co;b@x.co',
  '..@x.co',
  'é@x.co',
);
const url = fc.constantFrom(
  'https://app.example.com',
  'http://localhost:6006/x/',
  'https://idp.example.com/.well-known/openid-configuration',
  'http://127.0.0.1:9/.well-known/openid-configuration',
  'http://[::1]/.well-known/openid-configuration',
  'http://0.0.0.0/.well-known/openid-configuration',
  'http://idp.example.com/.well-known/openid-configuration',
  'not a url',
  'https://',
  '//host',
  'ftp://x',
  'javascript:alert(1)',
  'https://exa mple.com',
);
export const adminsValue = fc.oneof(
  fc.constantFrom(
    'a=a@example.com',
    'Washington, George, Jr.=george@x.com',
    'User=With=Equals=user@x.com',
    ' a = A@Example.com ; b=b@example.com ;',
    'a=a@example.com;a=b@example.com',
    'a=a@example.com;b=A@example.com',
    'noequals',
    '=a@example.com',
    'a=not-an-email',
    'a;b=c@example.com',
  ),
  fc
    .array(fc.constantFrom('a', 'b', '=', ';', '@', '.', 'co', ',', ' ', 'É', '\u0000', 'x@y.co'), { maxLength: 12 })
    .map((parts) => parts.join('')),
);
export const jmespathExpression = fc.oneof(
  fc.constantFrom(
    'role',
    'roles[0]',
    'nested.role',
    '"cognito:groups"[0]',
    "'ADMIN'",
    "'SYSTEM'",
    "contains(groups, 'admins') && 'ADMIN' || 'VIEWER'",
    'to_string(level)',
    'abs(role)',
    'unknown_fn(role)',
    'keys(@)[0]',
    '@',
    'constructor',
    '__proto__',
    'toString',
    'length(groups)',
    'join(`,`, groups)',
  ),
  fc.constantFrom('foo(', '[', 'a.', '"unterminated', '`{bad json`', '||', 'a[?', "'"),
  fc.string({ maxLength: 16 }),
);
export const roleMappingValue = fc.oneof(
  fc.constantFrom(
    'Owner:ADMIN',
    'a:member, b : viewer ,',
    'x:SYSTEM',
    'x: system ',
    'x:ſystem',
    'Dev:admın',
    'noColon',
    ':ADMIN',
    'a:b:ADMIN',
    'a:ADMIN,a:VIEWER',
    ',',
  ),
  fc
    .array(fc.constantFrom('a', 'A', ':', ',', ' ', 'ADMIN', 'member', 'VIEWER', 'system', 'ſ', 'ı', '\u0000'), {
      maxLength: 10,
    })
    .map((parts) => parts.join('')),
);

/** A plausible-or-broken value for a global variable (name without prefix). */
function globalValue(name: string): fc.Arbitrary<string> {
  const specific = (() => {
    if (BOOLEAN_NAMES.has(name)) return fc.oneof(bool, nearBool);
    if (name === 'SECRET' || name === 'ADMIN_SECRET') return secretValue;
    if (SECRET_NAMES.has(name)) return fc.oneof(marker, secretValue);
    if (name.endsWith('_MINUTES')) return minutes;
    if (name === 'SMTP_PORT' || name.endsWith('MAX_ATTEMPTS')) return integer;
    if (name === 'ADMINS') return adminsValue;
    if (name === 'SUPPORT_EMAIL' || name === 'SMTP_MAIL_FROM') return emailish;
    if (name === 'ROOT_URL' || name === 'MANAGEMENT_URL') return url;
    if (name === 'CSRF_TRUSTED_ORIGINS' || name === 'ALLOWED_ORIGINS') {
      return fc.array(fc.oneof(url, fc.constant('')), { maxLength: 4 }).map((items) => items.join(','));
    }
    if (name === 'COOKIES_PATH' || name === 'HOST_ROOT_PATH')
      return fc.constantFrom('/', '/app', 'app', '/app/', '/a;b', '/a b', '/a\u0000', '//');
    if (name === 'COOKIE_NAME_PREFIX') return fc.constantFrom('gh', 'my_app-1', 'a b', 'a;b', 'é', '__Host-x');
    return fc.constantFrom('smtp.example.com', 'mailer', 'p@ss');
  })();
  return fc.oneof({ weight: 4, arbitrary: specific }, { weight: 1, arbitrary: garbage });
}

/** A plausible-or-broken value for a per-IdP setting. */
function idpValue(suffix: string): fc.Arbitrary<string> {
  const specific = (() => {
    if (BOOLEAN_IDP_SUFFIXES.has(suffix)) return fc.oneof(bool, nearBool);
    if (SECRET_IDP_SUFFIXES.has(suffix)) return secretValue;
    if (suffix === 'OIDC_CONFIG_URL') return url;
    if (suffix === 'TOKEN_ENDPOINT_AUTH_METHOD')
      return fc.constantFrom(
        'none',
        'client_secret_post',
        'CLIENT_SECRET_BASIC',
        'client_assertion_jwt',
        'private_key_jwt',
      );
    if (suffix.endsWith('_PATH')) return jmespathExpression;
    if (suffix === 'ROLE_MAPPING') return roleMappingValue;
    if (suffix === 'ALLOWED_GROUPS') return fc.constantFrom('admins', 'a, b ,a', ',', ' , ', 'a b');
    if (suffix === 'SCOPES') return fc.constantFrom('groups', 'openid  offline_access', ' ', 'a\tb');
    return fc.constantFrom('client-a', 'client-b', 'Okta');
  })();
  return fc.oneof({ weight: 4, arbitrary: specific }, { weight: 1, arbitrary: garbage });
}

/** An environment under `PHOENIX_`: a few global variables, a few IdP variables, and unrelated keys. */
export const envArbitrary: fc.Arbitrary<Env> = fc
  .tuple(
    fc
      .subarray([...GLOBAL_NAMES], { maxLength: 10 })
      .chain((names) =>
        fc.tuple(...names.map((name) => globalValue(name).map((value) => [`${PREFIX}${name}`, value] as const))),
      ),
    fc.array(
      fc
        .tuple(fc.constantFrom(...IDP_SEGMENTS), fc.constantFrom(...IDP_SUFFIXES, ...UNSUPPORTED_IDP_SUFFIXES))
        .chain(([segment, suffix]) =>
          idpValue(suffix).map((value) => [idpVar(PREFIX, segment, suffix), value] as const),
        ),
      { maxLength: 6 },
    ),
    fc.array(
      fc.tuple(
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom('__proto__', 'constructor', `${PREFIX}OAUTH2__CLIENT_ID`, `${PREFIX}OAUTH2_X_Y`, 'PATH'),
        ),
        garbage,
      ),
      {
        maxLength: 3,
      },
    ),
  )
  .map(([globals, idps, others]) => Object.fromEntries([...others, ...globals, ...idps]) as Env);

/** A complete, valid IdP declaration (upper-case segment) plus extra settings by suffix. */
export function idpEnv(segment: string, settings: Readonly<Record<string, string>> = {}): Env {
  const env: Env = {
    [idpVar(PREFIX, segment, 'CLIENT_ID')]: `client-${segment}`,
    [idpVar(PREFIX, segment, 'CLIENT_SECRET')]: 'client-secret-value',
    [idpVar(PREFIX, segment, 'OIDC_CONFIG_URL')]: 'https://idp.example.com/.well-known/openid-configuration',
  };
  for (const [suffix, value] of Object.entries(settings)) env[idpVar(PREFIX, segment, suffix)] = value;
  return env;
}

export const VALID_SECRET = 'fuzzsecret0123456789abcdefghijklmnop';
