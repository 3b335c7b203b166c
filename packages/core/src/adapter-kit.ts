/**
 * @module
 * `@gatehouse-auth/core/adapter-kit`: what a framework adapter or a sibling package (store,
 * revocation channel, CLI) needs from core and an application does not: reading Node's request
 * headers the way core expects, cookies, the client address, CSRF, bodies, the revocation relay and
 * wire format, optional peers. Recorded in test/package/api/core-adapter-kit.api.md; docs/adapters.md
 * ("Writing an adapter") describes it.
 */
export { fetchHeadersOfNode, nodeAuthorization, parseBearer } from './http/bearer.js';
export { readCookie, serializeCookie, deleteCookie, type CookieOptions } from './http/cookies.js';
export { resolveClientAddress, normalizeAddress } from './http/client-address.js';
export { createCsrfCheck, type OriginHeaders } from './http/csrf.js';
export { readJsonObject, MAX_BODY_BYTES } from './http/body.js';
export {
  REVOCATION_ALL,
  decodeRevocationMessage,
  encodeRevocationMessage,
  type RevocationWireMessage,
} from './revocation/wire.js';
export { createRevocationRelay, type RevocationRelay, type RevocationRelayOptions } from './revocation/relay.js';
export { importOptional, isMissingPackage } from './kit/import-optional.js';
export { canonicalRequestPath, pathOfTarget, MAX_PATH_LENGTH, MALFORMED_PATH_MESSAGE } from './http/request-path.js';
export { createHostCheck, hostOfHeader, type HostCheck } from './http/host-check.js';
export { mountProblem, type MountedGatehouse } from './http/mount-path.js';
export { checkRole, adapterMisuse } from './http/gate.js';
