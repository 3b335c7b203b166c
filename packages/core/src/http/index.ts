export { fetchHeadersOfNode, nodeAuthorization, parseBearer } from './bearer.js';
export {
  createAuthenticator,
  type AuthFailureReason,
  type AuthResult,
  type AuthenticatedPrincipal,
  type Authenticator,
  type AuthenticatorOptions,
  type Credentials,
} from './authenticate.js';
export { readCookie, serializeCookie, deleteCookie, type CookieOptions } from './cookies.js';
export { resolveClientAddress, normalizeAddress } from './client-address.js';
export { createCsrfCheck, type OriginHeaders } from './csrf.js';
export { createHostCheck, hostOfHeader, type HostCheck } from './host-check.js';
export { canonicalRequestPath, pathOfTarget, MAX_PATH_LENGTH, MALFORMED_PATH_MESSAGE } from './request-path.js';
export { readJsonObject, MAX_BODY_BYTES } from './body.js';
export { toGlobalId, fromGlobalId, type NodeType } from './global-id.js';
export { userJson, apiKeyJson } from './serialize.js';
export { AUTH_ROUTES_RULE, OAUTH2_LOGIN_RULE } from './rate-limits.js';
export { type GuardInput, type GuardResult, type RequestContext } from './gate.js';
export type { PasswordHashingOptions } from './password-hashing.js';
