import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type AuthConfig, parseAuthEnv } from '../../src/config/index.js';
import { ConfigError, isGatehouseError } from '../../src/errors/index.js';
import { type Env, VALID_SECRET, configErrorOf, idpEnv, issuesOf } from './helpers.js';

const DEFAULTS: AuthConfig = {
  prefix: 'PHOENIX_',
  enabled: false,
  secret: null,
  previousSecrets: [],
  adminSecret: null,
  basicAuthEnabled: true,
  rateLimitEnabled: true,
  bruteForce: { enabled: true, maxAttempts: 5, lockoutSeconds: 300 },
  passwordPolicy: 'default',
  tokens: {
    accessTtlSeconds: 600,
    refreshTtlSeconds: 604_800,
    passwordResetTtlSeconds: 900,
    sessionMaxLifetimeSeconds: 2_592_000,
  },
  cookies: {
    secure: false,
    path: '/',
    namePrefix: 'phoenix',
    names: {
      accessToken: 'phoenix-access-token',
      refreshToken: 'phoenix-refresh-token',
      oauth2State: 'phoenix-oauth2-state',
      oauth2Nonce: 'phoenix-oauth2-nonce',
      oauth2CodeVerifier: 'phoenix-oauth2-code-verifier',
      oauth2LogoutState: 'phoenix-oauth2-logout-state',
      mfaChallenge: 'phoenix-mfa-challenge',
      webauthnChallenge: 'phoenix-webauthn-challenge',
    },
  },
  defaultAdminInitialPassword: 'admin',
  admins: [],
  rootPath: '',
  rootUrl: null,
  publicUrl: 'http://127.0.0.1:6006',
  server: { host: '0.0.0.0', port: 6006 },
  allowedHosts: [],
  csrfTrustedOrigins: [],
  allowedOrigins: [],
  managementUrl: null,
  supportEmail: null,
  smtp: null,
  oauth2: { idps: [], autoLoginIdp: null },
  passwordHashing: { concurrency: null, maxQueue: 32, busyPercent: 33 },
  ldap: null,
  auditRetentionDays: 90,
  mfa: { encryptionKey: null, previousEncryptionKeys: [], requiredRoles: [], challengeTtlSeconds: 300 },
};

describe('parseAuthEnv: defaults', () => {
  it('an empty environment gives the Phoenix defaults (auth off)', () => {
    expect(parseAuthEnv({})).toEqual(DEFAULTS);
  });

  it('ignores variables set to undefined and unrelated variables', () => {
    expect(parseAuthEnv({ PHOENIX_ENABLE_AUTH: undefined, HOME: '/root', PHOENIXSECRET: 'x' })).toEqual(DEFAULTS);
  });

  it('trims every value', () => {
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: '  true\n',
      PHOENIX_SECRET: `\t${VALID_SECRET}  `,
      PHOENIX_HOST_ROOT_PATH: ' /app ',
      PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: ' 5 ',
    });
    expect(config.enabled).toBe(true);
    expect(config.secret).toBe(VALID_SECRET);
    expect(config.rootPath).toBe('/app');
    expect(config.tokens.accessTtlSeconds).toBe(300);
  });
});

describe('parseAuthEnv: booleans', () => {
  const flags: [string, (config: AuthConfig) => boolean, boolean][] = [
    ['DISABLE_BASIC_AUTH', (c) => !c.basicAuthEnabled, false],
    ['DISABLE_RATE_LIMIT', (c) => !c.rateLimitEnabled, false],
    ['DISABLE_BRUTE_FORCE_LOGIN_PROTECTION', (c) => !c.bruteForce.enabled, false],
    ['ENABLE_STRONG_PASSWORD_POLICY', (c) => c.passwordPolicy === 'strong', false],
    ['USE_SECURE_COOKIES', (c) => c.cookies.secure, false],
    ['ENABLE_AUTH', (c) => c.enabled, false],
  ];

  it.each(flags)('%s defaults to false', (_variable, read, fallback) => {
    expect(read(parseAuthEnv({ PHOENIX_SECRET: VALID_SECRET }))).toBe(fallback);
  });

  it.each(
    flags.flatMap(([variable, read]) =>
      ['true', 'TRUE', 'True', 'false', 'FALSE', 'fAlSe'].map((value) => [variable, value, read] as const),
    ),
  )('%s=%s parses case-insensitively', (variable, value, read) => {
    const env: Env = { PHOENIX_SECRET: VALID_SECRET, [`PHOENIX_${variable}`]: value };
    expect(read(parseAuthEnv(env))).toBe(value.toLowerCase() === 'true');
  });

  it.each(
    [
      'DISABLE_BASIC_AUTH',
      'DISABLE_RATE_LIMIT',
      'DISABLE_BRUTE_FORCE_LOGIN_PROTECTION',
      'ENABLE_STRONG_PASSWORD_POLICY',
      'USE_SECURE_COOKIES',
      'ENABLE_AUTH',
      'SMTP_VALIDATE_CERTS',
    ].flatMap((variable) => [
      [variable, 'yes', 'yes'],
      [variable, '1', '1'],
      [variable, '', ''],
      [variable, ' maybe ', 'maybe'],
      [variable, 'truee', 'truee'],
    ]),
  )('%s=%j is an error', (variable, value, shown) => {
    expect(issuesOf({ [`PHOENIX_${variable}`]: value })).toEqual([
      {
        variable: `PHOENIX_${variable}`,
        message: `PHOENIX_${variable} must be set to TRUE or FALSE (case-insensitive). Got: '${shown}'`,
      },
    ]);
  });

  it('SMTP_VALIDATE_CERTS defaults to true', () => {
    expect(
      parseAuthEnv({ PHOENIX_SMTP_HOSTNAME: 'mail', PHOENIX_SMTP_USERNAME: 'u', PHOENIX_SMTP_PASSWORD: 'p' }).smtp
        ?.validateCerts,
    ).toBe(true);
  });

  it('the strong password policy is selected by ENABLE_STRONG_PASSWORD_POLICY', () => {
    expect(parseAuthEnv({ PHOENIX_ENABLE_STRONG_PASSWORD_POLICY: 'true' }).passwordPolicy).toBe('strong');
  });
});

describe('parseAuthEnv: token expiries', () => {
  const variables = [
    ['ACCESS_TOKEN_EXPIRY_MINUTES', 'accessTtlSeconds', 600],
    ['REFRESH_TOKEN_EXPIRY_MINUTES', 'refreshTtlSeconds', 604_800],
    ['PASSWORD_RESET_TOKEN_EXPIRY_MINUTES', 'passwordResetTtlSeconds', 900],
  ] as const;

  it.each(variables)('%s defaults to %s = %i', (_variable, key, seconds) => {
    expect(parseAuthEnv({}).tokens[key]).toBe(seconds);
  });

  it.each(
    variables.flatMap(([variable, key]) =>
      (
        [
          ['1', 60],
          ['0.5', 30],
          ['0.1', 6],
          ['1.25', 75],
          ['+2', 120],
          ['1e1', 600],
          ['.5', 30],
        ] as const
      ).map(([value, seconds]) => [variable, value, key, seconds] as const),
    ),
  )('%s=%s is accepted (fractional minutes allowed)', (variable, value, key, seconds) => {
    expect(parseAuthEnv({ [`PHOENIX_${variable}`]: value }).tokens[key]).toBe(seconds);
  });

  it.each(
    variables.flatMap(([variable]) => [
      [
        variable,
        '0',
        `PHOENIX_${variable} must be greater than 0 (a number of minutes; fractions such as 0.5 are allowed). Got: 0`,
      ],
      [
        variable,
        '-5',
        `PHOENIX_${variable} must be greater than 0 (a number of minutes; fractions such as 0.5 are allowed). Got: -5`,
      ],
      [
        variable,
        '-0.5',
        `PHOENIX_${variable} must be greater than 0 (a number of minutes; fractions such as 0.5 are allowed). Got: -0.5`,
      ],
      [variable, 'ten', `Invalid value for environment variable PHOENIX_${variable}: 'ten'. Value must be a number.`],
      [variable, '', `Invalid value for environment variable PHOENIX_${variable}: ''. Value must be a number.`],
      [variable, '5m', `Invalid value for environment variable PHOENIX_${variable}: '5m'. Value must be a number.`],
      [variable, 'inf', `Invalid value for environment variable PHOENIX_${variable}: 'inf'. Value must be a number.`],
      [
        variable,
        '1e999',
        `Invalid value for environment variable PHOENIX_${variable}: '1e999'. Value must be a number.`,
      ],
    ]),
  )('%s=%j is an error', (variable, value, message) => {
    expect(issuesOf({ [`PHOENIX_${variable}`]: value })).toEqual([{ variable: `PHOENIX_${variable}`, message }]);
  });
});

describe('parseAuthEnv: brute-force protection', () => {
  it('locks for 300 s after 5 failures by default', () => {
    expect(parseAuthEnv({}).bruteForce).toEqual({ enabled: true, maxAttempts: 5, lockoutSeconds: 300 });
  });

  it('reads the number of attempts', () => {
    expect(parseAuthEnv({ PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: '3' }).bruteForce.maxAttempts).toBe(3);
  });

  it.each([
    ['0', 'PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS must be at least 1. Got: 0'],
    ['-2', 'PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS must be at least 1. Got: -2'],
    [
      '2.5',
      "Invalid value for environment variable PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: '2.5'. Value must be an integer.",
    ],
    [
      'five',
      "Invalid value for environment variable PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: 'five'. Value must be an integer.",
    ],
    [
      '',
      "Invalid value for environment variable PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: ''. Value must be an integer.",
    ],
  ])('%j is an error', (value, message) => {
    expect(issuesOf({ PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: value })).toEqual([
      { variable: 'PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS', message },
    ]);
  });
});

describe('parseAuthEnv: cookies', () => {
  it('reads secure, path and the name prefix', () => {
    const config = parseAuthEnv({
      PHOENIX_USE_SECURE_COOKIES: 'true',
      PHOENIX_COOKIES_PATH: '/app',
      PHOENIX_COOKIE_NAME_PREFIX: 'gh_1-x',
    });
    expect(config.cookies).toEqual({
      secure: true,
      path: '/app',
      namePrefix: 'gh_1-x',
      names: {
        accessToken: 'gh_1-x-access-token',
        refreshToken: 'gh_1-x-refresh-token',
        oauth2State: 'gh_1-x-oauth2-state',
        oauth2Nonce: 'gh_1-x-oauth2-nonce',
        oauth2CodeVerifier: 'gh_1-x-oauth2-code-verifier',
        oauth2LogoutState: 'gh_1-x-oauth2-logout-state',
        mfaChallenge: 'gh_1-x-mfa-challenge',
        webauthnChallenge: 'gh_1-x-webauthn-challenge',
      },
    });
  });

  it('treats an empty path or prefix as unset', () => {
    const config = parseAuthEnv({ PHOENIX_COOKIES_PATH: '', PHOENIX_COOKIE_NAME_PREFIX: '  ' });
    expect(config.cookies.path).toBe('/');
    expect(config.cookies.names.accessToken).toBe('phoenix-access-token');
  });

  it.each([
    [
      'PHOENIX_COOKIES_PATH',
      'app',
      "PHOENIX_COOKIES_PATH must start with '/' (it is the Path of every cookie). Got: 'app'",
    ],
    [
      'PHOENIX_COOKIES_PATH',
      '/a;Domain=evil.com',
      "PHOENIX_COOKIES_PATH must not contain ';', whitespace or control characters (it is written into Set-Cookie). Got: '/a;Domain=evil.com'",
    ],
    [
      'PHOENIX_COOKIES_PATH',
      '/a b',
      "PHOENIX_COOKIES_PATH must not contain ';', whitespace or control characters (it is written into Set-Cookie). Got: '/a b'",
    ],
    [
      'PHOENIX_COOKIE_NAME_PREFIX',
      'my app',
      "PHOENIX_COOKIE_NAME_PREFIX must contain only letters, digits, '_' and '-' (it starts every cookie name). Got: 'my app'",
    ],
    [
      'PHOENIX_COOKIE_NAME_PREFIX',
      'a=b',
      "PHOENIX_COOKIE_NAME_PREFIX must contain only letters, digits, '_' and '-' (it starts every cookie name). Got: 'a=b'",
    ],
  ])('%s=%j is an error', (variable, value, message) => {
    expect(issuesOf({ [variable]: value })).toEqual([{ variable, message }]);
  });
});

describe('parseAuthEnv: default admin and PHOENIX_ADMINS', () => {
  it.each([
    [undefined, 'admin'],
    ['', 'admin'],
    ['   ', 'admin'],
    ['s3cret-pass', 's3cret-pass'],
  ])('DEFAULT_ADMIN_INITIAL_PASSWORD=%j gives %j', (value, expected) => {
    expect(parseAuthEnv({ PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: value }).defaultAdminInitialPassword).toBe(expected);
  });

  it('a chosen initial password must meet the policy (no whitespace, like every other password)', () => {
    expect(issuesOf({ PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 's3cret pass' })).toEqual([
      {
        variable: 'PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD',
        message:
          'PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD breaks the password policy: Password must not contain whitespace characters',
      },
    ]);
  });

  it('parses PHOENIX_ADMINS into accounts', () => {
    expect(parseAuthEnv({ PHOENIX_ADMINS: 'Ann=ANN@example.com; Bob, Jr.=bob@example.com' }).admins).toEqual([
      { username: 'Ann', email: 'ann@example.com' },
      { username: 'Bob, Jr.', email: 'bob@example.com' },
    ]);
  });

  it('reports each bad PHOENIX_ADMINS entry', () => {
    expect(issuesOf({ PHOENIX_ADMINS: 'ann;bob=bob@' })).toEqual([
      {
        variable: 'PHOENIX_ADMINS',
        message: "Invalid format in PHOENIX_ADMINS: 'ann'. Expected format: 'username=email'",
      },
      { variable: 'PHOENIX_ADMINS', message: "Invalid email in PHOENIX_ADMINS: 'bob@'" },
    ]);
  });
});

describe('parseAuthEnv: root path and root URL (reference TestGetEnvRootUrl)', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['/phoenix', '/phoenix'],
    ['/a/b', '/a/b'],
  ])('HOST_ROOT_PATH=%j gives %j', (value, expected) => {
    expect(parseAuthEnv({ PHOENIX_HOST_ROOT_PATH: value }).rootPath).toBe(expected);
  });

  it.each([
    [
      'no_leading_slash',
      "Invalid value for environment variable PHOENIX_HOST_ROOT_PATH: no_leading_slash. Value must start with '/'",
    ],
    [
      '/trailing/slash/',
      "Invalid value for environment variable PHOENIX_HOST_ROOT_PATH: /trailing/slash/. Value cannot end with '/'",
    ],
    ['/', "Invalid value for environment variable PHOENIX_HOST_ROOT_PATH: /. Value cannot end with '/'"],
    ['both/', "Invalid value for environment variable PHOENIX_HOST_ROOT_PATH: both/. Value must start with '/'"],
  ])('HOST_ROOT_PATH=%j is an error', (value, message) => {
    expect(issuesOf({ PHOENIX_HOST_ROOT_PATH: value })).toEqual([{ variable: 'PHOENIX_HOST_ROOT_PATH', message }]);
  });

  it.each([
    ['https://example.com', 'https://example.com'],
    ['https://example.com/', 'https://example.com/'],
    ['https://example.com/phoenix', 'https://example.com/phoenix'],
    ['http://localhost:6006', 'http://localhost:6006'],
    ['', null],
  ])('ROOT_URL=%j is kept verbatim', (value, expected) => {
    expect(parseAuthEnv({ PHOENIX_ROOT_URL: value, PHOENIX_HOST_ROOT_PATH: '/phoenix' }).rootUrl).toBe(expected);
  });

  it.each(['not_a_url', 'localhost:6006', 'example.com', 'http:/example.com', 'https://'])(
    'ROOT_URL=%j is an error',
    (value) => {
      expect(issuesOf({ PHOENIX_ROOT_URL: value })).toEqual([
        {
          variable: 'PHOENIX_ROOT_URL',
          message: `The environment variable \`PHOENIX_ROOT_URL\` must be a valid URL. Got: '${value}'`,
        },
      ]);
    },
  );
});

describe('parseAuthEnv: CSRF trusted origins, CORS, management URL, support e-mail', () => {
  it.each([
    [',http://localhost,', ['localhost']],
    ['http://localhost,http://127.0.0.1', ['127.0.0.1', 'localhost']],
    ['https://B.example.com:8443/x, http://a.example.com,https://b.example.com', ['a.example.com', 'b.example.com']],
    ['', []],
    [' , ', []],
  ])('CSRF_TRUSTED_ORIGINS=%j gives hostnames %j', (value, expected) => {
    expect(parseAuthEnv({ PHOENIX_CSRF_TRUSTED_ORIGINS: value }).csrfTrustedOrigins).toEqual(expected);
  });

  it('reports every entry without a hostname', () => {
    const message = (entry: string) =>
      'The environment variable `PHOENIX_CSRF_TRUSTED_ORIGINS` contains a url with missing hostname. ' +
      `Please ensure that each url has a valid hostname. Got: '${entry}'`;
    expect(issuesOf({ PHOENIX_CSRF_TRUSTED_ORIGINS: 'localhost,http://ok.example.com,example.com:80' })).toEqual([
      { variable: 'PHOENIX_CSRF_TRUSTED_ORIGINS', message: message('localhost') },
      { variable: 'PHOENIX_CSRF_TRUSTED_ORIGINS', message: message('example.com:80') },
    ]);
  });

  it('reads ALLOWED_ORIGINS as a trimmed list', () => {
    expect(
      parseAuthEnv({ PHOENIX_ALLOWED_ORIGINS: 'http://a.com, http://b.com,,http://a.com' }).allowedOrigins,
    ).toEqual(['http://a.com', 'http://b.com']);
  });

  it('reads MANAGEMENT_URL as given', () => {
    expect(parseAuthEnv({ PHOENIX_MANAGEMENT_URL: 'https://manage.example.com/x' }).managementUrl).toBe(
      'https://manage.example.com/x',
    );
    expect(parseAuthEnv({ PHOENIX_MANAGEMENT_URL: '' }).managementUrl).toBeNull();
  });

  it('validates SUPPORT_EMAIL', () => {
    expect(parseAuthEnv({ PHOENIX_SUPPORT_EMAIL: 'help@example.com' }).supportEmail).toBe('help@example.com');
    expect(parseAuthEnv({ PHOENIX_SUPPORT_EMAIL: '' }).supportEmail).toBeNull();
    expect(issuesOf({ PHOENIX_SUPPORT_EMAIL: 'not-an-email' })).toEqual([
      {
        variable: 'PHOENIX_SUPPORT_EMAIL',
        message: "PHOENIX_SUPPORT_EMAIL must be a valid email address. Got: 'not-an-email'",
      },
    ]);
  });
});

describe('parseAuthEnv: SMTP', () => {
  const smtp: Env = {
    PHOENIX_SMTP_HOSTNAME: 'smtp.example.com',
    PHOENIX_SMTP_USERNAME: 'mailer',
    PHOENIX_SMTP_PASSWORD: 'mail-pass',
  };

  it('is off without a hostname', () => {
    expect(parseAuthEnv({ PHOENIX_SMTP_HOSTNAME: '', PHOENIX_SMTP_USERNAME: 'x' }).smtp).toBeNull();
  });

  it('applies the defaults', () => {
    expect(parseAuthEnv(smtp).smtp).toEqual({
      hostname: 'smtp.example.com',
      port: 587,
      username: 'mailer',
      password: 'mail-pass',
      mailFrom: 'noreply@localhost',
      validateCerts: true,
    });
  });

  it('reads every setting', () => {
    const config = parseAuthEnv({
      ...smtp,
      PHOENIX_SMTP_PORT: '465',
      PHOENIX_SMTP_MAIL_FROM: 'auth@example.com',
      PHOENIX_SMTP_VALIDATE_CERTS: 'false',
    });
    expect(config.smtp).toMatchObject({ port: 465, mailFrom: 'auth@example.com', validateCerts: false });
    expect(parseAuthEnv({ ...smtp, PHOENIX_SMTP_MAIL_FROM: '' }).smtp?.mailFrom).toBe('noreply@localhost');
  });

  it('requires a username and a password with a hostname', () => {
    expect(issuesOf({ PHOENIX_SMTP_HOSTNAME: 'smtp.example.com', PHOENIX_SMTP_USERNAME: ' ' })).toEqual([
      {
        variable: 'PHOENIX_SMTP_USERNAME',
        message: 'SMTP username is required: set PHOENIX_SMTP_USERNAME when PHOENIX_SMTP_HOSTNAME is set',
      },
      {
        variable: 'PHOENIX_SMTP_PASSWORD',
        message: 'SMTP password is required: set PHOENIX_SMTP_PASSWORD when PHOENIX_SMTP_HOSTNAME is set',
      },
    ]);
  });

  it.each([
    ['1', 1],
    ['65535', 65_535],
  ])('PORT=%s is accepted', (value, port) => {
    expect(parseAuthEnv({ ...smtp, PHOENIX_SMTP_PORT: value }).smtp?.port).toBe(port);
  });

  it.each([
    ['0', 'PHOENIX_SMTP_PORT must be between 1 and 65535. Got: 0'],
    ['65536', 'PHOENIX_SMTP_PORT must be between 1 and 65535. Got: 65536'],
    ['-25', 'PHOENIX_SMTP_PORT must be between 1 and 65535. Got: -25'],
    ['abc', "Invalid value for environment variable PHOENIX_SMTP_PORT: 'abc'. Value must be an integer."],
    ['25.5', "Invalid value for environment variable PHOENIX_SMTP_PORT: '25.5'. Value must be an integer."],
  ])('PORT=%j is an error, with or without a hostname', (value, message) => {
    expect(issuesOf({ ...smtp, PHOENIX_SMTP_PORT: value })).toEqual([{ variable: 'PHOENIX_SMTP_PORT', message }]);
    expect(issuesOf({ PHOENIX_SMTP_PORT: value })).toEqual([{ variable: 'PHOENIX_SMTP_PORT', message }]);
  });
});

describe("parseAuthEnv: secrets (docs/phoenix-contract.md#secrets and Phoenix's TestGetEnvPhoenixAdminSecret)", () => {
  it.each([
    ['not_set', { PHOENIX_SECRET: VALID_SECRET }, null],
    [
      'valid_admin_secret',
      { PHOENIX_ADMIN_SECRET: '4fd8ea0caef4f6f87ca5a74912d51baf', PHOENIX_SECRET: '57d2e6c8fda06190411e9bd342747ee8' },
      '4fd8ea0caef4f6f87ca5a74912d51baf',
    ],
  ])('%s', (_id, env: Env, adminSecret) => {
    expect(parseAuthEnv(env).adminSecret).toBe(adminSecret);
  });

  it.each<[string, Env, { variable: string; message: string }[]]>([
    [
      'admin_secret_without_phoenix_secret',
      { PHOENIX_ADMIN_SECRET: 'validadminsecret12345678901234567890' },
      [
        {
          variable: 'PHOENIX_ADMIN_SECRET',
          message: '`PHOENIX_ADMIN_SECRET` must be not be set without setting `PHOENIX_SECRET`.',
        },
      ],
    ],
    [
      'admin_secret_with_empty_phoenix_secret',
      { PHOENIX_ADMIN_SECRET: 'validadminsecret12345678901234567890', PHOENIX_SECRET: '' },
      [{ variable: 'PHOENIX_SECRET', message: 'Phoenix secret must be non-empty' }],
    ],
    [
      'admin_secret_same_as_phoenix_secret',
      {
        PHOENIX_ADMIN_SECRET: 'validadminsecret12345678901234567890',
        PHOENIX_SECRET: 'validadminsecret12345678901234567890',
      },
      [{ variable: 'PHOENIX_ADMIN_SECRET', message: '`PHOENIX_ADMIN_SECRET` must be different from `PHOENIX_SECRET`' }],
    ],
    [
      'admin_secret_too_short',
      { PHOENIX_ADMIN_SECRET: 'short', PHOENIX_SECRET: VALID_SECRET },
      [
        {
          variable: 'PHOENIX_ADMIN_SECRET',
          message: 'Phoenix admin secret must be at least 32 characters long and at least one digit (got 5 characters)',
        },
      ],
    ],
    [
      'admin_secret_no_lowercase',
      { PHOENIX_ADMIN_SECRET: '12345678901234567890123456789012', PHOENIX_SECRET: VALID_SECRET },
      [
        {
          variable: 'PHOENIX_ADMIN_SECRET',
          message: 'Phoenix admin secret must contain at least one lowercase letter (got 32 characters)',
        },
      ],
    ],
    [
      'admin_secret_no_digit',
      { PHOENIX_ADMIN_SECRET: 'abcdefghijklmnopqrstuvwxyzabcdef', PHOENIX_SECRET: VALID_SECRET },
      [
        {
          variable: 'PHOENIX_ADMIN_SECRET',
          message: 'Phoenix admin secret must contain at least one digit (got 32 characters)',
        },
      ],
    ],
    [
      'admin_secret_empty',
      { PHOENIX_ADMIN_SECRET: '', PHOENIX_SECRET: VALID_SECRET },
      [{ variable: 'PHOENIX_ADMIN_SECRET', message: 'Phoenix admin secret must be non-empty' }],
    ],
    [
      'secret_too_weak_reference_example',
      // Phoenix's own admin-secret tests pair with this 31-character secret.
      { PHOENIX_SECRET: 'validsecret12345678901234567890' },
      [
        {
          variable: 'PHOENIX_SECRET',
          message: 'Phoenix secret must be at least 32 characters long (got 31 characters)',
        },
      ],
    ],
    [
      'secret_with_whitespace',
      { PHOENIX_SECRET: 'validsecret 123456789012345678901234567890' },
      [
        {
          variable: 'PHOENIX_SECRET',
          message: 'Phoenix secret must not contain whitespace characters (got 42 characters)',
        },
      ],
    ],
    [
      'secret_not_ascii',
      { PHOENIX_SECRET: 'validsécret123456789012345678901234567890' },
      [
        {
          variable: 'PHOENIX_SECRET',
          message: 'Phoenix secret must contain only ASCII characters (got 41 characters)',
        },
      ],
    ],
    [
      'secret_all_rules',
      { PHOENIX_SECRET: 'SHORT' },
      [
        {
          variable: 'PHOENIX_SECRET',
          message:
            'Phoenix secret must be at least 32 characters long, at least one digit, and at least one lowercase letter (got 5 characters)',
        },
      ],
    ],
  ])('%s', (_id, env, issues) => {
    expect(issuesOf(env)).toEqual(issues);
  });

  it('the secret is optional with auth off, required with auth on', () => {
    expect(parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'false' }).secret).toBeNull();
    expect(issuesOf({ PHOENIX_ENABLE_AUTH: 'true' })).toEqual([
      {
        variable: 'PHOENIX_SECRET',
        message: '`PHOENIX_SECRET` must be set when auth is enabled with `PHOENIX_ENABLE_AUTH`',
      },
    ]);
  });

  it('a bad secret is an error even with auth off', () => {
    expect(issuesOf({ PHOENIX_ENABLE_AUTH: 'false', PHOENIX_SECRET: 'short' })).toEqual([
      {
        variable: 'PHOENIX_SECRET',
        message: 'Phoenix secret must be at least 32 characters long and at least one digit (got 5 characters)',
      },
    ]);
  });
});

describe('parseAuthEnv: auth settings (reference TestGetEnvAuthSettings)', () => {
  const google: Env = {
    PHOENIX_OAUTH2_GOOGLE_CLIENT_ID: 'google_client_id',
    PHOENIX_OAUTH2_GOOGLE_CLIENT_SECRET: 'google_client_secret',
    PHOENIX_OAUTH2_GOOGLE_OIDC_CONFIG_URL: 'https://accounts.google.com/.well-known/openid-configuration',
  };
  const azure: Env = {
    PHOENIX_OAUTH2_AZURE_CLIENT_ID: 'azure_client_id',
    PHOENIX_OAUTH2_AZURE_CLIENT_SECRET: 'azure_client_secret',
    PHOENIX_OAUTH2_AZURE_OIDC_CONFIG_URL: 'https://login.microsoftonline.com/.well-known/openid-configuration',
  };
  const auth: Env = { PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: VALID_SECRET };
  const idp = (
    name: string,
    displayName: string,
    clientId: string,
    clientSecret: string,
    oidcConfigUrl: string,
    allowSignUp = true,
    autoLogin = false,
  ) => ({
    name,
    displayName,
    clientId,
    clientSecret,
    oidcConfigUrl,
    allowSignUp,
    autoLogin,
  });

  it.each<[string, Env, object]>([
    [
      'default_values',
      {},
      {
        enabled: false,
        basicAuthEnabled: true,
        secret: null,
        adminSecret: null,
        oauth2: { idps: [], autoLoginIdp: null },
      },
    ],
    [
      'auth_enabled_with_secret',
      auth,
      { enabled: true, basicAuthEnabled: true, secret: VALID_SECRET, adminSecret: null },
    ],
    [
      'auth_enabled_with_both_secrets',
      { ...auth, PHOENIX_ADMIN_SECRET: 'validadminsecret123456789012345678901234567890' },
      { enabled: true, secret: VALID_SECRET, adminSecret: 'validadminsecret123456789012345678901234567890' },
    ],
    [
      'auth_enabled_with_oauth2',
      { ...auth, PHOENIX_DISABLE_BASIC_AUTH: 'true', ...google },
      {
        enabled: true,
        basicAuthEnabled: false,
        oauth2: {
          idps: [
            idp(
              'google',
              'Google',
              'google_client_id',
              'google_client_secret',
              'https://accounts.google.com/.well-known/openid-configuration',
            ),
          ],
          autoLoginIdp: null,
        },
      },
    ],
    [
      'auth_enabled_with_multiple_oauth2',
      { ...auth, PHOENIX_DISABLE_BASIC_AUTH: 'true', ...google, ...azure },
      {
        basicAuthEnabled: false,
        oauth2: {
          idps: [
            idp(
              'azure',
              'Azure',
              'azure_client_id',
              'azure_client_secret',
              'https://login.microsoftonline.com/.well-known/openid-configuration',
            ),
            idp(
              'google',
              'Google',
              'google_client_id',
              'google_client_secret',
              'https://accounts.google.com/.well-known/openid-configuration',
            ),
          ],
          autoLoginIdp: null,
        },
      },
    ],
    [
      'auth_enabled_with_custom_oauth2_settings',
      {
        ...auth,
        PHOENIX_DISABLE_BASIC_AUTH: 'true',
        ...google,
        PHOENIX_OAUTH2_GOOGLE_DISPLAY_NAME: 'Custom Google Name',
        PHOENIX_OAUTH2_GOOGLE_ALLOW_SIGN_UP: 'false',
        PHOENIX_OAUTH2_GOOGLE_AUTO_LOGIN: 'true',
      },
      {
        oauth2: {
          idps: [
            idp(
              'google',
              'Custom Google Name',
              'google_client_id',
              'google_client_secret',
              'https://accounts.google.com/.well-known/openid-configuration',
              false,
              true,
            ),
          ],
          autoLoginIdp: 'google',
        },
      },
    ],
  ])('%s', (_id, env, expected) => {
    expect(parseAuthEnv(env)).toMatchObject(expected);
  });

  it.each<[string, Env, { variable: string; message: string }[]]>([
    [
      'auth_enabled_without_secret',
      { PHOENIX_ENABLE_AUTH: 'true' },
      [
        {
          variable: 'PHOENIX_SECRET',
          message: '`PHOENIX_SECRET` must be set when auth is enabled with `PHOENIX_ENABLE_AUTH`',
        },
      ],
    ],
    [
      'basic_auth_disabled_without_oauth2',
      { ...auth, PHOENIX_DISABLE_BASIC_AUTH: 'true' },
      [
        {
          variable: 'PHOENIX_DISABLE_BASIC_AUTH',
          message:
            'PHOENIX_DISABLE_BASIC_AUTH is set, but no alternative authentication methods are configured. ' +
            'Configure at least one OAuth2 identity provider (PHOENIX_OAUTH2_<IDP>_CLIENT_ID, PHOENIX_OAUTH2_<IDP>_CLIENT_SECRET ' +
            'and PHOENIX_OAUTH2_<IDP>_OIDC_CONFIG_URL), or LDAP (PHOENIX_LDAP_HOST), or enable basic auth.',
        },
      ],
    ],
  ])('%s', (_id, env, issues) => {
    expect(issuesOf(env)).toEqual(issues);
  });

  it('basic auth may be disabled while auth itself is off', () => {
    expect(parseAuthEnv({ PHOENIX_DISABLE_BASIC_AUTH: 'true' }).basicAuthEnabled).toBe(false);
  });
});

describe('parseAuthEnv: prefix option', () => {
  it('reads the variables under another prefix and ignores PHOENIX_ ones', () => {
    const config = parseAuthEnv(
      {
        GATEHOUSE_ENABLE_AUTH: 'true',
        GATEHOUSE_SECRET: VALID_SECRET,
        GATEHOUSE_COOKIE_NAME_PREFIX: 'gatehouse',
        GATEHOUSE_OAUTH2_OKTA_CLIENT_ID: 'okta-id',
        GATEHOUSE_OAUTH2_OKTA_CLIENT_SECRET: 'okta-secret',
        GATEHOUSE_OAUTH2_OKTA_OIDC_CONFIG_URL: 'https://okta.example.com/.well-known/openid-configuration',
        PHOENIX_ENABLE_AUTH: 'not a boolean',
        PHOENIX_OAUTH2_GOOGLE_CLIENT_ID: 'ignored',
      },
      { prefix: 'GATEHOUSE_' },
    );
    expect(config.prefix).toBe('GATEHOUSE_');
    expect(config.enabled).toBe(true);
    expect(config.cookies.names.refreshToken).toBe('gatehouse-refresh-token');
    expect(config.oauth2.idps.map((idp) => [idp.name, idp.clientId])).toEqual([['okta', 'okta-id']]);
  });

  it('names variables with the prefix in issues and messages', () => {
    const issues = issuesOf(
      {
        GATEHOUSE_ENABLE_AUTH: 'true',
        GATEHOUSE_ADMIN_SECRET: VALID_SECRET,
        GATEHOUSE_USE_SECURE_COOKIES: 'yes',
        GATEHOUSE_ADMINS: 'nobody',
        GATEHOUSE_ROOT_URL: 'nope',
        GATEHOUSE_DISABLE_BASIC_AUTH: 'true',
        GATEHOUSE_OAUTH2_OKTA_CLIENT_ID: 'okta-id',
        GATEHOUSE_SMTP_PORT: '0',
      },
      'GATEHOUSE_',
    );
    expect(issues).toEqual([
      {
        variable: 'GATEHOUSE_USE_SECURE_COOKIES',
        message: "GATEHOUSE_USE_SECURE_COOKIES must be set to TRUE or FALSE (case-insensitive). Got: 'yes'",
      },
      {
        variable: 'GATEHOUSE_ADMINS',
        message: "Invalid format in GATEHOUSE_ADMINS: 'nobody'. Expected format: 'username=email'",
      },
      {
        variable: 'GATEHOUSE_ROOT_URL',
        message: "The environment variable `GATEHOUSE_ROOT_URL` must be a valid URL. Got: 'nope'",
      },
      { variable: 'GATEHOUSE_SMTP_PORT', message: 'GATEHOUSE_SMTP_PORT must be between 1 and 65535. Got: 0' },
      {
        variable: 'GATEHOUSE_OAUTH2_OKTA_OIDC_CONFIG_URL',
        message:
          'OpenID Connect configuration URL must be set for the okta OAuth2 IDP via the GATEHOUSE_OAUTH2_OKTA_OIDC_CONFIG_URL environment variable',
      },
      {
        variable: 'GATEHOUSE_OAUTH2_OKTA_CLIENT_SECRET',
        message:
          'Client secret must be set for the okta OAuth2 IDP via the GATEHOUSE_OAUTH2_OKTA_CLIENT_SECRET environment variable',
      },
      {
        variable: 'GATEHOUSE_SECRET',
        message: '`GATEHOUSE_SECRET` must be set when auth is enabled with `GATEHOUSE_ENABLE_AUTH`',
      },
      {
        variable: 'GATEHOUSE_ADMIN_SECRET',
        message: '`GATEHOUSE_ADMIN_SECRET` must be not be set without setting `GATEHOUSE_SECRET`.',
      },
    ]);
    for (const issue of issues) expect(issue.message).not.toContain('PHOENIX_');
  });

  it('accepts an empty prefix', () => {
    expect(parseAuthEnv({ ENABLE_AUTH: 'true', SECRET: VALID_SECRET }, { prefix: '' }).enabled).toBe(true);
  });
});

describe('parseAuthEnv: GATEHOUSE_PASSWORD_HASH_* (the hashing bound)', () => {
  it('reads the bound of password hashing, under GATEHOUSE_ whatever the prefix', () => {
    const env = {
      GATEHOUSE_PASSWORD_HASH_CONCURRENCY: ' 3 ',
      GATEHOUSE_PASSWORD_HASH_QUEUE: '0',
      GATEHOUSE_PASSWORD_HASH_BUSY_PERCENT: '100',
    };
    const bound = { concurrency: 3, maxQueue: 0, busyPercent: 100 };
    expect(parseAuthEnv(env).passwordHashing).toEqual(bound);
    expect(parseAuthEnv(env, { prefix: 'APP_' }).passwordHashing).toEqual(bound);
    expect(
      parseAuthEnv({ PHOENIX_PASSWORD_HASH_CONCURRENCY: '3', PHOENIX_PASSWORD_HASH_BUSY_PERCENT: '5' }).passwordHashing,
    ).toEqual({ concurrency: null, maxQueue: 32, busyPercent: 33 });
  });

  it('reports bad values with every other problem, each named and with what is expected', () => {
    const issues = issuesOf({
      GATEHOUSE_PASSWORD_HASH_CONCURRENCY: '0',
      GATEHOUSE_PASSWORD_HASH_QUEUE: 'lots',
      PHOENIX_SMTP_PORT: '0',
    });
    expect(issues).toEqual([
      { variable: 'PHOENIX_SMTP_PORT', message: 'PHOENIX_SMTP_PORT must be between 1 and 65535. Got: 0' },
      {
        variable: 'GATEHOUSE_PASSWORD_HASH_CONCURRENCY',
        message: 'GATEHOUSE_PASSWORD_HASH_CONCURRENCY must be between 1 and 256. Got: 0',
      },
      {
        variable: 'GATEHOUSE_PASSWORD_HASH_QUEUE',
        message:
          "Invalid value for environment variable GATEHOUSE_PASSWORD_HASH_QUEUE: 'lots'. Value must be an integer.",
      },
    ]);
    expect(
      issuesOf({
        GATEHOUSE_PASSWORD_HASH_CONCURRENCY: '257',
        GATEHOUSE_PASSWORD_HASH_QUEUE: '100001',
        GATEHOUSE_PASSWORD_HASH_BUSY_PERCENT: '0',
      }).map((issue) => issue.variable),
    ).toEqual([
      'GATEHOUSE_PASSWORD_HASH_CONCURRENCY',
      'GATEHOUSE_PASSWORD_HASH_QUEUE',
      'GATEHOUSE_PASSWORD_HASH_BUSY_PERCENT',
    ]);
    for (const value of ['101', '33.5', 'half']) {
      expect(issuesOf({ GATEHOUSE_PASSWORD_HASH_BUSY_PERCENT: value }).map((issue) => issue.message)).toEqual([
        value === 'half' || value === '33.5'
          ? `Invalid value for environment variable GATEHOUSE_PASSWORD_HASH_BUSY_PERCENT: '${value}'. Value must be an integer.`
          : `GATEHOUSE_PASSWORD_HASH_BUSY_PERCENT must be between 1 and 100. Got: ${value}`,
      ]);
    }
  });
});

describe('parseAuthEnv: GATEHOUSE_AUDIT_RETENTION_DAYS', () => {
  it('reads the retention of audit events in days, default 90, under GATEHOUSE_ whatever the prefix', () => {
    expect(parseAuthEnv({}).auditRetentionDays).toBe(90);
    expect(parseAuthEnv({ GATEHOUSE_AUDIT_RETENTION_DAYS: ' 400 ' }, { prefix: 'APP_' }).auditRetentionDays).toBe(400);
  });

  it('refuses 0, negatives, fractions and text with the variable named, together with other problems', () => {
    for (const value of ['0', '-5', '1.5', 'forever', '36501']) {
      const issues = issuesOf({ GATEHOUSE_AUDIT_RETENTION_DAYS: value, PHOENIX_SMTP_PORT: '0' });
      expect(issues.map((issue) => issue.variable)).toEqual(['PHOENIX_SMTP_PORT', 'GATEHOUSE_AUDIT_RETENTION_DAYS']);
    }
  });
});

describe('parseAuthEnv: second factors (GATEHOUSE_ENCRYPTION_KEY*, GATEHOUSE_MFA_REQUIRED_ROLES)', () => {
  const KEY = 'encryption-key-0123456789abcdefghij';
  const OLD = 'former-encryption-key-0123456789abc';

  it('reads the key, the former keys and the roles, and keeps the keys out of JSON', () => {
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: VALID_SECRET,
      GATEHOUSE_ENCRYPTION_KEY: KEY,
      GATEHOUSE_ENCRYPTION_KEY_PREVIOUS: ` ${OLD} `,
      GATEHOUSE_MFA_REQUIRED_ROLES: 'member, admin,ADMIN',
    });
    expect(config.mfa).toMatchObject({
      encryptionKey: KEY,
      previousEncryptionKeys: [OLD],
      requiredRoles: ['ADMIN', 'MEMBER'],
      challengeTtlSeconds: 300,
    });
    const shown = JSON.stringify(config);
    expect(shown).not.toContain(KEY);
    expect(shown).not.toContain(OLD);
  });

  it('is off by default: no key, no roles', () => {
    expect(parseAuthEnv({}).mfa).toEqual({
      encryptionKey: null,
      previousEncryptionKeys: [],
      requiredRoles: [],
      challengeTtlSeconds: 300,
    });
  });

  it('holds the key to the secret rules and lists every problem, never quoting a key', () => {
    const issues = issuesOf({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: VALID_SECRET,
      GATEHOUSE_ENCRYPTION_KEY: 'short1',
      GATEHOUSE_ENCRYPTION_KEY_PREVIOUS: `${OLD},tooshort2`,
      GATEHOUSE_MFA_REQUIRED_ROLES: 'ADMIN,SYSTEM',
    });
    expect(issues).toEqual([
      {
        variable: 'GATEHOUSE_ENCRYPTION_KEY',
        message: 'Gatehouse encryption key must be at least 32 characters long (got 6 characters)',
      },
      {
        variable: 'GATEHOUSE_ENCRYPTION_KEY_PREVIOUS',
        message: 'GATEHOUSE_ENCRYPTION_KEY_PREVIOUS entry 2 must be at least 32 characters long (got 9 characters)',
      },
      {
        variable: 'GATEHOUSE_MFA_REQUIRED_ROLES',
        message: "GATEHOUSE_MFA_REQUIRED_ROLES must be a comma-separated list of ADMIN, MEMBER, VIEWER. Got: 'SYSTEM'",
      },
    ]);
    expect(JSON.stringify(issues)).not.toContain('short1');
  });

  it('refuses a key equal to the token secret, former keys or required roles without a key', () => {
    expect(
      issuesOf({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: VALID_SECRET, GATEHOUSE_ENCRYPTION_KEY: VALID_SECRET }),
    ).toEqual([
      {
        variable: 'GATEHOUSE_ENCRYPTION_KEY',
        message: '`GATEHOUSE_ENCRYPTION_KEY` must be different from `PHOENIX_SECRET` and `PHOENIX_ADMIN_SECRET`',
      },
    ]);
    expect(issuesOf({ GATEHOUSE_ENCRYPTION_KEY_PREVIOUS: OLD, GATEHOUSE_MFA_REQUIRED_ROLES: 'ADMIN' })).toEqual([
      {
        variable: 'GATEHOUSE_ENCRYPTION_KEY_PREVIOUS',
        message: '`GATEHOUSE_ENCRYPTION_KEY_PREVIOUS` must not be set without `GATEHOUSE_ENCRYPTION_KEY`',
      },
      {
        variable: 'GATEHOUSE_MFA_REQUIRED_ROLES',
        message:
          '`GATEHOUSE_MFA_REQUIRED_ROLES` needs `GATEHOUSE_ENCRYPTION_KEY`: second factors are stored encrypted under it',
      },
    ]);
  });
});

describe('parseAuthEnv: one error for every problem', () => {
  it('collects six problems in six variables into one ConfigError', () => {
    const error = configErrorOf(() =>
      parseAuthEnv({
        PHOENIX_ENABLE_AUTH: 'maybe',
        PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: '-1',
        PHOENIX_HOST_ROOT_PATH: 'app',
        PHOENIX_ADMINS: 'nobody',
        PHOENIX_CSRF_TRUSTED_ORIGINS: 'no-host',
        PHOENIX_SMTP_PORT: '99999',
      }),
    );
    expect(isGatehouseError(error)).toBe(true);
    expect(error.code).toBe('config_invalid');
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'PHOENIX_ENABLE_AUTH',
      'PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES',
      'PHOENIX_ADMINS',
      'PHOENIX_HOST_ROOT_PATH',
      'PHOENIX_CSRF_TRUSTED_ORIGINS',
      'PHOENIX_SMTP_PORT',
    ]);
    expect(error.message.startsWith('Invalid authentication configuration (6 problems):\n')).toBe(true);
    for (const issue of error.issues) expect(error.message).toContain(`  - ${issue.variable}: ${issue.message}`);
  });
});

describe('parseAuthEnv: secrets never appear in errors or logs', () => {
  const secrets = {
    PHOENIX_SECRET: 'Sh0rtSecretValue',
    PHOENIX_ADMIN_SECRET: 'adm1n secret with spaces',
    PHOENIX_SMTP_PASSWORD: 'smtp-Password-9f8e7d',
    PHOENIX_OAUTH2_OKTA_CLIENT_SECRET: 'okta-Client-Secret-42',
    PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'initial-Admin-Pass-77',
  };

  it('invalid secrets are described by shape only', () => {
    const error = configErrorOf(() =>
      parseAuthEnv({
        ...secrets,
        PHOENIX_ENABLE_AUTH: 'true',
        PHOENIX_SMTP_HOSTNAME: 'smtp.example.com',
        PHOENIX_OAUTH2_OKTA_CLIENT_ID: 'okta',
        PHOENIX_OAUTH2_OKTA_OIDC_CONFIG_URL: 'https://okta.example.com',
        PHOENIX_OAUTH2_OKTA_TOKEN_ENDPOINT_AUTH_METHOD: 'private_key_jwt',
      }),
    );
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'PHOENIX_SECRET',
      'PHOENIX_ADMIN_SECRET',
      'PHOENIX_OAUTH2_OKTA_TOKEN_ENDPOINT_AUTH_METHOD',
      'PHOENIX_SMTP_USERNAME',
    ]);
    const everything = [error.message, JSON.stringify(error), JSON.stringify(error.issues), inspect(error)].join('\n');
    for (const value of Object.values(secrets)) expect(everything).not.toContain(value);
  });

  it('an empty-looking but invalid secret is not echoed either', () => {
    const error = configErrorOf(() => parseAuthEnv({ PHOENIX_SECRET: 'ÄÖÜ-not-ascii-1234567890123456789' }));
    expect(error.message).not.toContain('ÄÖÜ');
  });

  it('JSON.stringify and util.inspect of a parsed config redact secrets', () => {
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: VALID_SECRET,
      PHOENIX_ADMIN_SECRET: 'validadminsecret123456789012345678901234567890',
      PHOENIX_SMTP_HOSTNAME: 'smtp.example.com',
      PHOENIX_SMTP_USERNAME: 'mailer',
      PHOENIX_SMTP_PASSWORD: secrets.PHOENIX_SMTP_PASSWORD,
      PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: secrets.PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD,
      ...idpEnv('okta', { CLIENT_SECRET: secrets.PHOENIX_OAUTH2_OKTA_CLIENT_SECRET }),
    });
    // The values are there for the code that needs them...
    expect(config.secret).toBe(VALID_SECRET);
    expect(config.smtp?.password).toBe(secrets.PHOENIX_SMTP_PASSWORD);
    expect(config.oauth2.idps[0]?.clientSecret).toBe(secrets.PHOENIX_OAUTH2_OKTA_CLIENT_SECRET);
    // ...but not in what gets logged.
    const logged = [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      JSON.stringify(config.smtp),
      inspect(config.oauth2.idps),
    ].join('\n');
    for (const value of [
      VALID_SECRET,
      'validadminsecret123456789012345678901234567890',
      secrets.PHOENIX_SMTP_PASSWORD,
      secrets.PHOENIX_OAUTH2_OKTA_CLIENT_SECRET,
      secrets.PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD,
    ]) {
      expect(logged).not.toContain(value);
    }
    expect(logged).toContain('[redacted]');
    expect(JSON.parse(JSON.stringify(config))).toMatchObject({
      secret: '[redacted]',
      smtp: { username: 'mailer', password: '[redacted]' },
    });
  });
});

describe('parseAuthEnv: the result is frozen', () => {
  const config = parseAuthEnv({
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: VALID_SECRET,
    PHOENIX_ADMINS: 'ann=ann@example.com',
    PHOENIX_CSRF_TRUSTED_ORIGINS: 'http://localhost',
    PHOENIX_SMTP_HOSTNAME: 'smtp.example.com',
    PHOENIX_SMTP_USERNAME: 'mailer',
    PHOENIX_SMTP_PASSWORD: 'pw',
    ...idpEnv('okta', {
      ROLE_ATTRIBUTE_PATH: 'role',
      ROLE_MAPPING: 'Owner:ADMIN',
      GROUPS_ATTRIBUTE_PATH: 'groups',
      ALLOWED_GROUPS: 'a',
    }),
  });
  const idp = config.oauth2.idps[0]!;

  it.each<[string, object]>([
    ['config', config],
    ['tokens', config.tokens],
    ['bruteForce', config.bruteForce],
    ['cookies', config.cookies],
    ['cookies.names', config.cookies.names],
    ['admins', config.admins],
    ['admins[0]', config.admins[0]!],
    ['csrfTrustedOrigins', config.csrfTrustedOrigins],
    ['smtp', config.smtp!],
    ['oauth2', config.oauth2],
    ['oauth2.idps', config.oauth2.idps],
    ['idp', idp],
    ['idp.scopes', idp.scopes],
    ['idp.allowedGroups', idp.allowedGroups],
    ['idp.emailPath', idp.emailPath],
    ['idp.groupsPath', idp.groupsPath!],
    ['idp.roleMapping', idp.roleMapping!],
  ])('%s is frozen', (_name, value) => {
    expect(Object.isFrozen(value)).toBe(true);
  });

  it('rejects writes', () => {
    expect(Reflect.set(config, 'enabled', false)).toBe(false);
    expect(Reflect.set(config.tokens, 'accessTtlSeconds', 1)).toBe(false);
    expect(Reflect.set(idp, 'clientSecret', 'x')).toBe(false);
    expect(() => (config.admins as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(config.enabled).toBe(true);
  });

  it('the role mapping is a read-only map with no setter', () => {
    const mapping = idp.roleMapping!;
    expect(mapping.get('Owner')).toBe('ADMIN');
    expect(mapping.size).toBe(1);
    expect([...mapping]).toEqual([['Owner', 'ADMIN']]);
    expect('set' in mapping).toBe(false);
    expect(JSON.stringify(mapping)).toBe('{"Owner":"ADMIN"}');
  });

  it('only ConfigError is thrown for a bad environment', () => {
    expect(() => parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'x' })).toThrow(ConfigError);
  });
});
