/**
 * `@gatehouse-auth/core`: what an application uses. Every name here is a semver promise, recorded in
 * test/package/api/core.api.md. Framework adapters and sibling packages import their helpers from
 * `@gatehouse-auth/core/adapter-kit`; the building blocks of the routes live in
 * `@gatehouse-auth/core/internal` (no promise). docs/adapters.md lists both.
 */
export * from './errors/index.js';
export * from './ports.js';

export {
  parseAuthEnv,
  findUnknownVariables,
  clientAuthHeaders,
  type ClientAuthHeadersOptions,
  type FindUnknownVariablesOptions,
  type UnknownVariable,
} from './config/index.js';
export {
  CONFIG_REFERENCE,
  GATEHOUSE_CONFIG_REFERENCE,
  GATEHOUSE_IDP_CONFIG_REFERENCE,
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
  PHOENIX_ROUTE_PRESET,
  NO_ROUTE_PRESET,
  ROUTE_PRESETS,
  decideRest,
  explainRest,
  type Role,
  type AssignableRole,
  type AnonymousPrincipal,
  type Principal,
  type PrincipalKind,
  type Decision,
  type PolicyRule,
  type Action,
  type ActionTarget,
  type PermissionTarget,
  type RestPolicy,
  type RestPolicyOptions,
  type RoutePreset,
  type RoutePresetName,
} from './policy/index.js';

export * from './crypto/index.js';

export { createTokenCodec, secretFingerprint, TOKEN_KINDS, type SignClaims, type TokenClaims, type TokenCodec, type TokenCodecOptions, type TokenKind } from './tokens/index.js';

export {
  createMemoryRateLimitStore,
  createLocalRevocationChannel,
  createStderrLogger,
  type LogLevel,
  type MemoryRateLimitStoreOptions,
  type StderrLoggerOptions,
} from './in-process/index.js';
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
  logoutUser,
  refreshSession,
  revokeSession,
  listOwnSessions,
  revokeOwnSession,
  revokeOtherSessions,
  listUserSessions,
  revokeUserSessions,
  absoluteSessionEnd,
  MAX_USER_AGENT_LENGTH,
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
  listAuditEvents,
  type AuditEventFilter,
  type AuditEventPage,
  type Logger,
  type ServiceDeps,
  type BootstrapResult,
  type IssuedSession,
  type SessionView,
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
  type GuardedPrincipal,
  type RequestContext,
} from './http/index.js';

export { createGatehouse, type Gatehouse, type GatehouseOptions } from './gatehouse.js';

export {
  AUDIT_EVENT_TYPES,
  auditActorOf,
  createAuditTrail,
  discardAudit,
  isAuditEventType,
  storeAuditSink,
  type AuditActor,
  type AuditActorKind,
  type AuditDetailsByType,
  type AuditEventInput,
  type AuditEventQuery,
  type AuditEventRecord,
  type AuditEventType,
  type AuditRecorder,
  type AuditRequestContext,
  type AuditSignInMethod,
  type AuditSink,
  type AuditTrail,
  type AuditTrailOptions,
  type NewAuditEvent,
  type RotatedCredential,
  type SessionEndedBy,
  type SignInFailureReason,
  type SsoDenialReason,
} from './audit/index.js';

export { resolveAccess, isSafeReturnUrl, type AccessDecision, type DiscoveryOptions } from './oauth2/index.js';

export { createLdapDirectory, type Directory, type DirectoryOutcome, type DirectoryProbe, type DirectoryUser, type LdapDirectoryOptions } from './ldap/index.js';
