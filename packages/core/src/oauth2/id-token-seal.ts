import { hkdfSync } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';

/**
 * Keeps an IdP's ID token at rest for the RP-initiated logout's `id_token_hint`. It names the user
 * and the IdP session and is a bearer credential at the IdP's logout endpoint, so it is stored
 * encrypted and authenticated (JWE `dir` + A256GCM, a key derived from the secret for this use
 * only), never in clear and never in a cookie: an ID token with group claims easily passes the
 * 4 KB a browser keeps per cookie.
 */
export interface IdTokenSeal {
  seal(idToken: string): Promise<string>;
  /** The ID token, or null when it cannot be opened (another secret, tampering): the logout then goes without the hint. */
  open(sealed: string): Promise<string | null>;
}

const INFO = 'gatehouse/oidc-id-token-at-rest/v1';
const HEADER = { alg: 'dir', enc: 'A256GCM', cty: 'JWT' } as const;

export function createIdTokenSeal(secret: string): IdTokenSeal {
  const key = new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), INFO, 32));
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return {
    seal: (idToken) => new CompactEncrypt(encoder.encode(idToken)).setProtectedHeader(HEADER).encrypt(key),
    async open(sealed) {
      try {
        const { plaintext } = await compactDecrypt(sealed, key, {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
        });
        return decoder.decode(plaintext);
      } catch {
        return null;
      }
    },
  };
}
