/**
 * `@gatehouse-auth/core`: what an application uses. Every name here is a semver promise, recorded in
 * test/package/api/core.api.md. Framework adapters and sibling packages import their helpers from
 * `@gatehouse-auth/core/adapter-kit`; the building blocks of the routes live in
 * `@gatehouse-auth/core/internal` (no promise). docs/adapters.md lists both.
 */
export * from './errors/index.js';
export * from './ports.js';

export { parseAuthEnv, clientAuthHeaders, type ClientAuthHeadersOptions } from './config/index.js';
export {
  CONFIG_REFERENCE,
  GATEHOUSE_CONFIG_REFERENCE,
  IDP_CONFIG_REFERENCE,
  LDAP_CONFIG_REFERENCE,
  renderConfigReference,
  type ConfigReferenceEntry,
} from './config/index.js';
export type {
  AdminAccount,
  AuthConfig,
  BruteForceConfig,
  CompiledPath,
  CookieConfig,
  CookieNames,
  IdpConfig,
  LdapConfig,
  LdapGroupRoleMapping,
  LdapTlsMode,
  MfaConfig,
  OAuth2Config,
  PasswordHashingConfig,
  ParseAuthEnvOptions,
  SmtpConfig,
  TokenConfig,
  TokenEndpointAuthMethod,
} from './config/index.js';

export {
  ROLES,
  ASSIGNABLE_ROLES,
  isRole,
  isAssignableRole,
  PRINCIPAL_KINDS,
  ANONYMOUS_PRINCIPAL,
  sessionPrincipal,
  userApiKeyPrincipal,
  systemApiKeyPrincipal,
  adminSecretPrincipal,
  isAdmin,
  isSystemPrincipal,
  isViewer,
  isApiKeyPrincipal,
  DECISIONS,
  decisionError,
  enforce,
  ACTIONS,
  isAction,
  decide,
  can,
  explain,
  createRestPolicy,
  decideRest,
  explainRest,
  type Role,
  type AssignableRole,
  type Principal,
  type PrincipalKind,
  type Decision,
  type PolicyRule,
  type Action,
  type ActionTarget,
  type PermissionTarget,
  type RestPolicy,
  type RestPolicyOptions,
} from './policy/index.js';

export * from './crypto/index.js';

export { totpCodeAt } from './mfa/index.js';

export { createTokenCodec, TOKEN_KINDS, type SignClaims, type TokenClaims, type TokenCodec, type TokenCodecOptions, type TokenKind } from './tokens/index.js';

export { createMemoryRateLimitStore, createLocalRevocationChannel, type MemoryRateLimitStoreOptions } from './in-process/index.js';
export { createSmtpMailer, type SmtpMailer, type SmtpMailerOptions } from './mail/index.js';

export {
  silentLogger,
  authorize,
  DEFAULT_ADMIN,
  SYSTEM_USER,
  isDefaultAdmin,
  isSystemUser,
  bootstrap,
  login,
  passwordLogin,
  completeMfaLogin,
  beginEnrolmentAtLogin,
  confirmEnrolmentAtLogin,
  getMfaStatus,
  beginTotpEnrolment,
  confirmTotpEnrolment,
  removeTotp,
  regenerateRecoveryCodes,
  resetUserMfa,
  logoutUser,
  refreshSession,
  revokeSession,
  createUser,
  deleteUser,
  getUser,
  listUsers,
  updateOwnProfile,
  updateUser,
  createSystemApiKey,
  createUserApiKey,
  deleteSystemApiKey,
  deleteUserApiKey,
  listAllUserApiKeys,
  listOwnApiKeys,
  listSystemApiKeys,
  defaultResetMail,
  requestPasswordReset,
  resetPassword,
  type Logger,
  type ServiceDeps,
  type BootstrapResult,
  type PasswordLoginOutcome,
  type MfaChallenge,
  type MfaLogin,
  type MfaStatus,
  type EnrolledLogin,
  type SecondFactorInput,
  type SecondFactorMethod,
  type TotpEnrolmentStart,
  type IssuedSession,
  type AdminUserChange,
  type CreateUserInput,
  type OwnProfileChange,
  type UserPage,
  type ApiKeyPage,
  type CreateApiKeyInput,
  type CreatedApiKey,
  type RequestPasswordResetOptions,
  type ResetMailContent,
  type BackgroundWork,
} from './services/index.js';

export {
  createAuthenticator,
  type AuthFailureReason,
  type AuthResult,
  type AuthenticatedPrincipal,
  type Authenticator,
  type AuthenticatorOptions,
  type Credentials,
  type GuardInput,
  type GuardResult,
  type RequestContext,
} from './http/index.js';

export { createGatehouse, type Gatehouse, type GatehouseOptions } from './gatehouse.js';

export { resolveAccess, isSafeReturnUrl, type AccessDecision, type DiscoveryOptions } from './oauth2/index.js';

export { createLdapDirectory, type Directory, type DirectoryOutcome, type DirectoryProbe, type DirectoryUser, type LdapDirectoryOptions } from './ldap/index.js';
