/**
 * `@gatehouse-auth/core/adapter-kit`: what a framework adapter or a sibling package (store,
 * revocation channel, CLI) needs from core and an application does not. Documented in
 * docs/adapters.md ("Writing an adapter"); covered by the API report like the root entry.
 */
export { fetchHeadersOfNode, nodeAuthorization, parseBearer } from './http/bearer.js';
export { REVOCATION_ALL, decodeRevocationMessage, encodeRevocationMessage, type RevocationWireMessage } from './adapters/revocation-wire.js';
export { createRevocationRelay, type RevocationRelay, type RevocationRelayOptions } from './adapters/revocation-relay.js';
export { importOptional, isMissingPackage } from './kit/import-optional.js';
