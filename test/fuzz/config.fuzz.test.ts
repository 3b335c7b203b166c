/**
 * `parseAuthEnv` under arbitrary environments: it returns a configuration that
 * obeys every rule of docs/phoenix-contract.md#configuration, or throws one `ConfigError` naming variables; it never leaks
 * a secret, and the outcome depends only on the trimmed values — not on padding, key order,
 * repetition or the variable prefix.
 */
import { inspect } from 'node:util';
import { type AuthConfig, ConfigError, isGatehouseError, parseAuthEnv } from '@gatehouse-auth/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BOOLEAN_IDP_SUFFIXES,
  BOOLEAN_NAMES,
  type Env,
  GLOBAL_NAMES,
  IDP_SUFFIXES,
  PREFIX,
  SECRET_IDP_SUFFIXES,
  SECRET_NAMES,
  UNSUPPORTED_IDP_SUFFIXES,
  VALID_SECRET,
  envArbitrary,
  idpEnv,
  padding,
} from './env.js';
import { TIMEOUT_MS, runs } from './runs.js';

type Outcome = { ok: true; config: AuthConfig } | { ok: false; error: ConfigError };

/** Anything but a ConfigError escapes and fails the property. */
function outcome(env: Env, prefix = PREFIX): Outcome {
  try {
    return { ok: true, config: parseAuthEnv(env, { prefix }) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error };
    throw error;
  }
}

/** Comparable form of a configuration: compiled paths by expression, maps as entry lists. */
function plain(config: AuthConfig): unknown {
  return {
    ...config,
    oauth2: {
      ...config.oauth2,
      idps: config.oauth2.idps.map((idp) => ({
        ...idp,
        emailPath: idp.emailPath.expression,
        groupsPath: idp.groupsPath?.expression ?? null,
        rolePath: idp.rolePath?.expression ?? null,
        roleMapping: idp.roleMapping === null ? null : [...idp.roleMapping],
      })),
    },
  };
}

function comparable(result: Outcome): unknown {
  return result.ok ? { config: plain(result.config) } : { issues: result.error.issues };
}

const trimmed = (env: Env, variable: string): string | undefined =>
  Object.hasOwn(env, variable) ? env[variable]?.trim() : undefined;

const IDP_KEY = new RegExp(`^${PREFIX}OAUTH2_(.+)_(${[...IDP_SUFFIXES, ...UNSUPPORTED_IDP_SUFFIXES].join('|')})$`);

/** Every variable the parser may name: the globals, the settings of each declared IdP, and the keys given. */
function nameable(env: Env, prefix: string): Set<string> {
  const names = new Set<string>([...GLOBAL_NAMES.map((name) => `${prefix}${name}`), ...Object.keys(env)]);
  const pattern = new RegExp(`^${prefix}OAUTH2_(.+)_(${[...IDP_SUFFIXES, ...UNSUPPORTED_IDP_SUFFIXES].join('|')})$`);
  for (const key of Object.keys(env)) {
    const segment = pattern.exec(key)?.[1];
    if (segment !== undefined)
      for (const suffix of IDP_SUFFIXES) names.add(`${prefix}OAUTH2_${segment.toLowerCase().toUpperCase()}_${suffix}`);
  }
  return names;
}

// eslint-disable-next-line no-control-regex -- the rule is about exactly these characters
const ASCII_ONLY = /^[\x00-\x7f]*$/;
// eslint-disable-next-line no-control-regex -- Python's str.isspace() also counts \x1c-\x1f
const PYTHON_WHITESPACE = /[\s\x1c-\x1f]/;

/** docs/phoenix-contract.md#secrets: non-empty, no (Python) whitespace, ASCII, ≥ 32 characters, a digit, a lower-case letter. */
function secretAllowed(value: string): boolean {
  return (
    value.length >= 32 &&
    ASCII_ONLY.test(value) &&
    !PYTHON_WHITESPACE.test(value) &&
    /\d/.test(value) &&
    /[a-z]/.test(value)
  );
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const RESERVED_IDP_NAMES = new Set(['authorize', 'consent', 'register', 'revoke', 'token']);
const EARLIEST_EXPIRY_CHECK = Date.UTC(2100, 0, 1);

function isSorted(values: readonly string[]): boolean {
  return values.every((value, i) => i === 0 || (values[i - 1] ?? '') < value);
}

/** The stated rules of docs/phoenix-contract.md#configuration (and Gatehouse's stricter ones), checked on an accepted configuration. */
function expectRulesHold(config: AuthConfig, env: Env): void {
  for (const name of BOOLEAN_NAMES) {
    const raw = trimmed(env, `${PREFIX}${name}`);
    expect(raw === undefined || /^(true|false)$/i.test(raw), `${name}=${raw} is a boolean`).toBe(true);
  }
  expect(config.enabled).toBe(trimmed(env, `${PREFIX}ENABLE_AUTH`)?.toLowerCase() === 'true');
  expect(config.basicAuthEnabled).toBe(trimmed(env, `${PREFIX}DISABLE_BASIC_AUTH`)?.toLowerCase() !== 'true');

  if (config.enabled) expect(config.secret).not.toBeNull();
  if (config.secret !== null) expect(secretAllowed(config.secret), 'PHOENIX_SECRET obeys the secret rules').toBe(true);
  if (config.adminSecret !== null) {
    expect(secretAllowed(config.adminSecret), 'PHOENIX_ADMIN_SECRET obeys the secret rules').toBe(true);
    expect(config.secret).not.toBeNull();
    expect(config.adminSecret).not.toBe(config.secret);
  }

  // docs/phoenix-contract.md#token-lifetimes: lifetimes are numbers > 0 — and usable: the expiry of a token issued now must be a date.
  for (const [name, seconds] of [
    ['ACCESS_TOKEN_EXPIRY_MINUTES', config.tokens.accessTtlSeconds],
    ['REFRESH_TOKEN_EXPIRY_MINUTES', config.tokens.refreshTtlSeconds],
    ['PASSWORD_RESET_TOKEN_EXPIRY_MINUTES', config.tokens.passwordResetTtlSeconds],
  ] as const) {
    expect(seconds, `${name} gives a lifetime > 0`).toBeGreaterThan(0);
    expect(
      Number.isSafeInteger(Math.floor((EARLIEST_EXPIRY_CHECK + seconds * 1000) / 1000)),
      `${name}: expiry is epoch seconds`,
    ).toBe(true);
    expect(Number.isNaN(new Date(EARLIEST_EXPIRY_CHECK + seconds * 1000).getTime()), `${name}: expiry is a date`).toBe(
      false,
    );
    const raw = trimmed(env, `${PREFIX}${name}`);
    if (raw) expect(Math.abs(seconds - Number(raw) * 60)).toBeLessThanOrEqual(0.0005 + Math.abs(seconds) * 1e-12);
  }
  expect(Number.isSafeInteger(config.bruteForce.maxAttempts) && config.bruteForce.maxAttempts >= 1).toBe(true);

  // docs/phoenix-contract.md#cookies and the Set-Cookie grammar.
  expect(config.cookies.path.startsWith('/')).toBe(true);
  // eslint-disable-next-line no-control-regex -- forbidden inside Set-Cookie
  expect(/[;\s\x00-\x1f\x7f]/.test(config.cookies.path)).toBe(false);
  expect(config.cookies.namePrefix).toMatch(/^[A-Za-z0-9_-]+$/);

  // docs/phoenix-contract.md#admins
  const usernames = config.admins.map((admin) => admin.username);
  const emails = config.admins.map((admin) => admin.email);
  expect(new Set(usernames).size).toBe(usernames.length);
  expect(new Set(emails).size).toBe(emails.length);
  for (const { username, email } of config.admins) {
    expect(username).toBe(username.trim());
    expect(username).not.toBe('');
    expect(username).not.toContain(';');
    expect(email).toBe(email.trim().toLowerCase());
    expect(email).toMatch(/^[^\s@;=]+@[^\s@;=]+\.[^\s@;=]+$/);
  }

  // docs/phoenix-contract.md#urls-csrf-cors
  expect(config.rootPath === '' || (config.rootPath.startsWith('/') && !config.rootPath.endsWith('/'))).toBe(true);
  if (config.rootUrl !== null) expect(new URL(config.rootUrl).host).not.toBe('');
  expect(isSorted(config.csrfTrustedOrigins)).toBe(true);
  for (const host of config.csrfTrustedOrigins) expect(host).toBe(host.toLowerCase());
  if (config.supportEmail !== null) expect(config.supportEmail).toMatch(/^[^\s@]+@[^\s@]+$/);

  // docs/phoenix-contract.md#smtp
  const smtpHost = trimmed(env, `${PREFIX}SMTP_HOSTNAME`);
  expect(config.smtp === null).toBe(!smtpHost);
  if (config.smtp !== null) {
    expect(config.smtp.username).not.toBe('');
    expect(config.smtp.password).not.toBe('');
    expect(config.smtp.port >= 1 && config.smtp.port <= 65_535 && Number.isInteger(config.smtp.port)).toBe(true);
  }

  // docs/phoenix-contract.md#oauth2-idps: every declared IdP is configured (none silently dropped), each by its rules.
  const declared = new Set<string>();
  for (const key of Object.keys(env)) {
    const match = env[key] === undefined ? null : IDP_KEY.exec(key);
    if (match?.[1] !== undefined) declared.add(match[1].toLowerCase());
  }
  const names = config.oauth2.idps.map((idp) => idp.name);
  expect(new Set(names)).toEqual(declared);
  expect(isSorted(names)).toBe(true);
  if (config.enabled && !config.basicAuthEnabled) expect(names.length).toBeGreaterThan(0);
  const autoLogin = config.oauth2.idps.filter((idp) => idp.autoLogin);
  expect(autoLogin.length).toBeLessThanOrEqual(1);
  expect(config.oauth2.autoLoginIdp).toBe(autoLogin[0]?.name ?? null);
  for (const idp of config.oauth2.idps) {
    expect(idp.name).toMatch(/^[a-z0-9_]+$/);
    expect(RESERVED_IDP_NAMES.has(idp.name)).toBe(false);
    for (const suffix of BOOLEAN_IDP_SUFFIXES) {
      const raw = trimmed(env, `${PREFIX}OAUTH2_${idp.name.toUpperCase()}_${suffix}`);
      expect(raw === undefined || /^(true|false)$/i.test(raw)).toBe(true);
    }
    expect(idp.clientId).not.toBe('');
    if (idp.clientSecret === null) expect(idp.tokenEndpointAuthMethod).toBe('none');
    const oidc = new URL(idp.oidcConfigUrl);
    expect(
      oidc.protocol === 'https:' || (oidc.protocol === 'http:' && LOOPBACK.has(oidc.hostname)),
      idp.oidcConfigUrl,
    ).toBe(true);
    expect(idp.scopes.slice(0, 3)).toEqual(['openid', 'email', 'profile']);
    expect(new Set(idp.scopes).size).toBe(idp.scopes.length);
    for (const scope of idp.scopes) expect(scope).toMatch(/^\S+$/);
    expect(idp.groupsPath === null).toBe(idp.allowedGroups.length === 0);
    expect(new Set(idp.allowedGroups).size).toBe(idp.allowedGroups.length);
    for (const group of idp.allowedGroups)
      expect(group === group.trim() && group !== '' && !group.includes(',')).toBe(true);
    for (const role of idp.roleMapping?.values() ?? []) expect(['ADMIN', 'MEMBER', 'VIEWER']).toContain(role);
    if (idp.roleMapping !== null || idp.roleAttributeStrict || !idp.roleResync) expect(idp.rolePath).not.toBeNull();
  }
}

/** The trimmed secret values that must never be shown, when they are recognisable (see env.ts). */
function secretsOf(env: Env): string[] {
  const isSecret = (key: string) => {
    const suffix = IDP_KEY.exec(key)?.[2];
    return (
      (key.startsWith(PREFIX) && SECRET_NAMES.has(key.slice(PREFIX.length))) ||
      (suffix !== undefined && SECRET_IDP_SUFFIXES.has(suffix))
    );
  };
  const entries = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const others = entries
    .filter(([key]) => !isSecret(key))
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
  // A secret's first 16 characters, unless the same text is also in a non-secret variable, which may be quoted.
  return entries
    .filter(([key]) => isSecret(key))
    .map(([, value]) => value.trim().slice(0, 16))
    .filter((head) => head.length === 16 && !others.includes(head));
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/; // eslint-disable-line no-control-regex -- what must be escaped

describe('parseAuthEnv (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('returns a configuration obeying every stated rule, or throws one ConfigError naming variables', () => {
    fc.assert(
      fc.property(envArbitrary, (env) => {
        const result = outcome(env);
        if (result.ok) {
          expectRulesHold(result.config, env);
          expect(Object.isFrozen(result.config)).toBe(true);
          return;
        }
        const { error } = result;
        expect(isGatehouseError(error)).toBe(true);
        expect(error.code).toBe('config_invalid');
        expect(error.status).toBe(500);
        expect(error.issues.length).toBeGreaterThan(0);
        const names = nameable(env, PREFIX);
        for (const issue of error.issues) {
          expect(names.has(issue.variable), `issue names a variable: ${JSON.stringify(issue.variable)}`).toBe(true);
          expect(issue.message.trim()).not.toBe('');
          // Values are quoted through `shown`: a hostile value cannot forge a log line.
          expect(CONTROL.test(issue.message), `control character in ${JSON.stringify(issue.message)}`).toBe(false);
        }
      }),
      runs(120),
    );
  });

  it('never shows the value of a secret: not in errors, not when the configuration is logged', () => {
    fc.assert(
      fc.property(envArbitrary, (env) => {
        const secrets = secretsOf(env);
        const result = outcome(env);
        const texts = result.ok
          ? [JSON.stringify(result.config), inspect(result.config, { depth: null })]
          : [
              result.error.message,
              JSON.stringify(result.error),
              inspect(result.error, { depth: null }),
              JSON.stringify(result.error.issues),
            ];
        for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
      }),
      runs(80),
    );
  });

  it('depends only on the trimmed values: padding, key order and a second parse change nothing', () => {
    const padded = envArbitrary.chain((env) =>
      fc
        .tuple(
          fc.array(fc.tuple(padding, padding), {
            minLength: Object.keys(env).length,
            maxLength: Object.keys(env).length,
          }),
          fc.shuffledSubarray(Object.keys(env), { minLength: Object.keys(env).length }),
        )
        .map(([pads, order]) => ({
          env,
          variant: Object.fromEntries<string | undefined>(
            order.map((key, i) => {
              const [before, after] = pads[i] ?? ['', ''];
              const value = env[key];
              return [key, value === undefined ? undefined : `${before}${value}${after}`];
            }),
          ),
        })),
    );
    fc.assert(
      fc.property(padded, ({ env, variant }) => {
        const first = comparable(outcome(env));
        expect(comparable(outcome(env))).toEqual(first);
        expect(comparable(outcome(variant))).toEqual(first);
      }),
      runs(40),
    );
  });

  it('parses the same under another prefix, with the variable names renamed', () => {
    const OTHER = 'GATEHOUSE_';
    fc.assert(
      fc.property(envArbitrary, (env) => {
        // Messages repeat values verbatim; a value mentioning a prefix would differ by more than the rename.
        fc.pre(
          Object.entries(env).every(
            ([key, value]) =>
              !/PHOENIX|GATEHOUSE/.test(`${key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key}\n${value ?? ''}`),
          ),
        );
        const renamed = Object.fromEntries<string | undefined>(
          Object.entries(env).map(([key, value]) => [
            key.startsWith(PREFIX) ? `${OTHER}${key.slice(PREFIX.length)}` : key,
            value,
          ]),
        );
        const rename = (text: string) => text.replaceAll(PREFIX, OTHER);
        const expected = outcome(env);
        const actual = outcome(renamed, OTHER);
        if (expected.ok) {
          expect(actual.ok).toBe(true);
          if (actual.ok) expect(plain(actual.config)).toEqual({ ...(plain(expected.config) as object), prefix: OTHER });
          return;
        }
        expect(actual.ok).toBe(false);
        if (!actual.ok) {
          expect(actual.error.issues).toEqual(
            expected.error.issues.map((issue) => ({
              variable: rename(issue.variable),
              message: rename(issue.message),
            })),
          );
        }
      }),
      runs(50),
    );
  });

  it('accepts every valid environment it generates, under any prefix', () => {
    const valid = fc.record(
      {
        ENABLE_AUTH: fc.constantFrom('true', 'FALSE'),
        SECRET: fc.constant(VALID_SECRET),
        ADMIN_SECRET: fc.constant(`admin${VALID_SECRET}`),
        ACCESS_TOKEN_EXPIRY_MINUTES: fc.double({ min: 0.02, max: 1e6, noNaN: true }).map(String),
        ADMINS: fc.constantFrom('a=a@example.com', 'Washington, George, Jr.=george@x.com;User=With=Equals=user@x.com'),
        HOST_ROOT_PATH: fc.constantFrom('/app', '/a/b'),
        SMTP_PORT: fc.integer({ min: 1, max: 65_535 }).map(String),
      },
      { requiredKeys: ['SECRET'] },
    );
    fc.assert(
      fc.property(valid, fc.constantFrom('PHOENIX_', 'GATEHOUSE_', 'APP_'), (settings, prefix) => {
        const env: Env = Object.fromEntries(
          Object.entries(settings).map(([name, value]) => [`${prefix}${name}`, value]),
        );
        for (const [key, value] of Object.entries(
          idpEnv('OKTA', { ROLE_ATTRIBUTE_PATH: 'role', ROLE_MAPPING: 'Owner:admin' }),
        )) {
          env[`${prefix}${key.slice(PREFIX.length)}`] = value;
        }
        const result = outcome(env, prefix);
        expect(result.ok, result.ok ? '' : result.error.message).toBe(true);
        if (result.ok) expect(result.config.oauth2.idps.map((idp) => idp.name)).toEqual(['okta']);
      }),
      runs(50),
    );
  });

  it.each([
    ['a lifetime that rounds to 0 seconds', '0.0000001'],
    ['a denormal lifetime', '1e-320'],
    ['a lifetime past the last representable date', '1e15'],
    ['a lifetime of 6e301 seconds', '1e300'],
  ])('refuses %s (%s minutes)', (_what, minutes) => {
    for (const name of [
      'ACCESS_TOKEN_EXPIRY_MINUTES',
      'REFRESH_TOKEN_EXPIRY_MINUTES',
      'PASSWORD_RESET_TOKEN_EXPIRY_MINUTES',
    ]) {
      const result = outcome({ [`${PREFIX}${name}`]: minutes });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.issues.map((issue) => issue.variable)).toEqual([`${PREFIX}${name}`]);
    }
  });

  it('escapes control characters of an unsupported variable name in its message', () => {
    const result = outcome({ [`${PREFIX}OAUTH2_\u001b[2J\f_CLIENT_ASSERTION_FILE`]: '/token' });
    expect(result.ok).toBe(false);
    if (!result.ok) for (const issue of result.error.issues) expect(CONTROL.test(issue.message)).toBe(false);
  });
});
