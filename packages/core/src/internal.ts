/**
 * @module
 * `@gatehouse-auth/core/internal`: the building blocks Gatehouse's routes are made of, for
 * Gatehouse's own packages (the CLI) and tests. No semver promise: anything here may change in any
 * release. Recorded in test/package/api/core-internal.api.md all the same, so changes are seen.
 */
export {
  secretProblems,
  MIN_SECRET_LENGTH,
  parseAdmins,
  collectAdmins,
  compilePath,
  collectRoleMapping,
  deriveRootUrl,
  defaultDisplayName,
  type AdminsParseResult,
  type CompileResult,
  type RoleMappingParseResult,
  type RootUrlParts,
} from './config/index.js';
export {
  BUILT_IN_ADMIN_ROUTES,
  BUILT_IN_SELF_SERVICE_ROUTES,
  BUILT_IN_API_KEY_ROUTES,
  normaliseRoutePattern,
} from './policy/index.js';
export { MAX_TOKEN_LENGTH, isTokenKind, tokenType } from './tokens/index.js';
export {
  requireActor,
  issueSession,
  userIdFromRefreshToken,
  assertNotLockedOut,
  clearLoginFailures,
  recordLoginFailure,
  normalizeUsername,
} from './services/index.js';
export {
  toGlobalId,
  fromGlobalId,
  userJson,
  apiKeyJson,
  auditEventJson,
  AUTH_ROUTES_RULE,
  OAUTH2_LOGIN_RULE,
  type NodeType,
} from './http/index.js';
export {
  pruneClaims,
  hasSufficientClaims,
  parseUserInfo,
  normalizeGroups,
  normalizeRoleValue,
  createDiscovery,
  isAllowedIdpUrl,
  signInOAuth2User,
  createOAuth2Flow,
  OAUTH2_ERROR_MESSAGES,
  type OAuth2UserInfo,
  type UserInfoResult,
  type Discovery,
  type IdpEndpoint,
  type SignInInput,
  type SignInRefusal,
  type SignInResult,
  type CallbackInput,
  type CallbackResult,
  type LoginStart,
  type OAuth2ErrorCode,
  type OAuth2Flow,
} from './oauth2/index.js';
export { internalsOf, type GatehouseInternals } from './gatehouse-internals.js';
