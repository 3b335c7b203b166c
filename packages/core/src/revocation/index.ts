/**
 * @module
 * What every cross-instance `RevocationChannel` (Redis pub/sub, PostgreSQL LISTEN/NOTIFY) shares:
 * the wire format of a revocation message and the relay that turns a transport's messages into
 * events, with loss detection.
 */
export {
  REVOCATION_ALL,
  decodeRevocationMessage,
  encodeRevocationMessage,
  type RevocationWireMessage,
} from './wire.js';
export { createRevocationRelay, type RevocationRelay, type RevocationRelayOptions } from './relay.js';
