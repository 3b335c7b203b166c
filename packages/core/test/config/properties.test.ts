import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AuthConfig, parseAuthEnv } from '../../src/config/index.js';
import { IDP_SUFFIXES } from '../../src/config/oauth2-idps.js';
import { VARIABLES } from '../../src/config/variables.js';
import { ConfigError } from '../../src/errors/index.js';
import { type Env, VALID_SECRET } from './helpers.js';

// The parser's own lists, so a variable added to core is fuzzed without touching this file.
const NAMES = VARIABLES;

const value = fc.oneof(
  fc.constantFrom('true', 'FALSE', 'yes', '', '  ', '0', '5', '-1', '0.5', '1e999', 'NaN', '65536'),
  fc.constantFrom(VALID_SECRET, 'short', 'https://example.com/x', 'http://localhost:1', 'not a url', '/app', 'app/'),
  fc.constantFrom(
    'a=a@example.com;b=b@x',
    'Owner:ADMIN,x:SYSTEM',
    'groups',
    '"cognito:groups"',
    'foo(',
    'none',
    'client_assertion_jwt',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const key = (prefix: string) =>
  fc.oneof(
    fc.constantFrom(...NAMES).map((name) => `${prefix}${name}`),
    fc
      .tuple(
        fc.constantFrom('GOOGLE', 'okta', 'Mixed', 'MY-IDP', 'TOKEN', 'A_B', 'microsoft_entra_id', '__PROTO__'),
        fc.constantFrom(...IDP_SUFFIXES),
      )
      .map(([idp, suffix]) => `${prefix}OAUTH2_${idp}_${suffix}`),
    fc.string({ maxLength: 30 }),
    fc.constantFrom('__proto__', 'constructor', 'toString', `${prefix}OAUTH2__CLIENT_ID`, `${prefix}OAUTH2_X_Y`),
  );
const env = (prefix: string) => fc.dictionary(key(prefix), fc.option(value, { nil: undefined }), { maxKeys: 25 });

function assertDeeplyFrozen(value: unknown, path = 'config'): void {
  if (typeof value !== 'object' || value === null) return;
  expect(Object.isFrozen(value), `${path} is frozen`).toBe(true);
  for (const [key, child] of Object.entries(value)) assertDeeplyFrozen(child, `${path}.${key}`);
}

describe('parseAuthEnv: properties', () => {
  it.each(['PHOENIX_', 'GATEHOUSE_'])(
    'with prefix %s, throws nothing but a ConfigError naming prefixed variables',
    (prefix) => {
      fc.assert(
        fc.property(env(prefix), (variables) => {
          let config: AuthConfig;
          try {
            config = parseAuthEnv(variables, { prefix });
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            const { issues } = error as ConfigError;
            expect(issues.length).toBeGreaterThan(0);
            for (const issue of issues) {
              expect(issue.variable.startsWith(prefix)).toBe(true);
              expect(issue.message.length).toBeGreaterThan(0);
            }
            return;
          }
          assertDeeplyFrozen(config);
          expect(config.prefix).toBe(prefix);
        }),
        { numRuns: 400 },
      );
    },
  );

  it('fully random maps behave the same', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (variables) => {
        try {
          assertDeeplyFrozen(parseAuthEnv(variables));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('every valid configuration is deeply frozen', () => {
    const validEnv = fc.record({
      PHOENIX_ENABLE_AUTH: fc.constantFrom('true', 'false'),
      PHOENIX_SECRET: fc.constant(VALID_SECRET),
      PHOENIX_USE_SECURE_COOKIES: fc.constantFrom('TRUE', 'false'),
      PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: fc.double({ min: 0.01, max: 1e6, noNaN: true }).map(String),
      PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: fc.integer({ min: 1, max: 1000 }).map(String),
      PHOENIX_ADMINS: fc.constantFrom('', 'a=a@example.com', 'a=a@example.com;b=b@example.com'),
      PHOENIX_CSRF_TRUSTED_ORIGINS: fc.constantFrom(
        '',
        'http://localhost',
        'https://a.example.com,https://b.example.com',
      ),
      PHOENIX_SMTP_HOSTNAME: fc.constantFrom('', 'smtp.example.com'),
      PHOENIX_SMTP_USERNAME: fc.constant('mailer'),
      PHOENIX_SMTP_PASSWORD: fc.constant('pw'),
      PHOENIX_OAUTH2_OKTA_CLIENT_ID: fc.constant('okta'),
      PHOENIX_OAUTH2_OKTA_CLIENT_SECRET: fc.constant('okta-secret'),
      PHOENIX_OAUTH2_OKTA_OIDC_CONFIG_URL: fc.constant('https://okta.example.com/.well-known/openid-configuration'),
      PHOENIX_OAUTH2_OKTA_ROLE_ATTRIBUTE_PATH: fc.constantFrom('role', 'roles[0]'),
      PHOENIX_OAUTH2_OKTA_ROLE_MAPPING: fc.constantFrom('', 'Owner:ADMIN', 'a:member,b:viewer'),
    });
    fc.assert(
      fc.property(validEnv, (variables: Env) => {
        const config = parseAuthEnv(variables);
        assertDeeplyFrozen(config);
        for (const idp of config.oauth2.idps) {
          expect(Object.isFrozen(idp.emailPath)).toBe(true);
          if (idp.roleMapping !== null) expect(Object.isFrozen(idp.roleMapping)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
