import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { UndecryptableSecretError } from '../errors/index.js';

/*
 * Encryption at rest of second-factor secrets. AES-256-GCM under a key derived with HKDF-SHA-256
 * from `GATEHOUSE_ENCRYPTION_KEY` (the setting is text, not raw key bytes, and one setting feeds
 * several purposes). A sealed value names the key that sealed it by a short fingerprint, so a
 * rotated deployment opens old values with the former key and writes them back under the new one.
 *
 * Format: `v1.<key id>.<iv>.<ciphertext>.<tag>`, base64url parts. The user id is bound as
 * additional data: a ciphertext copied onto another user's row does not open.
 */

const VERSION = 'v1';
const IV_BYTES = 12;

interface DerivedKey {
  readonly id: string;
  readonly encryption: Buffer;
  readonly recoveryHmac: Buffer;
}

function derive(setting: string): DerivedKey {
  const ikm = Buffer.from(setting, 'utf8');
  const expand = (info: string) => Buffer.from(hkdfSync('sha256', ikm, 'gatehouse', info, 32));
  const encryption = expand('gatehouse mfa secret encryption v1');
  return {
    // The fingerprint is of the derived key, so it says nothing usable about the setting.
    id: createHash('sha256').update(encryption).digest('base64url').slice(0, 8),
    encryption,
    recoveryHmac: expand('gatehouse mfa recovery code hmac v1'),
  };
}

export interface SecretBox {
  /** Encrypts under the current key. */
  seal(plaintext: string, userId: number): string;
  /**
   * Opens a value sealed under the current or a former key; `stale` says it should be sealed
   * again under the current one. A value no key opens is an `InternalError` (tampering, or a
   * key removed too early): never a wrong-code answer.
   */
  open(sealed: string, userId: number): { plaintext: string; stale: boolean };
  /** The keys recovery codes are hashed under, current first: lookups try each. */
  readonly recoveryKeys: readonly Buffer[];
}

function undecryptable(): UndecryptableSecretError {
  return new UndecryptableSecretError(
    'A stored second-factor secret could not be decrypted (was GATEHOUSE_ENCRYPTION_KEY changed without keeping the former key in GATEHOUSE_ENCRYPTION_KEY_PREVIOUS?)',
  );
}

export function createSecretBox(currentKey: string, previousKeys: readonly string[] = []): SecretBox {
  const current = derive(currentKey);
  const keys = [current, ...previousKeys.map(derive)];
  const byId = new Map<string, DerivedKey>();
  for (const key of keys) if (!byId.has(key.id)) byId.set(key.id, key);
  const aad = (userId: number) => Buffer.from(`gatehouse-user:${userId}`, 'utf8');

  return {
    seal(plaintext, userId) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.encryption, iv);
      cipher.setAAD(aad(userId));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        VERSION,
        current.id,
        iv.toString('base64url'),
        body.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
      ].join('.');
    },
    open(sealed, userId) {
      const [version, keyId, iv, body, tag, ...rest] = sealed.split('.');
      if (
        version !== VERSION ||
        keyId === undefined ||
        iv === undefined ||
        body === undefined ||
        tag === undefined ||
        rest.length > 0
      )
        throw undecryptable();
      const key = byId.get(keyId);
      if (key === undefined) throw undecryptable();
      try {
        const decipher = createDecipheriv('aes-256-gcm', key.encryption, Buffer.from(iv, 'base64url'));
        decipher.setAAD(aad(userId));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plaintext = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
        return { plaintext, stale: key !== current };
      } catch {
        throw undecryptable();
      }
    },
    recoveryKeys: keys.map((key) => key.recoveryHmac),
  };
}
