import { LDAP_SUFFIXES, type LdapSuffix } from './ldap.js';
import { GATEHOUSE_IDP_SUFFIXES, IDP_SUFFIXES, type GatehouseIdpSuffix, type IdpSuffix } from './oauth2-idps.js';
import {
  GATEHOUSE_PREFIX,
  GATEHOUSE_VARIABLES,
  VARIABLES,
  type GatehouseVariable,
  type Variable,
} from './variables.js';

/** One documented variable: the default is as written in the environment, null when unset means "none". */
export interface ConfigReferenceEntry {
  readonly variable: string;
  readonly default: string | null;
  readonly description: string;
  /** Never shown in errors and redacted in `JSON.stringify(config)`. */
  readonly secret: boolean;
}

interface Documented {
  readonly default: string | null;
  readonly description: string;
  readonly secret?: true;
}

const REFERENCE_PREFIX = 'PHOENIX_';

// Keyed by the parser's own name lists: a variable added there without an entry here fails to compile.
const GLOBAL: Record<Variable, Documented> = {
  ENABLE_AUTH: { default: 'false', description: 'Turns authentication on; then `PHOENIX_SECRET` is required.' },
  DISABLE_BASIC_AUTH: {
    default: 'false',
    description: 'Turns password login off; needs at least one OAuth2 IdP when auth is on.',
  },
  DISABLE_RATE_LIMIT: { default: 'false', description: 'Removes the per-IP limiters (not the account lockout).' },
  DISABLE_BRUTE_FORCE_LOGIN_PROTECTION: { default: 'false', description: 'Removes the per-account lockout.' },
  BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS: {
    default: '5',
    description: 'Failed logins before the account is locked; integer ≥ 1; the lockout lasts 300 s.',
  },
  ENABLE_STRONG_PASSWORD_POLICY: {
    default: 'false',
    description:
      'Passwords need ≥ 12 characters with upper, lower, digit and one of `!@#$%^&*()_+` (default policy: ≥ 4 characters).',
  },
  SECRET: {
    default: null,
    description:
      'HMAC key of every token; required when auth is on; no whitespace, ASCII only, ≥ 32 characters with a digit and a lowercase letter.',
    secret: true,
  },
  ADMIN_SECRET: {
    default: null,
    description:
      'Optional bearer credential acting as the system user with admin rights; only with `PHOENIX_SECRET`, same rules, must differ from it.',
    secret: true,
  },
  ACCESS_TOKEN_EXPIRY_MINUTES: {
    default: '10',
    description: 'Access token lifetime; minutes, fractions allowed, from 1 ms (0.0000084) to 1,000,000,000.',
  },
  REFRESH_TOKEN_EXPIRY_MINUTES: {
    default: '10080',
    description: 'Refresh token lifetime (7 days); minutes, from 1 ms to 1,000,000,000.',
  },
  PASSWORD_RESET_TOKEN_EXPIRY_MINUTES: {
    default: '15',
    description: 'Password reset token lifetime; minutes, from 1 ms to 1,000,000,000.',
  },
  USE_SECURE_COOKIES: { default: 'false', description: 'Adds `Secure` to every cookie.' },
  COOKIES_PATH: {
    default: '/',
    description: 'Path of every cookie; must start with `/`; no `;`, whitespace or control characters.',
  },
  COOKIE_NAME_PREFIX: {
    default: 'phoenix',
    description:
      'Gatehouse addition: cookie names are `<prefix>-access-token`, `-refresh-token`, `-oauth2-state`, `-oauth2-nonce`, `-oauth2-code-verifier`, `-oauth2-logout-state`, `-mfa-challenge`; letters, digits, `_` and `-`.',
  },
  DEFAULT_ADMIN_INITIAL_PASSWORD: {
    default: 'admin',
    description: 'Password of the default admin, only used when it is first created.',
    secret: true,
  },
  ADMINS: {
    default: null,
    description:
      '`username=email;username=email`; the last `=` splits; no duplicate usernames or e-mails, e-mails must be valid.',
  },
  HOST: {
    default: '0.0.0.0',
    description:
      'The address the server binds; with `PHOENIX_PORT` it gives the public URL when `PHOENIX_ROOT_URL` is unset (`0.0.0.0` shown as `127.0.0.1`).',
  },
  PORT: {
    default: '6006',
    description:
      'The port the server listens on; 0–65535 (0: the OS picks, so the derived URL needs the real port or `PHOENIX_ROOT_URL`); only used to derive the public URL.',
  },
  HOST_ROOT_PATH: {
    default: null,
    description: 'Sub-path the app is mounted under: starts with `/`, does not end with `/`.',
  },
  ROOT_URL: {
    default: null,
    description:
      'Public URL (scheme and host required), kept verbatim; base of reset links and OAuth callbacks when set.',
  },
  CSRF_TRUSTED_ORIGINS: {
    default: null,
    description: 'Comma list of URLs, each with a hostname; stored as sorted unique hostnames.',
  },
  ALLOWED_ORIGINS: { default: null, description: 'CORS allow-list (comma list).' },
  MANAGEMENT_URL: { default: null, description: 'Shown to `PHOENIX_ADMINS` users as a management link.' },
  SUPPORT_EMAIL: { default: null, description: 'Support contact; a valid e-mail address.' },
  SMTP_HOSTNAME: {
    default: null,
    description: 'SMTP server for reset mail; unset: no mail, password reset answers 503.',
  },
  SMTP_PORT: { default: '587', description: 'SMTP port; integer 1–65535.' },
  SMTP_USERNAME: { default: null, description: 'SMTP username; required when `PHOENIX_SMTP_HOSTNAME` is set.' },
  SMTP_PASSWORD: {
    default: null,
    description: 'SMTP password; required when `PHOENIX_SMTP_HOSTNAME` is set.',
    secret: true,
  },
  SMTP_MAIL_FROM: { default: 'noreply@localhost', description: '`From:` address of the reset mail.' },
  SMTP_VALIDATE_CERTS: { default: 'true', description: '`false` skips TLS certificate checks.' },
};

const PER_IDP: Record<IdpSuffix, Documented> = {
  DISPLAY_NAME: {
    default: null,
    description:
      'Login button label; unset: from the name (`aws_cognito` → "AWS Cognito", `microsoft_entra_id` → "Microsoft Entra ID", else title case).',
  },
  CLIENT_ID: {
    default: null,
    description: 'Required; two IdPs may share one client ID only with the same `OIDC_CONFIG_URL`.',
  },
  CLIENT_SECRET: {
    default: null,
    description: 'Required unless `TOKEN_ENDPOINT_AUTH_METHOD=none` (PKCE does not make it optional).',
    secret: true,
  },
  OIDC_CONFIG_URL: {
    default: null,
    description: 'Required; `https`, except `http` on exactly `localhost`, `127.0.0.1` or `::1`.',
  },
  ALLOW_SIGN_UP: {
    default: 'true',
    description: 'An unknown identity becomes a new OAUTH2 user; `false`: only existing accounts may sign in.',
  },
  AUTO_LOGIN: {
    default: 'false',
    description: '`GET /login` redirects to this IdP when password login is off; at most one IdP.',
  },
  USE_PKCE: { default: 'false', description: 'Sends a PKCE S256 challenge.' },
  TOKEN_ENDPOINT_AUTH_METHOD: {
    default: 'client_secret_basic',
    description:
      '`client_secret_basic`, `client_secret_post`, `none` or `client_assertion_jwt` (any case; the last needs `CLIENT_ASSERTION_FILE` or `CLIENT_ASSERTION_FILE_ENV_VAR`, and no secret).',
  },
  SCOPES: { default: null, description: 'Extra scopes after the fixed `openid email profile`, de-duplicated.' },
  EMAIL_ATTRIBUTE_PATH: { default: 'email', description: 'JMESPath to the e-mail claim, compiled at start-up.' },
  GROUPS_ATTRIBUTE_PATH: {
    default: null,
    description: 'JMESPath to the groups claim; set together with `ALLOWED_GROUPS` or not at all.',
  },
  ALLOWED_GROUPS: {
    default: null,
    description: 'Comma list of groups allowed to log in; set together with `GROUPS_ATTRIBUTE_PATH` or not at all.',
  },
  ROLE_ATTRIBUTE_PATH: {
    default: null,
    description: "JMESPath to the role (e.g. `contains(groups[*], 'admin') && 'ADMIN' || 'VIEWER'`).",
  },
  ROLE_MAPPING: {
    default: null,
    description: '`IdpRole:ADMIN,Other:MEMBER`; SYSTEM rejected; needs `ROLE_ATTRIBUTE_PATH`.',
  },
  ROLE_ATTRIBUTE_STRICT: { default: 'false', description: '`true` needs `ROLE_ATTRIBUTE_PATH`.' },
  ROLE_RESYNC: { default: 'true', description: '`false` needs `ROLE_ATTRIBUTE_PATH`.' },
  REQUIRED_ACR: {
    default: null,
    description:
      "Gatehouse addition. Comma list: the ID token's `acr` must be one of them (sent as `acr_values`), else the login fails with `auth_failed`. SSO users are otherwise exempt from second factors.",
  },
  REQUIRED_AMR: {
    default: null,
    description:
      "Gatehouse addition. Comma list (e.g. `mfa,otp,hwk`): the ID token's `amr` must contain at least one of them, else the login fails with `auth_failed`.",
  },
  CLIENT_ASSERTION_FILE: {
    default: null,
    description:
      'With `client_assertion_jwt`: absolute path of the file holding the client assertion JWT (workload identity), re-read at every code exchange; a regular file of at most 64 KiB, UTF-8, non-empty.',
  },
  CLIENT_ASSERTION_FILE_ENV_VAR: {
    default: null,
    description:
      'Instead of `CLIENT_ASSERTION_FILE`: the name of the variable holding that absolute path (e.g. `AZURE_FEDERATED_TOKEN_FILE`); the path is then never shown in messages.',
  },
};

const LDAP: Record<LdapSuffix, Documented> = {
  HOST: {
    default: null,
    description:
      'Turns LDAP sign-in on (`POST /auth/ldap/login`); comma list of bare host names or IPs, tried in random order; unset: every other `LDAP_*` variable is ignored. Validated even with auth off.',
  },
  PORT: { default: '389', description: 'Integer 1–65535; 636 when `TLS_MODE=ldaps`.' },
  TLS_MODE: {
    default: 'starttls',
    description: '`starttls`, `ldaps` or `none` (any case); StartTLS completes before any bind.',
  },
  TLS_VERIFY: {
    default: 'true',
    description: '`false` skips certificate and host-name checks (man-in-the-middle risk).',
  },
  TLS_CA_CERT_FILE: {
    default: null,
    description: 'PEM file used as the trust store instead of the system roots; must be an existing file.',
  },
  TLS_CLIENT_CERT_FILE: {
    default: null,
    description: 'PEM client certificate; needs `TLS_CLIENT_KEY_FILE`; must exist.',
  },
  TLS_CLIENT_KEY_FILE: {
    default: null,
    description: 'PEM key of the client certificate (unencrypted); needs `TLS_CLIENT_CERT_FILE`; must exist.',
  },
  BIND_DN: {
    default: null,
    description:
      'Service account that searches for users (strict DN syntax); needs `BIND_PASSWORD`; unset: anonymous search.',
  },
  BIND_PASSWORD: { default: null, description: 'Password of `BIND_DN`; needs `BIND_DN`.', secret: true },
  USER_SEARCH_BASE_DNS: {
    default: null,
    description:
      'Required: JSON array of base DNs searched in order (subtree), e.g. `["ou=people,dc=example,dc=com"]`; `""` is the root DSE.',
  },
  USER_SEARCH_FILTER: {
    default: '(&(objectClass=user)(sAMAccountName=%s))',
    description: 'Must contain `%s`, replaced by the login name with `\\ * ( )` and NUL escaped (RFC 4515).',
  },
  ATTR_EMAIL: {
    default: 'mail',
    description: '`""` or `null`: no-email mode (needs `ATTR_UNIQUE_ID`, sign-up on, no `PHOENIX_ADMINS`).',
  },
  ATTR_DISPLAY_NAME: {
    default: 'displayName',
    description: 'Username of a new LDAP user (else the login name); `""`: none.',
  },
  ATTR_MEMBER_OF: {
    default: 'memberOf',
    description: 'Group DNs read from the user entry (without a group-search filter); `""`: none.',
  },
  ATTR_UNIQUE_ID: {
    default: null,
    description:
      'Stable id (`entryUUID`, `objectGUID`, `nsUniqueId`): users keep their account when their e-mail changes.',
  },
  GROUP_SEARCH_FILTER: {
    default: null,
    description: 'Search groups instead of reading memberOf; must contain `%s`; needs `GROUP_SEARCH_BASE_DNS`.',
  },
  GROUP_SEARCH_BASE_DNS: { default: null, description: 'JSON array of base DNs for the group search.' },
  GROUP_SEARCH_FILTER_USER_ATTR: {
    default: null,
    description:
      'User attribute put into the group filter (e.g. `uid` for `memberUid=%s`); default: the login name; needs `GROUP_SEARCH_FILTER`.',
  },
  GROUP_ROLE_MAPPINGS: {
    default: null,
    description:
      'Required: JSON array `[{"group_dn": "...", "role": "ADMIN"}]`, first match wins, `*` matches everyone, no match denies; DNs compared case- and spacing-insensitively.',
  },
  ALLOW_SIGN_UP: {
    default: 'true',
    description: '`false`: only users that already exist (admin-created LDAP users, matched by e-mail) may sign in.',
  },
};

const GATEHOUSE: Record<GatehouseVariable, Documented> = {
  ALLOWED_HOSTS: {
    default: null,
    description:
      "DNS names requests may carry in `Host` besides the public URL's host and `localhost` (a leading `.` allows subdomains); `*` turns the check off. Other names get 421 (DNS-rebinding defence); IP literals are always allowed.",
  },
  PASSWORD_HASH_CONCURRENCY: {
    default: null,
    description:
      "Password hashes (argon2id) in flight at once, integer 1–256; unset: one per core when the default hasher's worker threads can enter Linux's idle scheduling class (`chrt` installed), else one less than the cores, at least 1; with your own hasher or `threads: 'pool'` also at most one less than `UV_THREADPOOL_SIZE` (default 4), where a value ≥ the pool size is warned about at start-up.",
  },
  PASSWORD_HASH_QUEUE: {
    default: '32',
    description:
      'Logins that may wait for a hashing slot (FIFO), integer 0–100000; past it a login gets 503 `overloaded` with `Retry-After`.',
  },
  PASSWORD_HASH_BUSY_PERCENT: {
    default: '33',
    description:
      "Percent of each hashing slot's time argon2 may take while the event loop is busy (working over three quarters of the time, averaged over the last few hashes), integer 1–100: after such a hash the slot pauses before the next waiting login starts (twice as long as the hash took at 33), so a login storm leaves the CPU to the requests being served. A login is never delayed when a slot is free; with the loop not busy nothing pauses. 100: never pause.",
  },
  AUDIT_RETENTION_DAYS: {
    default: '90',
    description: 'Days audit events are kept, integer 1–36500; the periodic sweep deletes older ones (docs/audit.md).',
  },
  SESSION_MAX_LIFETIME_MINUTES: {
    default: '43200',
    description:
      'Absolute session lifetime in whole minutes (default 30 days), counted from the login: past it a refresh is refused (401 `session_expired`) however active the session is, and no token outlives it. The idle lifetime stays `PHOENIX_REFRESH_TOKEN_EXPIRY_MINUTES`. See docs/sessions.md.',
  },
  PREVIOUS_SECRETS: {
    default: null,
    secret: true,
    description:
      'Comma-separated former secrets, each following the `PHOENIX_SECRET` rules and none equal to it: tokens and API keys they signed stay valid, everything new is signed with `PHOENIX_SECRET`. The rotation procedure is in docs/secret-rotation.md; `gatehouse list-api-keys --old-secrets` lists the keys that retiring one would break.',
  },
  ENCRYPTION_KEY: {
    default: null,
    description:
      'Key that encrypts TOTP secrets at rest (AES-256-GCM under an HKDF-derived key) and keys the recovery-code hashes; same rules as `PHOENIX_SECRET`, must differ from it. Unset: second factors are unavailable. See docs/mfa.md for rotation.',
    secret: true,
  },
  ENCRYPTION_KEY_PREVIOUS: {
    default: null,
    description:
      'Former encryption keys, comma-separated, newest first: they only decrypt, and a secret read with one is re-encrypted under the current key. Only with `GATEHOUSE_ENCRYPTION_KEY`.',
    secret: true,
  },
  MFA_REQUIRED_ROLES: {
    default: null,
    description:
      'Comma-separated roles (`ADMIN`, `MEMBER`, `VIEWER`) whose password logins need a second factor; such a user without one enrols before getting a session. Needs `GATEHOUSE_ENCRYPTION_KEY`. SSO and LDAP logins, API keys and the admin secret are not affected.',
  },
};

const GATEHOUSE_PER_IDP: Record<GatehouseIdpSuffix, Documented> = {
  LOGOUT: {
    default: 'false',
    description:
      "`true`: signing out of a session that came from this IdP also ends the session at the IdP (OpenID Connect RP-Initiated Logout): the browser goes to the IdP's `end_session_endpoint` with `id_token_hint`, `client_id`, `post_logout_redirect_uri` = `<public URL>/oauth2/<idp>/signed-out` (register it at the IdP) and `state`. Without an `end_session_endpoint` in discovery the sign-out stays local. Back-channel logout (`POST /oauth2/<idp>/backchannel-logout`) is received whatever this says.",
  },
};

function entry(variable: string, documented: Documented): ConfigReferenceEntry {
  return Object.freeze({
    variable,
    default: documented.default,
    description: documented.description,
    secret: documented.secret === true,
  });
}

/** Every global variable `parseAuthEnv` reads, in the parser's order, named with the default prefix. */
export const CONFIG_REFERENCE: readonly ConfigReferenceEntry[] = Object.freeze(
  VARIABLES.map((variable) => entry(`${REFERENCE_PREFIX}${variable}`, GLOBAL[variable])),
);

/** Gatehouse's own variables, always named `GATEHOUSE_<NAME>` whatever the prefix of the others. */
export const GATEHOUSE_CONFIG_REFERENCE: readonly ConfigReferenceEntry[] = Object.freeze(
  GATEHOUSE_VARIABLES.map((variable) => entry(`${GATEHOUSE_PREFIX}${variable}`, GATEHOUSE[variable])),
);

/** Gatehouse's own per-IdP settings, `variable` being the suffix of `GATEHOUSE_OAUTH2_<IDP>_<SUFFIX>`. */
export const GATEHOUSE_IDP_CONFIG_REFERENCE: readonly ConfigReferenceEntry[] = Object.freeze(
  GATEHOUSE_IDP_SUFFIXES.map((suffix) => entry(suffix, GATEHOUSE_PER_IDP[suffix])),
);

/** Every per-IdP setting, `variable` being the suffix of `PHOENIX_OAUTH2_<IDP>_<SUFFIX>`. */
export const IDP_CONFIG_REFERENCE: readonly ConfigReferenceEntry[] = Object.freeze(
  IDP_SUFFIXES.map((suffix) => entry(suffix, PER_IDP[suffix])),
);

/** Every LDAP setting, `variable` being the suffix of `PHOENIX_LDAP_<SUFFIX>`. */
export const LDAP_CONFIG_REFERENCE: readonly ConfigReferenceEntry[] = Object.freeze(
  LDAP_SUFFIXES.map((suffix) => entry(suffix, LDAP[suffix])),
);

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function table(entries: readonly ConfigReferenceEntry[], name: (variable: string) => string): string[] {
  return [
    '| variable | default | secret | description |',
    '|---|---|---|---|',
    ...entries.map(
      (row) =>
        `| \`${name(row.variable)}\` | ${row.default === null ? '—' : `\`${cell(row.default)}\``} | ` +
        `${row.secret ? 'yes' : ''} | ${cell(row.description)} |`,
    ),
  ];
}

/** The markdown of docs/configuration-reference.md; `scripts/gen-config-reference.mjs` writes it. */
export function renderConfigReference(): string {
  return [
    '# Configuration reference',
    '',
    '> Generated from `CONFIG_REFERENCE` and `IDP_CONFIG_REFERENCE` in `@gatehouse-auth/core`: do not edit by hand, regenerate with `node scripts/gen-config-reference.mjs`.',
    '',
    'Every variable `parseAuthEnv` reads; the rules in full and examples are in [configuration.md](configuration.md).',
    "With another prefix (`{ prefix: 'GATEHOUSE_' }`) every `PHOENIX_` name is read with it instead.",
    'A default of — means unset.',
    '',
    '## Global variables',
    '',
    ...table(CONFIG_REFERENCE, (variable) => variable),
    '',
    '## Per identity provider: `PHOENIX_OAUTH2_<IDP>_<SUFFIX>`',
    '',
    ...table(IDP_CONFIG_REFERENCE, (suffix) => `${REFERENCE_PREFIX}OAUTH2_<IDP>_${suffix}`),
    '',
    '## LDAP / Active Directory: `PHOENIX_LDAP_<SUFFIX>`',
    '',
    'See [ldap.md](ldap.md).',
    '',
    ...table(LDAP_CONFIG_REFERENCE, (suffix) => `${REFERENCE_PREFIX}LDAP_${suffix}`),
    '',
    '## Gatehouse additions: `GATEHOUSE_<NAME>`',
    '',
    'Not part of the Phoenix contract, so always read with this prefix, whatever the prefix option says.',
    '',
    ...table(GATEHOUSE_CONFIG_REFERENCE, (variable) => variable),
    '',
    'Per identity provider, for an IdP declared with the `PHOENIX_OAUTH2_<IDP>_*` variables above:',
    '',
    ...table(GATEHOUSE_IDP_CONFIG_REFERENCE, (suffix) => `${GATEHOUSE_PREFIX}OAUTH2_<IDP>_${suffix}`),
    '',
  ].join('\n');
}
