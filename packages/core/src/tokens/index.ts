export {
  createTokenCodec,
  MAX_TOKEN_LENGTH,
  secretFingerprint,
  type SignClaims,
  type TokenClaims,
  type TokenCodec,
  type TokenCodecOptions,
} from './codec.js';
export { isTokenKind, TOKEN_KINDS, tokenType, type TokenKind } from './kinds.js';
