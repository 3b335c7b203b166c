import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/index.js';
import { collectAdmins } from './admins.js';
import { deepFreeze, redactSecrets } from './freeze.js';
import {
  type IdpDiscovery,
  type IdpDraft,
  ASSERTION_PATH_FROM_VARIABLE,
  IDP_SUFFIXES,
  buildIdp,
  discoverIdps,
  idpSchema,
  idpVariable,
  valid,
} from './oauth2-idps.js';
import {
  type Raw,
  type RawSchema,
  booleanVar,
  field,
  integerVar,
  optionalString,
  positiveMinutes,
} from './schemas.js';
import { parseLdapEnv } from './ldap.js';
import { previousKeysVar, requiredRolesVar } from './mfa.js';
import { secretProblems } from './secret-rules.js';
import { shown } from './text.js';
import type { AuthConfig, CookieNames, ParseAuthEnvOptions, SmtpConfig } from './types.js';
import { allowedHostsVar, allowedOriginsVar, bindHostVar, csrfTrustedOriginsVar, deriveRootUrl, rootPathVar, rootUrlVar } from './urls.js';

const DEFAULT_PREFIX = 'PHOENIX_';
const LOCKOUT_SECONDS = 300;

/** Variables read under the prefix, besides the per-IdP `OAUTH2_<IDP>_*` ones. */
export const VARIABLES = [
  'ENABLE_AUTH',
  'DISABLE_BASIC_AUTH',
  'DISABLE_RATE_LIMIT',
  'DISABLE_BRUTE_FORCE_LOGIN_PROTECTION',
  'BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS',
  'ENABLE_STRONG_PASSWORD_POLICY',
  'SECRET',
  'ADMIN_SECRET',
  'ACCESS_TOKEN_EXPIRY_MINUTES',
  'REFRESH_TOKEN_EXPIRY_MINUTES',
  'PASSWORD_RESET_TOKEN_EXPIRY_MINUTES',
  'USE_SECURE_COOKIES',
  'COOKIES_PATH',
  'COOKIE_NAME_PREFIX',
  'DEFAULT_ADMIN_INITIAL_PASSWORD',
  'ADMINS',
  'HOST',
  'PORT',
  'HOST_ROOT_PATH',
  'ROOT_URL',
  'CSRF_TRUSTED_ORIGINS',
  'ALLOWED_ORIGINS',
  'MANAGEMENT_URL',
  'SUPPORT_EMAIL',
  'SMTP_HOSTNAME',
  'SMTP_PORT',
  'SMTP_USERNAME',
  'SMTP_PASSWORD',
  'SMTP_MAIL_FROM',
  'SMTP_VALIDATE_CERTS',
] as const;
export type Variable = (typeof VARIABLES)[number];

/**
 * Gatehouse's own settings, outside the reference's contract: always read as `GATEHOUSE_<NAME>`,
 * whatever the prefix of the others.
 */
export const GATEHOUSE_PREFIX = 'GATEHOUSE_';
export const GATEHOUSE_VARIABLES = [
  'ALLOWED_HOSTS',
  'PASSWORD_HASH_CONCURRENCY',
  'PASSWORD_HASH_QUEUE',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEY_PREVIOUS',
  'MFA_REQUIRED_ROLES',
] as const;
export type GatehouseVariable = (typeof GATEHOUSE_VARIABLES)[number];

/** How long a login may wait between its password and its second factor. */
const MFA_CHALLENGE_TTL_SECONDS = 300;

/** A secret is described by its length only, never quoted. */
function secretVar(subject: string): RawSchema<string | null> {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return null;
      const problem = secretProblems(value, subject);
      if (problem === null) return value;
      const shape = value.length === 0 ? '' : ` (got ${value.length} characters)`;
      ctx.addIssue({ code: 'custom', message: `${problem}${shape}` });
      return z.NEVER;
    });
}

function adminsVar(variable: string): RawSchema<{ username: string; email: string }[]> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const { admins, problems } = collectAdmins(raw, variable);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return problems.length > 0 ? z.NEVER : admins;
    });
}

function cookiesPathVar(variable: string): RawSchema<string> {
  const got = (issue: { input?: unknown }) => `Got: '${shown(String(issue.input))}'`;
  return z
    .string()
    .optional()
    .transform((value) => value || '/')
    .pipe(
      z
        .string()
        .startsWith('/', { error: (issue) => `${variable} must start with '/' (it is the Path of every cookie). ${got(issue)}` })
        // eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused
        .regex(/^[^\s;\x00-\x1f\x7f]*$/, {
          error: (issue) =>
            `${variable} must not contain ';', whitespace or control characters (it is written into Set-Cookie). ${got(issue)}`,
        }),
    );
}

function cookieNamePrefixVar(variable: string): RawSchema<string> {
  return z
    .string()
    .optional()
    .transform((value) => value || 'phoenix')
    .pipe(
      z.string().regex(/^[A-Za-z0-9_-]+$/, {
        error: (issue) =>
          `${variable} must contain only letters, digits, '_' and '-' (it starts every cookie name). ` +
          `Got: '${shown(String(issue.input))}'`,
      }),
    );
}

function emailVar(variable: string): RawSchema<string | null> {
  return optionalString().pipe(
    z
      .email({ error: (issue) => `${variable} must be a valid email address. Got: '${shown(String(issue.input))}'` })
      .nullable(),
  );
}

function cookieNames(prefix: string): CookieNames {
  return {
    accessToken: `${prefix}-access-token`,
    refreshToken: `${prefix}-refresh-token`,
    oauth2State: `${prefix}-oauth2-state`,
    oauth2Nonce: `${prefix}-oauth2-nonce`,
    oauth2CodeVerifier: `${prefix}-oauth2-code-verifier`,
    mfaChallenge: `${prefix}-mfa-challenge`,
  };
}

/** Minutes to seconds, rounded to the millisecond so 0.1 minutes is 6 seconds, not 6.000000000000001. */
function minutesToSeconds(minutes: number): number {
  return Math.round(minutes * 60_000) / 1000;
}

function authEnvSchema(prefix: string, discovery: IdpDiscovery, ldapOn: boolean) {
  const name = (variable: Variable) => `${prefix}${variable}`;
  const idps = Object.fromEntries(discovery.idps.map((idp, index) => [String(index), idpSchema(prefix, idp.name)]));

  const shape = {
    ENABLE_AUTH: field(booleanVar(name('ENABLE_AUTH'), false)),
    DISABLE_BASIC_AUTH: field(booleanVar(name('DISABLE_BASIC_AUTH'), false)),
    DISABLE_RATE_LIMIT: field(booleanVar(name('DISABLE_RATE_LIMIT'), false)),
    DISABLE_BRUTE_FORCE_LOGIN_PROTECTION: field(booleanVar(name('DISABLE_BRUTE_FORCE_LOGIN_PROTECTION'), false)),
    BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: field(
      integerVar(name('BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS'), 5, 1, Number.MAX_SAFE_INTEGER),
    ),
    ENABLE_STRONG_PASSWORD_POLICY: field(booleanVar(name('ENABLE_STRONG_PASSWORD_POLICY'), false)),
    SECRET: field(secretVar('Phoenix secret')),
    ADMIN_SECRET: field(secretVar('Phoenix admin secret')),
    ACCESS_TOKEN_EXPIRY_MINUTES: field(positiveMinutes(name('ACCESS_TOKEN_EXPIRY_MINUTES'), 10)),
    REFRESH_TOKEN_EXPIRY_MINUTES: field(positiveMinutes(name('REFRESH_TOKEN_EXPIRY_MINUTES'), 60 * 24 * 7)),
    PASSWORD_RESET_TOKEN_EXPIRY_MINUTES: field(positiveMinutes(name('PASSWORD_RESET_TOKEN_EXPIRY_MINUTES'), 15)),
    USE_SECURE_COOKIES: field(booleanVar(name('USE_SECURE_COOKIES'), false)),
    COOKIES_PATH: field(cookiesPathVar(name('COOKIES_PATH'))),
    COOKIE_NAME_PREFIX: field(cookieNamePrefixVar(name('COOKIE_NAME_PREFIX'))),
    DEFAULT_ADMIN_INITIAL_PASSWORD: field(
      z
        .string()
        .optional()
        .transform((value) => value || 'admin'),
    ),
    ADMINS: field(adminsVar(name('ADMINS'))),
    HOST: field(bindHostVar(name('HOST'))),
    PORT: field(integerVar(name('PORT'), 6006, 0, 65_535)),
    HOST_ROOT_PATH: field(rootPathVar(name('HOST_ROOT_PATH'))),
    ROOT_URL: field(rootUrlVar(name('ROOT_URL'))),
    CSRF_TRUSTED_ORIGINS: field(csrfTrustedOriginsVar(name('CSRF_TRUSTED_ORIGINS'))),
    ALLOWED_ORIGINS: field(allowedOriginsVar()),
    MANAGEMENT_URL: field(optionalString()),
    SUPPORT_EMAIL: field(emailVar(name('SUPPORT_EMAIL'))),
    SMTP_HOSTNAME: field(optionalString()),
    SMTP_PORT: field(integerVar(name('SMTP_PORT'), 587, 1, 65_535)),
    SMTP_USERNAME: field(optionalString()),
    SMTP_PASSWORD: field(optionalString()),
    // The reference defaults to noreply@arize.com, a domain Gatehouse deployments cannot send for.
    SMTP_MAIL_FROM: field(
      z
        .string()
        .optional()
        .transform((value) => value || 'noreply@localhost'),
    ),
    SMTP_VALIDATE_CERTS: field(booleanVar(name('SMTP_VALIDATE_CERTS'), true)),
    OAUTH2: z.object(idps),
    GATEHOUSE: z.object({
      ALLOWED_HOSTS: field(allowedHostsVar(`${GATEHOUSE_PREFIX}ALLOWED_HOSTS`)),
      // 0 stands for "unset": one less than the cores, resolved where the hasher is made.
      PASSWORD_HASH_CONCURRENCY: field(integerVar(`${GATEHOUSE_PREFIX}PASSWORD_HASH_CONCURRENCY`, 0, 1, 256)),
      PASSWORD_HASH_QUEUE: field(integerVar(`${GATEHOUSE_PREFIX}PASSWORD_HASH_QUEUE`, 32, 0, 100_000)),
      ENCRYPTION_KEY: field(secretVar('Gatehouse encryption key')),
      ENCRYPTION_KEY_PREVIOUS: field(previousKeysVar(`${GATEHOUSE_PREFIX}ENCRYPTION_KEY_PREVIOUS`)),
      MFA_REQUIRED_ROLES: field(requiredRolesVar(`${GATEHOUSE_PREFIX}MFA_REQUIRED_ROLES`)),
    } satisfies Record<GatehouseVariable, z.ZodType<unknown, Raw>>),
  } satisfies Record<Variable, z.ZodType<unknown, Raw>> & { OAUTH2: z.ZodType; GATEHOUSE: z.ZodType };

  return z
    .object(shape)
    .superRefine((env, ctx) => {
      const problem = (variable: Variable, message: string) =>
        ctx.addIssue({ code: 'custom', path: [variable], message, continue: true });

      if (env.ENABLE_AUTH === true && env.SECRET === null) {
        problem('SECRET', `\`${name('SECRET')}\` must be set when auth is enabled with \`${name('ENABLE_AUTH')}\``);
      }
      // An invalid SECRET has its own issue; the admin secret is only compared with a usable one.
      if (env.ADMIN_SECRET !== null && env.SECRET === null) {
        problem('ADMIN_SECRET', `\`${name('ADMIN_SECRET')}\` must be not be set without setting \`${name('SECRET')}\`.`);
      } else if (typeof env.ADMIN_SECRET === 'string' && env.ADMIN_SECRET === env.SECRET) {
        problem('ADMIN_SECRET', `\`${name('ADMIN_SECRET')}\` must be different from \`${name('SECRET')}\``);
      }

      const gatehouseProblem = (variable: GatehouseVariable, message: string) =>
        ctx.addIssue({ code: 'custom', path: ['GATEHOUSE', variable], message, continue: true });
      const encryptionKey = env.GATEHOUSE.ENCRYPTION_KEY;
      // A key shared with the token secret would let whoever holds one read or forge the other.
      if (typeof encryptionKey === 'string' && (encryptionKey === env.SECRET || encryptionKey === env.ADMIN_SECRET)) {
        gatehouseProblem('ENCRYPTION_KEY', `\`${GATEHOUSE_PREFIX}ENCRYPTION_KEY\` must be different from \`${name('SECRET')}\` and \`${name('ADMIN_SECRET')}\``);
      }
      if (encryptionKey === null && Array.isArray(env.GATEHOUSE.ENCRYPTION_KEY_PREVIOUS) && env.GATEHOUSE.ENCRYPTION_KEY_PREVIOUS.length > 0) {
        gatehouseProblem('ENCRYPTION_KEY_PREVIOUS', `\`${GATEHOUSE_PREFIX}ENCRYPTION_KEY_PREVIOUS\` must not be set without \`${GATEHOUSE_PREFIX}ENCRYPTION_KEY\``);
      }
      if (encryptionKey === null && Array.isArray(env.GATEHOUSE.MFA_REQUIRED_ROLES) && env.GATEHOUSE.MFA_REQUIRED_ROLES.length > 0) {
        gatehouseProblem(
          'MFA_REQUIRED_ROLES',
          `\`${GATEHOUSE_PREFIX}MFA_REQUIRED_ROLES\` needs \`${GATEHOUSE_PREFIX}ENCRYPTION_KEY\`: second factors are stored encrypted under it`,
        );
      }

      if (env.ENABLE_AUTH === true && env.DISABLE_BASIC_AUTH === true && discovery.declared === 0 && !ldapOn) {
        problem(
          'DISABLE_BASIC_AUTH',
          `${name('DISABLE_BASIC_AUTH')} is set, but no alternative authentication methods are configured. ` +
            `Configure at least one OAuth2 identity provider (${prefix}OAUTH2_<IDP>_CLIENT_ID, ` +
            `${prefix}OAUTH2_<IDP>_CLIENT_SECRET and ${prefix}OAUTH2_<IDP>_OIDC_CONFIG_URL), or LDAP (${prefix}LDAP_HOST), or enable basic auth.`,
        );
      }

      if (typeof env.SMTP_HOSTNAME === 'string') {
        const required = `when ${name('SMTP_HOSTNAME')} is set`;
        if (env.SMTP_USERNAME === null) {
          problem('SMTP_USERNAME', `SMTP username is required: set ${name('SMTP_USERNAME')} ${required}`);
        }
        if (env.SMTP_PASSWORD === null) {
          problem('SMTP_PASSWORD', `SMTP password is required: set ${name('SMTP_PASSWORD')} ${required}`);
        }
      }

      const autoLogin = discovery.idps
        .map((idp, index) => ({ idp, index, draft: env.OAUTH2[String(index)] }))
        .filter(({ draft }) => draft?.AUTO_LOGIN === true);
      // Users are bound to (client id, sub): two different IdPs under one client id would share one
      // namespace of subjects, so a `sub` at one could sign in as the same `sub` at the other.
      const byClientId = new Map<string, { name: string; url: string }>();
      discovery.idps.forEach((idp, index) => {
        const draft = env.OAUTH2[String(index)];
        const clientId = draft?.CLIENT_ID;
        const url = draft?.OIDC_CONFIG_URL;
        if (typeof clientId !== 'string' || typeof url !== 'string') return;
        const seen = byClientId.get(clientId);
        if (seen === undefined) byClientId.set(clientId, { name: idp.name, url });
        else if (seen.url !== url) {
          ctx.addIssue({
            code: 'custom',
            path: ['OAUTH2', String(index), 'CLIENT_ID'],
            message: `the ${idp.name} OAuth2 IDP uses the same client ID as the ${seen.name} IDP but another OIDC_CONFIG_URL: users are matched by client ID and subject, so each identity provider needs its own client ID`,
            continue: true,
          });
        }
      });
      const [first, ...others] = autoLogin;
      for (const { index } of others) {
        ctx.addIssue({
          code: 'custom',
          path: ['OAUTH2', String(index), 'AUTO_LOGIN'],
          message: `only one auto-login client is allowed: AUTO_LOGIN is already enabled for the ${first?.idp.name ?? ''} OAuth2 IDP`,
          continue: true,
        });
      }
    })
    .transform((env): AuthConfig => {
      const namePrefix = valid(env.COOKIE_NAME_PREFIX);
      const hostname = valid(env.SMTP_HOSTNAME);
      const idps = discovery.idps.map((idp, index) => {
        const draft: IdpDraft | undefined = env.OAUTH2[String(index)];
        if (draft === undefined) throw new Error(`unreachable: no draft for the ${idp.name} IdP`);
        return redactSecrets(buildIdp(idp.name, draft), ['clientSecret']);
      });
      const smtp: SmtpConfig | null =
        hostname === null
          ? null
          : redactSecrets(
              {
                hostname,
                port: valid(env.SMTP_PORT),
                username: valid(env.SMTP_USERNAME) ?? '',
                password: valid(env.SMTP_PASSWORD) ?? '',
                mailFrom: valid(env.SMTP_MAIL_FROM),
                validateCerts: valid(env.SMTP_VALIDATE_CERTS),
              },
              ['password'],
            );
      const config: AuthConfig = {
        prefix,
        enabled: valid(env.ENABLE_AUTH),
        secret: valid(env.SECRET),
        adminSecret: valid(env.ADMIN_SECRET),
        basicAuthEnabled: !valid(env.DISABLE_BASIC_AUTH),
        rateLimitEnabled: !valid(env.DISABLE_RATE_LIMIT),
        bruteForce: {
          enabled: !valid(env.DISABLE_BRUTE_FORCE_LOGIN_PROTECTION),
          maxAttempts: valid(env.BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS),
          lockoutSeconds: LOCKOUT_SECONDS,
        },
        passwordPolicy: valid(env.ENABLE_STRONG_PASSWORD_POLICY) ? 'strong' : 'default',
        tokens: {
          accessTtlSeconds: minutesToSeconds(valid(env.ACCESS_TOKEN_EXPIRY_MINUTES)),
          refreshTtlSeconds: minutesToSeconds(valid(env.REFRESH_TOKEN_EXPIRY_MINUTES)),
          passwordResetTtlSeconds: minutesToSeconds(valid(env.PASSWORD_RESET_TOKEN_EXPIRY_MINUTES)),
        },
        cookies: {
          secure: valid(env.USE_SECURE_COOKIES),
          path: valid(env.COOKIES_PATH),
          namePrefix,
          names: cookieNames(namePrefix),
        },
        defaultAdminInitialPassword: valid(env.DEFAULT_ADMIN_INITIAL_PASSWORD),
        admins: valid(env.ADMINS),
        rootPath: valid(env.HOST_ROOT_PATH),
        rootUrl: valid(env.ROOT_URL),
        publicUrl: publicUrlOf(valid(env.ROOT_URL), valid(env.HOST), valid(env.PORT), valid(env.HOST_ROOT_PATH)),
        server: { host: valid(env.HOST), port: valid(env.PORT) },
        allowedHosts: valid(env.GATEHOUSE.ALLOWED_HOSTS),
        csrfTrustedOrigins: valid(env.CSRF_TRUSTED_ORIGINS),
        allowedOrigins: valid(env.ALLOWED_ORIGINS),
        managementUrl: valid(env.MANAGEMENT_URL),
        supportEmail: valid(env.SUPPORT_EMAIL),
        smtp,
        oauth2: { idps, autoLoginIdp: idps.find((idp) => idp.autoLogin)?.name ?? null },
        passwordHashing: {
          concurrency: valid(env.GATEHOUSE.PASSWORD_HASH_CONCURRENCY) || null,
          maxQueue: valid(env.GATEHOUSE.PASSWORD_HASH_QUEUE),
        },
        ldap: null,
        mfa: redactSecrets(
          {
            encryptionKey: valid(env.GATEHOUSE.ENCRYPTION_KEY),
            previousEncryptionKeys: valid(env.GATEHOUSE.ENCRYPTION_KEY_PREVIOUS),
            requiredRoles: valid(env.GATEHOUSE.MFA_REQUIRED_ROLES),
            challengeTtlSeconds: MFA_CHALLENGE_TTL_SECONDS,
          },
          ['encryptionKey', 'previousEncryptionKeys'],
        ),
      };
      return redactSecrets(config, ['secret', 'adminSecret', 'defaultAdminInitialPassword']);
    });
}

/**
 * The one base of every public URL Gatehouse writes (reset and welcome links, OAuth2 callbacks, the
 * state origin): `PHOENIX_ROOT_URL` without trailing slashes, else the URL derived from
 * `PHOENIX_HOST`/`PHOENIX_PORT` and the root path. Never the request's `Host`.
 */
function publicUrlOf(rootUrl: string | null, host: string, port: number, rootPath: string): string {
  return rootUrl !== null ? rootUrl.replace(/\/+$/, '') : deriveRootUrl({ host, port, rootPath, tls: false });
}

/** A value as read: own properties only, whitespace-trimmed, undefined when unset. */
function read(env: Readonly<Record<string, string | undefined>>, variable: string): Raw {
  if (!Object.hasOwn(env, variable)) return undefined;
  const value = env[variable];
  return typeof value === 'string' ? value.trim() : undefined;
}

function rawInput(env: Readonly<Record<string, string | undefined>>, prefix: string, discovery: IdpDiscovery) {
  return {
    ...Object.fromEntries(VARIABLES.map((variable) => [variable, read(env, `${prefix}${variable}`)])),
    OAUTH2: Object.fromEntries(
      discovery.idps.map((idp, index) => [
        String(index),
        withAssertionPath(env, Object.fromEntries(IDP_SUFFIXES.map((suffix) => [suffix, read(env, idpVariable(prefix, idp.name, suffix))]))),
      ]),
    ),
    GATEHOUSE: Object.fromEntries(GATEHOUSE_VARIABLES.map((variable) => [variable, read(env, `${GATEHOUSE_PREFIX}${variable}`)])),
  };
}

/** `CLIENT_ASSERTION_FILE_ENV_VAR` names another variable: its value travels with the IdP's settings. */
function withAssertionPath(env: Readonly<Record<string, string | undefined>>, raw: Record<string, Raw>): Record<string, Raw> {
  const named = raw.CLIENT_ASSERTION_FILE_ENV_VAR;
  return { ...raw, [ASSERTION_PATH_FROM_VARIABLE]: named ? read(env, named) || undefined : undefined };
}

function issueVariable(path: readonly PropertyKey[], prefix: string, discovery: IdpDiscovery): string {
  const [head, index, suffix] = path;
  if (head === 'OAUTH2' && suffix !== undefined) {
    const idp = discovery.idps[Number(index)];
    if (idp !== undefined) return idpVariable(prefix, idp.name, String(suffix));
  }
  if (head === 'GATEHOUSE' && index !== undefined) return `${GATEHOUSE_PREFIX}${String(index)}`;
  return `${prefix}${String(head ?? '')}`;
}

/**
 * Reads every authentication variable from `env` (usually `process.env`) into one frozen,
 * typed `AuthConfig`, or throws ONE `ConfigError` listing every problem found. Messages say
 * what is wrong and what is expected, and never contain a secret's value.
 *
 * A bad value is an error even when auth is disabled; only `SECRET` is then optional.
 */
export function parseAuthEnv(
  env: Readonly<Record<string, string | undefined>>,
  options: ParseAuthEnvOptions = {},
): AuthConfig {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const discovery = discoverIdps(env, prefix);
  // LDAP has its own parser (config/ldap.ts); it is validated whether or not auth is on.
  const ldapResult = parseLdapEnv(
    (suffix) => read(env, `${prefix}LDAP_${suffix}`),
    prefix,
    collectAdmins(read(env, `${prefix}ADMINS`), `${prefix}ADMINS`).admins.length > 0,
  );
  const ldapOn = (read(env, `${prefix}LDAP_HOST`) ?? '') !== '';
  const result = authEnvSchema(prefix, discovery, ldapOn).safeParse(rawInput(env, prefix, discovery));
  const issues: ConfigIssue[] = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => ({
          variable: issueVariable(issue.path, prefix, discovery),
          message: issue.message,
        }))),
    ...discovery.issues,
    ...ldapResult.issues,
  ];
  if (!result.success || issues.length > 0) throw new ConfigError(issues);
  // Set on the object itself: a copy would lose the root's redacting toJSON.
  (result.data as { ldap: AuthConfig['ldap'] }).ldap = ldapResult.ldap === null ? null : redactSecrets(ldapResult.ldap, ['bindPassword']);
  return deepFreeze(result.data);
}
