/**
 * @module
 * The names Gatehouse reads from the environment: the Phoenix contract's variables (read under the
 * prefix, `PHOENIX_` by default) and Gatehouse's own (always `GATEHOUSE_`). The generated reference
 * and the parser both start from these lists, so a variable cannot be documented but not read.
 */

export const DEFAULT_PREFIX = 'PHOENIX_';

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
 * Gatehouse's own settings, outside the Phoenix contract: always read as `GATEHOUSE_<NAME>`,
 * whatever the prefix of the others.
 */
export const GATEHOUSE_PREFIX = 'GATEHOUSE_';
export const GATEHOUSE_VARIABLES = [
  'ALLOWED_HOSTS',
  'PASSWORD_HASH_CONCURRENCY',
  'PASSWORD_HASH_QUEUE',
  'PASSWORD_HASH_BUSY_PERCENT',
  'SESSION_MAX_LIFETIME_MINUTES',
  'PREVIOUS_SECRETS',
  'AUDIT_RETENTION_DAYS',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEY_PREVIOUS',
  'MFA_REQUIRED_ROLES',
] as const;
export type GatehouseVariable = (typeof GATEHOUSE_VARIABLES)[number];
