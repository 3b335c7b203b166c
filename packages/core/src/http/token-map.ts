/**
 * A map keyed by bearer tokens for the authenticator's cache. A `Map<string, V>` hashes the whole
 * key on every lookup, and each request brings a fresh string, so V8 cannot reuse a cached hash:
 * for a ~250-character JWT that hashing is most of what a cache hit costs. Here the bucket is
 * chosen by a number computed from the token's last 8 characters (the end of its signature, random
 * for every token Gatehouse issues), a second number from the 8 before them must match too, and only
 * then is the token compared in full: a lookup reads 16 characters plus one string comparison.
 *
 * That comparison stops at the first difference, so its time says how much of a token matched. It
 * only runs once both 30-bit numbers match an entry, i.e. for a guess whose signature end already
 * agrees with a cached token's in 60 bits; anything else is a miss, whose signature is then verified.
 */
export interface TokenMap<V> {
  get(token: string): V | undefined;
  /** Adds the token or replaces its value (keeping its place in the eviction order). */
  set(token: string, value: V): void;
  delete(token: string): boolean;
  clear(): void;
  readonly size: number;
  /**
   * The token to drop first when the map is full: the first one stored in the bucket created
   * earliest, i.e. the oldest entry except when two tokens share a bucket.
   */
  oldest(): string | undefined;
}

interface Slot<V> {
  readonly token: string;
  /** `tokenCheck(token)`: compared before the token itself. */
  readonly check: number;
  value: V;
  next: Slot<V> | undefined;
}

/** Characters of the token's end that pick the bucket: 8 base64url characters are 48 random bits. */
const TAIL_LENGTH = 8;

/** 30 bits from `TAIL_LENGTH` characters ending `end` characters before the token's end. */
function fingerprint(token: string, end: number): number {
  let hash = token.length;
  for (let i = end > TAIL_LENGTH ? end - TAIL_LENGTH : 0; i < end; i++)
    hash = (Math.imul(hash, 31) + token.charCodeAt(i)) | 0;
  return hash & 0x3fffffff;
}

/** The bucket of a token: a small integer, which V8 hashes without allocating. */
export function tokenBucket(token: string): number {
  return fingerprint(token, token.length);
}

/** The second number a slot must match before its token is compared. */
export function tokenCheck(token: string): number {
  return fingerprint(token, Math.max(0, token.length - TAIL_LENGTH));
}

export function createTokenMap<V>(): TokenMap<V> {
  const buckets = new Map<number, Slot<V>>();
  let size = 0;

  return {
    get(token) {
      let slot = buckets.get(tokenBucket(token));
      if (slot === undefined) return undefined;
      const check = tokenCheck(token);
      for (; slot !== undefined; slot = slot.next) {
        if (slot.check === check && slot.token === token) return slot.value;
      }
      return undefined;
    },
    set(token, value) {
      const bucket = tokenBucket(token);
      let slot = buckets.get(bucket);
      if (slot === undefined) {
        buckets.set(bucket, { token, check: tokenCheck(token), value, next: undefined });
        size++;
        return;
      }
      for (;;) {
        if (slot.token === token) {
          slot.value = value;
          return;
        }
        if (slot.next === undefined) break;
        slot = slot.next;
      }
      slot.next = { token, check: tokenCheck(token), value, next: undefined };
      size++;
    },
    delete(token) {
      const bucket = tokenBucket(token);
      let previous: Slot<V> | undefined;
      for (let slot = buckets.get(bucket); slot !== undefined; previous = slot, slot = slot.next) {
        if (slot.token !== token) continue;
        if (previous !== undefined) previous.next = slot.next;
        else if (slot.next !== undefined) buckets.set(bucket, slot.next);
        else buckets.delete(bucket);
        size--;
        return true;
      }
      return false;
    },
    clear() {
      buckets.clear();
      size = 0;
    },
    get size() {
      return size;
    },
    oldest() {
      const first = buckets.values().next();
      return first.done ? undefined : first.value.token;
    },
  };
}
