import type { AssignableRole } from '../policy/roles.js';
import type { AdminAccount } from './admins.js';
import type { CompiledPath } from './jmespath-path.js';

export type { AdminAccount } from './admins.js';
export type { CompiledPath } from './jmespath-path.js';

export interface ParseAuthEnvOptions {
  /** Prefix of every variable name, `PHOENIX_` unless another one is given (e.g. `GATEHOUSE_`). */
  readonly prefix?: string;
}

/** How the relying party authenticates at the IdP's token endpoint (OIDC Core §9). */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'client_assertion_jwt';

/**
 * Where the client assertion of `client_assertion_jwt` is read from, at every code exchange (a
 * workload-identity platform rotates the file). `variable`: the path came from this variable (named
 * by `CLIENT_ASSERTION_FILE_ENV_VAR`), and messages name it instead of showing the path.
 */
export interface ClientAssertionSource {
  readonly path: string;
  readonly variable: string | null;
}

/** Lifetimes in seconds (the variables are in minutes and may be fractional). */
export interface TokenConfig {
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly passwordResetTtlSeconds: number;
  /**
   * `GATEHOUSE_SESSION_MAX_LIFETIME_MINUTES`: the absolute end of a session, counted from its login,
   * past which no refresh is granted however active it is; tokens never outlive it.
   */
  readonly sessionMaxLifetimeSeconds: number;
}

export interface CookieNames {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly oauth2State: string;
  readonly oauth2Nonce: string;
  readonly oauth2CodeVerifier: string;
  /** The `state` of an RP-initiated logout, checked when the IdP sends the browser back. */
  readonly oauth2LogoutState: string;
  /** The login waiting for its second factor (`mfa_challenge` token). */
  readonly mfaChallenge: string;
  /** The handle of a WebAuthn ceremony (passkey registration or sign-in) in progress: HttpOnly, SameSite=Strict. */
  readonly webauthnChallenge: string;
}

export interface CookieConfig {
  /**
   * `PHOENIX_USE_SECURE_COOKIES`: the `Secure` attribute on every cookie.
   *
   * > [!WARNING]
   * > Off by default (plain-http development works), so browsers also send the session cookies over
   * > http. Turn it on whenever the public URL is https.
   */
  readonly secure: boolean;
  /** `Path` attribute of every cookie set. */
  readonly path: string;
  /** Start of every cookie name; `phoenix` gives Phoenix's names. */
  readonly namePrefix: string;
  readonly names: CookieNames;
}

export interface BruteForceConfig {
  readonly enabled: boolean;
  /** Failed logins before the account is locked. */
  readonly maxAttempts: number;
  /** How long a lock lasts; fixed, as in Phoenix. */
  readonly lockoutSeconds: number;
}

export interface SmtpConfig {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly mailFrom: string;
  /**
   * `PHOENIX_SMTP_VALIDATE_CERTS` (default true).
   *
   * > [!WARNING]
   * > `false` sends the SMTP password and every reset link over TLS whose certificate is not checked.
   */
  readonly validateCerts: boolean;
}

export interface IdpConfig {
  /** Lower-case, `[a-z0-9_]+`; also the login URL segment `/oauth2/<name>/login`. */
  readonly name: string;
  readonly displayName: string;
  readonly clientId: string;
  /** Null for a public client (`none`) or a `client_assertion_jwt` one configured without one. */
  readonly clientSecret: string | null;
  readonly oidcConfigUrl: string;
  readonly allowSignUp: boolean;
  readonly autoLogin: boolean;
  readonly usePkce: boolean;
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Set exactly when `tokenEndpointAuthMethod` is `client_assertion_jwt`. */
  readonly clientAssertion: ClientAssertionSource | null;
  /** `openid email profile` first, then the configured extras, without duplicates. */
  readonly scopes: readonly string[];
  readonly emailPath: CompiledPath;
  readonly groupsPath: CompiledPath | null;
  /** Non-empty exactly when `groupsPath` is set. */
  readonly allowedGroups: readonly string[];
  readonly rolePath: CompiledPath | null;
  /** IdP role value (exact, case-sensitive) to role; null when no mapping is configured. */
  readonly roleMapping: ReadonlyMap<string, AssignableRole> | null;
  readonly roleAttributeStrict: boolean;
  readonly roleResync: boolean;
  /**
   * `GATEHOUSE_OAUTH2_<IDP>_LOGOUT`: signing out of a session that came from this IdP also ends the
   * IdP's session (OpenID Connect RP-Initiated Logout), when its discovery document names an
   * `end_session_endpoint`. Back-channel logout is received whatever this says.
   */
  readonly rpInitiatedLogout: boolean;
  /** `REQUIRED_ACR`: the ID token's `acr` must be one of these (and they are sent as `acr_values`); empty: not checked. */
  readonly requiredAcr: readonly string[];
  /** `REQUIRED_AMR`: the ID token's `amr` must hold at least one of these (e.g. `mfa`, `otp`, `hwk`); empty: not checked. */
  readonly requiredAmr: readonly string[];
}

export interface OAuth2Config {
  /** Sorted by name. */
  readonly idps: readonly IdpConfig[];
  readonly autoLoginIdp: string | null;
}

/** Bounds of password hashing (`GATEHOUSE_PASSWORD_HASH_*`); see `createBoundedHasher`. */
export interface PasswordHashingConfig {
  /** Operations in flight at once; null: a default from the cores (see `GATEHOUSE_PASSWORD_HASH_CONCURRENCY`). */
  readonly concurrency: number | null;
  /** Logins that may wait for a slot; one more is refused with 503 + Retry-After. */
  readonly maxQueue: number;
  /** Percent of a slot's time hashing may take while the event loop is busy (1–100; 100: never pause). */
  readonly busyPercent: number;
}

export type LdapTlsMode = 'starttls' | 'ldaps' | 'none';

/** One entry of `LDAP_GROUP_ROLE_MAPPINGS`: `groupDn` canonical (see `canonicalDn`) or `*`. */
export interface LdapGroupRoleMapping {
  readonly groupDn: string;
  readonly role: AssignableRole;
}

/** LDAP / Active Directory sign-in (docs/phoenix-contract.md#ldap); null in `AuthConfig` when `LDAP_HOST` is unset. */
export interface LdapConfig {
  /** Tried in random order at each login. */
  readonly hosts: readonly string[];
  readonly port: number;
  readonly tlsMode: LdapTlsMode;
  readonly tlsVerify: boolean;
  readonly caCertFile: string | null;
  readonly clientCertFile: string | null;
  readonly clientKeyFile: string | null;
  /** Service account; both null: anonymous search. */
  readonly bindDn: string | null;
  readonly bindPassword: string | null;
  readonly userSearchBaseDns: readonly string[];
  /** Contains `%s`, replaced by the escaped username. */
  readonly userSearchFilter: string;
  /** Null: no-email mode (users are known by their unique id only). */
  readonly emailAttribute: string | null;
  readonly displayNameAttribute: string | null;
  readonly memberOfAttribute: string | null;
  readonly uniqueIdAttribute: string | null;
  /** Set: groups are searched for instead of read from `memberOfAttribute`. */
  readonly groupSearchFilter: string | null;
  readonly groupSearchBaseDns: readonly string[];
  readonly groupSearchFilterUserAttribute: string | null;
  /** In order: the first that matches decides. */
  readonly groupRoleMappings: readonly LdapGroupRoleMapping[];
  readonly allowSignUp: boolean;
}

/** Second factors (`GATEHOUSE_ENCRYPTION_KEY*`, `GATEHOUSE_MFA_REQUIRED_ROLES`); see docs/mfa.md. */
export interface MfaConfig {
  /** Encrypts TOTP secrets and keys recovery-code hashes; null: second factors are unavailable. */
  readonly encryptionKey: string | null;
  /** Former keys, for decryption (and recovery-code lookup) only, newest first. */
  readonly previousEncryptionKeys: readonly string[];
  /** Roles whose password logins must complete a second factor, enrolling one first if needed. */
  readonly requiredRoles: readonly AssignableRole[];
  /** Lifetime of the challenge between password and second factor. */
  readonly challengeTtlSeconds: number;
}

/** The whole authentication configuration: parsed once at start-up, deeply frozen. */
export interface AuthConfig {
  readonly prefix: string;
  /**
   * `PHOENIX_ENABLE_AUTH`.
   *
   * > [!WARNING]
   * > Off by default, as in Phoenix: every request is let through as `anonymous`, which passes every
   * > role check. Every start logs a warning while it is off.
   */
  readonly enabled: boolean;
  /** HS256 key of every token Gatehouse issues; null when unset (allowed only with auth off). */
  readonly secret: string | null;
  /**
   * `GATEHOUSE_PREVIOUS_SECRETS`: former (or not yet active) secrets whose tokens and API keys are
   * still accepted; nothing new is signed with them. Empty when unset.
   */
  readonly previousSecrets: readonly string[];
  readonly adminSecret: string | null;
  readonly basicAuthEnabled: boolean;
  readonly rateLimitEnabled: boolean;
  readonly bruteForce: BruteForceConfig;
  readonly passwordPolicy: 'default' | 'strong';
  readonly tokens: TokenConfig;
  readonly cookies: CookieConfig;
  /**
   * `PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD`.
   *
   * > [!WARNING]
   * > Default `admin`, known to anyone who knows Phoenix; the default admin must change it at the
   * > first login. Set it, or change it at once.
   */
  readonly defaultAdminInitialPassword: string;
  readonly admins: readonly AdminAccount[];
  /** `""` or a path starting, and not ending, with `/`. */
  readonly rootPath: string;
  /** `PHOENIX_ROOT_URL` verbatim, or null (see `deriveRootUrl`). */
  readonly rootUrl: string | null;
  /**
   * The base of every public URL Gatehouse writes (reset links, OAuth2 `redirect_uri`, the state
   * origin), without a trailing slash: `PHOENIX_ROOT_URL`, else derived from `PHOENIX_HOST`,
   * `PHOENIX_PORT` and the root path (`0.0.0.0` shown as `127.0.0.1`). Never from a request header.
   */
  readonly publicUrl: string;
  /** `PHOENIX_HOST` (default `0.0.0.0`) and `PHOENIX_PORT` (default 6006): only used to derive `publicUrl`. */
  readonly server: { readonly host: string; readonly port: number };
  /**
   * `GATEHOUSE_ALLOWED_HOSTS`: extra DNS names requests may carry in `Host` besides the public URL's
   * host and `localhost` (lower-case; a leading `.` allows every subdomain); null when it is `*`
   * (the host check is off).
   */
  readonly allowedHosts: readonly string[] | null;
  /**
   * `PHOENIX_CSRF_TRUSTED_ORIGINS`: lower-case hostnames, de-duplicated and sorted.
   *
   * > [!WARNING]
   * > Empty (the default) turns the CSRF origin check off, as in Phoenix: only `SameSite=Lax`
   * > cookies stand between another site's pages and a signed-in browser.
   */
  readonly csrfTrustedOrigins: readonly string[];
  /** CORS allow-list; empty means no CORS. */
  readonly allowedOrigins: readonly string[];
  readonly managementUrl: string | null;
  readonly supportEmail: string | null;
  readonly smtp: SmtpConfig | null;
  readonly oauth2: OAuth2Config;
  readonly passwordHashing: PasswordHashingConfig;
  readonly ldap: LdapConfig | null;
  /** `GATEHOUSE_AUDIT_RETENTION_DAYS` (default 90): audit events older than this are swept (docs/audit.md). */
  readonly auditRetentionDays: number;
  readonly mfa: MfaConfig;
}
