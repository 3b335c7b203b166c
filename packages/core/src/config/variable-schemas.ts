import { z } from 'zod';
import { collectAdmins } from './admins.js';
import { type IdpDiscovery, idpSchema } from './oauth2-idps.js';
import { type Raw, type RawSchema, booleanVar, field, integerVar, optionalString, positiveMinutes } from './schemas.js';
import { previousKeysVar, requiredRolesVar } from './mfa.js';
import { secretProblems } from './secret-rules.js';
import { shown } from './text.js';
import {
  allowedHostsVar,
  allowedOriginsVar,
  bindHostVar,
  csrfTrustedOriginsVar,
  rootPathVar,
  rootUrlVar,
} from './urls.js';
import { GATEHOUSE_PREFIX, type GatehouseVariable, type Variable } from './variables.js';

/**
 * @module
 * One schema per variable: what each accepts, its default, and the message when it is wrong.
 * Rules that look at several variables at once live in `cross-field-rules.ts`.
 */

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

/**
 * Comma-separated secrets, each held to the rules of the signing secret. A problem names the entry
 * by its position (1-based) and describes its shape, never its value. Whitespace around the commas
 * is dropped: a secret cannot contain any.
 */
function secretListVar(variable: string): RawSchema<string[]> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return [];
      const entries = raw.split(',').map((entry) => entry.trim());
      let failed = false;
      entries.forEach((entry, index) => {
        const problem = secretProblems(entry, `${variable} entry ${index + 1}`);
        if (problem === null) return;
        failed = true;
        const shape = entry.length === 0 ? '' : ` (got ${entry.length} characters)`;
        ctx.addIssue({ code: 'custom', message: `${problem}${shape}` });
      });
      entries.forEach((entry, index) => {
        const first = entries.indexOf(entry);
        if (first === index || entry === '') return;
        failed = true;
        ctx.addIssue({
          code: 'custom',
          message: `${variable} entry ${index + 1} repeats entry ${first + 1}: list each previous secret once`,
        });
      });
      return failed ? z.NEVER : entries;
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
        .startsWith('/', {
          error: (issue) => `${variable} must start with '/' (it is the Path of every cookie). ${got(issue)}`,
        })
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

/** The object schema of every variable, one field each; every field reports its own problems. */
export function authEnvShape(prefix: string, discovery: IdpDiscovery) {
  const name = (variable: Variable) => `${prefix}${variable}`;
  const idps = Object.fromEntries(discovery.idps.map((idp, index) => [String(index), idpSchema(prefix, idp.name)]));

  return {
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
    // Phoenix defaults to noreply@arize.com, a domain Gatehouse deployments cannot send for.
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
      // 0 stands for "unset": a default from the cores, resolved where the hasher is made.
      PASSWORD_HASH_CONCURRENCY: field(integerVar(`${GATEHOUSE_PREFIX}PASSWORD_HASH_CONCURRENCY`, 0, 1, 256)),
      PASSWORD_HASH_QUEUE: field(integerVar(`${GATEHOUSE_PREFIX}PASSWORD_HASH_QUEUE`, 32, 0, 100_000)),
      PASSWORD_HASH_BUSY_PERCENT: field(integerVar(`${GATEHOUSE_PREFIX}PASSWORD_HASH_BUSY_PERCENT`, 33, 1, 100)),
      AUDIT_RETENTION_DAYS: field(integerVar(`${GATEHOUSE_PREFIX}AUDIT_RETENTION_DAYS`, 90, 1, 36_500)),
      // Whole minutes, default 30 days; 0 would end every session at its login.
      SESSION_MAX_LIFETIME_MINUTES: field(
        integerVar(`${GATEHOUSE_PREFIX}SESSION_MAX_LIFETIME_MINUTES`, 43_200, 1, 1_000_000_000),
      ),
      PREVIOUS_SECRETS: field(secretListVar(`${GATEHOUSE_PREFIX}PREVIOUS_SECRETS`)),
      ENCRYPTION_KEY: field(secretVar('Gatehouse encryption key')),
      ENCRYPTION_KEY_PREVIOUS: field(previousKeysVar(`${GATEHOUSE_PREFIX}ENCRYPTION_KEY_PREVIOUS`)),
      MFA_REQUIRED_ROLES: field(requiredRolesVar(`${GATEHOUSE_PREFIX}MFA_REQUIRED_ROLES`)),
    } satisfies Record<GatehouseVariable, z.ZodType<unknown, Raw>>),
  } satisfies Record<Variable, z.ZodType<unknown, Raw>> & { OAUTH2: z.ZodType; GATEHOUSE: z.ZodType };
}

/** The variables as parsed, before the cross-field rules and the build into an `AuthConfig`. */
export type ParsedEnv = z.output<z.ZodObject<ReturnType<typeof authEnvShape>>>;
