import { createHmac, randomInt } from 'node:crypto';

/*
 * Recovery codes: 10 per user, each 16 characters of a 30-letter alphabet without look-alikes
 * (78 bits), shown once as `xxxx-xxxx-xxxx-xxxx`. Only an HMAC-SHA-256 under a key derived from
 * GATEHOUSE_ENCRYPTION_KEY is stored: the codes are random, so a fast keyed hash is enough
 * (nothing to brute-force without the key), and a lookup is one indexed read instead of ten
 * argon2 verifications.
 */

export const RECOVERY_CODE_COUNT = 10;
const GROUPS = 4;
const GROUP_LENGTH = 4;
// Crockford-style: no 0/o, 1/l/i, u.
const ALPHABET = 'abcdefghjkmnpqrstvwxyz23456789';

export function newRecoveryCodes(): string[] {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) {
    const groups: string[] = [];
    for (let g = 0; g < GROUPS; g++) {
      let group = '';
      for (let i = 0; i < GROUP_LENGTH; i++) group += ALPHABET[randomInt(ALPHABET.length)];
      groups.push(group);
    }
    codes.add(groups.join('-'));
  }
  return [...codes];
}

/** Case, spaces and dashes do not matter; anything else not in the alphabet makes it no code. */
export function normalizeRecoveryCode(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 64) return null;
  const compact = raw.toLowerCase().replace(/[\s-]/g, '');
  if (compact.length !== GROUPS * GROUP_LENGTH) return null;
  for (const char of compact) if (!ALPHABET.includes(char)) return null;
  return compact;
}

/** One hash per key (current first), for a lookup that still works during key rotation. */
export function recoveryCodeHashes(normalized: string, userId: number, keys: readonly Buffer[]): string[] {
  return keys.map((key) => createHmac('sha256', key).update(`${userId}:${normalized}`, 'utf8').digest('base64url'));
}
