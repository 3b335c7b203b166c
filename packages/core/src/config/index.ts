export { parseAuthEnv } from './parse-auth-env.js';
export {
  findUnknownVariables,
  editDistance,
  type UnknownVariable,
  type FindUnknownVariablesOptions,
} from './unknown-variables.js';
export { secretProblems, MIN_SECRET_LENGTH } from './secret-rules.js';
export { parseAdmins, collectAdmins, type AdminsParseResult } from './admins.js';
export { compilePath, type CompileResult } from './jmespath-path.js';
export { collectRoleMapping, type RoleMappingParseResult } from './role-mapping.js';
export { deriveRootUrl, type RootUrlParts } from './urls.js';
export { defaultDisplayName } from './oauth2-idps.js';
export { clientAuthHeaders, type ClientAuthHeadersOptions } from './client-headers.js';
export type {
  AdminAccount,
  AuthConfig,
  BruteForceConfig,
  ClientAssertionSource,
  CompiledPath,
  CookieConfig,
  CookieNames,
  IdpConfig,
  LdapConfig,
  LdapGroupRoleMapping,
  LdapTlsMode,
  MfaConfig,
  OAuth2Config,
  ParseAuthEnvOptions,
  PasswordHashingConfig,
  SmtpConfig,
  TokenConfig,
  TokenEndpointAuthMethod,
} from './types.js';
export {
  CONFIG_REFERENCE,
  GATEHOUSE_CONFIG_REFERENCE,
  GATEHOUSE_IDP_CONFIG_REFERENCE,
  IDP_CONFIG_REFERENCE,
  LDAP_CONFIG_REFERENCE,
  renderConfigReference,
  type ConfigReferenceEntry,
} from './reference.js';
