import { redactSecrets } from './freeze.js';
import { type IdpDiscovery, type IdpDraft, buildIdp, valid } from './oauth2-idps.js';
import type { AuthConfig, CookieNames, SmtpConfig } from './types.js';
import { deriveRootUrl } from './urls.js';
import type { ParsedEnv } from './variable-schemas.js';

/** How long a login may wait between its password and its second factor. */
const MFA_CHALLENGE_TTL_SECONDS = 300;

/**
 * @module
 * Turns variables that passed every check into the typed `AuthConfig`: units converted, derived
 * values (cookie names, the public URL) computed once, secrets redacted from `JSON.stringify`.
 */

const LOCKOUT_SECONDS = 300;

function cookieNames(prefix: string): CookieNames {
  return {
    accessToken: `${prefix}-access-token`,
    refreshToken: `${prefix}-refresh-token`,
    oauth2State: `${prefix}-oauth2-state`,
    oauth2Nonce: `${prefix}-oauth2-nonce`,
    oauth2CodeVerifier: `${prefix}-oauth2-code-verifier`,
    oauth2LogoutState: `${prefix}-oauth2-logout-state`,
    mfaChallenge: `${prefix}-mfa-challenge`,
    webauthnChallenge: `${prefix}-webauthn-challenge`,
  };
}

/** Minutes to seconds, rounded to the millisecond so 0.1 minutes is 6 seconds, not 6.000000000000001. */
function minutesToSeconds(minutes: number): number {
  return Math.round(minutes * 60_000) / 1000;
}

/** Builds the `AuthConfig` (without `ldap`, which has its own parser) from variables known to be valid. */
export function buildAuthConfig(env: ParsedEnv, prefix: string, discovery: IdpDiscovery): AuthConfig {
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
    previousSecrets: valid(env.GATEHOUSE.PREVIOUS_SECRETS),
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
      sessionMaxLifetimeSeconds: valid(env.GATEHOUSE.SESSION_MAX_LIFETIME_MINUTES) * 60,
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
      busyPercent: valid(env.GATEHOUSE.PASSWORD_HASH_BUSY_PERCENT),
    },
    ldap: null,
    auditRetentionDays: valid(env.GATEHOUSE.AUDIT_RETENTION_DAYS),
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
  return redactSecrets(config, ['secret', 'previousSecrets', 'adminSecret', 'defaultAdminInitialPassword']);
}

/**
 * The one base of every public URL Gatehouse writes (reset and welcome links, OAuth2 callbacks, the
 * state origin): `PHOENIX_ROOT_URL` without trailing slashes, else the URL derived from
 * `PHOENIX_HOST`/`PHOENIX_PORT` and the root path. Never the request's `Host`.
 */
function publicUrlOf(rootUrl: string | null, host: string, port: number, rootPath: string): string {
  return rootUrl !== null ? rootUrl.replace(/\/+$/, '') : deriveRootUrl({ host, port, rootPath, tls: false });
}
