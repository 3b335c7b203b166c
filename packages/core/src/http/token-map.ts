/**
 * A map keyed by bearer tokens for the authenticator's cache. A `Map<string, V>` hashes the whole
 * key on every lookup, and each request brings a fresh string, so V8 cannot reuse a cached hash:
 * for a ~250-character JWT that hashing is most of what a cache hit costs. Here the bucket is
 * chosen by a number computed from the token's last characters (the end of its signature, random
 * for every token Gatehouse issues) and the token is then compared in full, so a lookup reads a few
 * characters plus one string comparison.
 *
 * Reaching the comparison needs the last characters right, i.e. a token already seen: probing by
 * timing learns nothing a plain Map would not have given away.
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
  value: V;
  next: Slot<V> | undefined;
}

/** Characters of the token's end that pick the bucket: 8 base64url characters are 48 random bits. */
const TAIL_LENGTH = 8;

/** The bucket of a token: a small integer, which V8 hashes without allocating. */
export function tokenBucket(token: string): number {
  const end = token.length;
  let hash = end;
  for (let i = end > TAIL_LENGTH ? end - TAIL_LENGTH : 0; i < end; i++) hash = (Math.imul(hash, 31) + token.charCodeAt(i)) | 0;
  return hash & 0x3fffffff;
}

export function createTokenMap<V>(): TokenMap<V> {
  const buckets = new Map<number, Slot<V>>();
  let size = 0;

  return {
    get(token) {
      for (let slot = buckets.get(tokenBucket(token)); slot !== undefined; slot = slot.next) {
        if (slot.token === token) return slot.value;
      }
      return undefined;
    },
    set(token, value) {
      const bucket = tokenBucket(token);
      let slot = buckets.get(bucket);
      if (slot === undefined) {
        buckets.set(bucket, { token, value, next: undefined });
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
      slot.next = { token, value, next: undefined };
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
