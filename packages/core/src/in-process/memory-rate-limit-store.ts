import type { ConsumeResult, FailureRule, RateLimitStore, TokenBucketRule } from '../ports.js';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

interface FailureRecord {
  failures: number;
  blockedUntil: number | null;
  lastFailureAt: number;
}

export interface MemoryRateLimitStoreOptions {
  /** Upper bound on tracked keys; the least recently touched are dropped first. */
  maxKeys?: number;
}

/**
 * Single-process counters. Atomic because Node runs each call to completion on one thread; use
 * `@gatehouse-auth/redis` when several instances must share them.
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, Bucket>();
  const failures = new Map<string, FailureRecord>();

  // Map iteration order is insertion order, so delete+set marks a key as most recently used.
  function touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > maxKeys) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
  }

  return {
    consume(key: string, rule: TokenBucketRule, now: number): Promise<ConsumeResult> {
      const bucket = buckets.get(key) ?? { tokens: rule.capacity, updatedAt: now };
      const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
      bucket.tokens = Math.min(rule.capacity, bucket.tokens + elapsedSeconds * rule.refillPerSecond);
      bucket.updatedAt = now;
      touch(buckets, key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return Promise.resolve({ allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 });
      }
      const retryAfterMs = Math.ceil(((1 - bucket.tokens) / rule.refillPerSecond) * 1000);
      return Promise.resolve({ allowed: false, remaining: 0, retryAfterMs });
    },

    recordFailure(key: string, rule: FailureRule, now: number) {
      let record = failures.get(key);
      const expiredBlock = record?.blockedUntil != null && record.blockedUntil <= now;
      const forgotten = record !== undefined && now - record.lastFailureAt >= rule.forgetAfterMs;
      if (!record || expiredBlock || forgotten) record = { failures: 0, blockedUntil: null, lastFailureAt: now };
      if (record.blockedUntil === null) {
        record.failures += 1;
        if (record.failures >= rule.maxAttempts) record.blockedUntil = now + rule.blockMs;
      }
      record.lastFailureAt = now;
      touch(failures, key, record);
      return Promise.resolve({ failures: record.failures, blockedUntil: record.blockedUntil });
    },

    blockedUntil(key: string, now: number): Promise<number | null> {
      const until = failures.get(key)?.blockedUntil ?? null;
      return Promise.resolve(until !== null && until > now ? until : null);
    },

    clearFailures(key: string): Promise<void> {
      failures.delete(key);
      return Promise.resolve();
    },
  };
}
