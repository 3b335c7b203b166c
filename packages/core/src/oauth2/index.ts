export { pruneClaims, hasSufficientClaims, parseUserInfo, type OAuth2UserInfo, type UserInfoResult } from './claims.js';
export { normalizeGroups, normalizeRoleValue, resolveAccess, type AccessDecision } from './access.js';
export {
  createDiscovery,
  isAllowedIdpUrl,
  type Discovery,
  type DiscoveryOptions,
  type IdpEndpoint,
} from './discovery.js';
export { isSafeReturnUrl } from './return-url.js';
export { signInOAuth2User, type SignInInput, type SignInRefusal, type SignInResult } from './sign-in.js';
export {
  createOAuth2Flow,
  OAUTH2_ERROR_MESSAGES,
  type CallbackInput,
  type CallbackResult,
  type LoginStart,
  type OAuth2ErrorCode,
  type OAuth2Flow,
} from './flow.js';
