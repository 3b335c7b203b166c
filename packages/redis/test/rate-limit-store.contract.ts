/**
 * What every `RateLimitStore` must do, whatever keeps the counters. The cases are the memory
 * store's own (packages/core/test/in-process/memory-rate-limit-store.test.ts) minus its key bound,
 * plus a few edges; each call of `newStore` must give a store with no keys yet.
 */
import type { RateLimitStore } from '@gatehouse-auth/core';
import { describe, expect, it } from 'vitest';

const rule = { capacity: 12, refillPerSecond: 0.2 };
const lockout = { maxAttempts: 5, blockMs: 300_000, forgetAfterMs: 1_200_000 };

export function describeRateLimitStoreContract(
  name: string,
  newStore: () => RateLimitStore | Promise<RateLimitStore>,
): void {
  describe(`${name}: token bucket`, () => {
    it('starts full, spends one per request, then refuses with the time to the next token', async () => {
      const store = await newStore();
      for (let i = 0; i < 12; i++) expect((await store.consume('ip', rule, 0)).allowed).toBe(true);
      const refused = await store.consume('ip', rule, 0);
      expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterMs: 5000 });
      expect((await store.consume('ip', rule, 4999)).allowed).toBe(false);
      expect((await store.consume('ip', rule, 10_000)).allowed).toBe(true);
    });

    it('refills continuously up to capacity, never beyond', async () => {
      const store = await newStore();
      await store.consume('ip', rule, 0);
      const later = await store.consume('ip', rule, 3_600_000);
      expect(later.remaining).toBe(11);
    });

    it('reports the tokens left and counts fractions of a token', async () => {
      const store = await newStore();
      const perSecond = { capacity: 2, refillPerSecond: 1 };
      expect(await store.consume('ip', perSecond, 1_000)).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
      expect(await store.consume('ip', perSecond, 1_000)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
      expect(await store.consume('ip', perSecond, 1_250)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 750 });
      expect(await store.consume('ip', perSecond, 2_000)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    });

    it('does not refill when the clock goes backwards', async () => {
      const store = await newStore();
      const one = { capacity: 1, refillPerSecond: 1 };
      expect((await store.consume('ip', one, 10_000)).allowed).toBe(true);
      expect(await store.consume('ip', one, 5_000)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    });

    it('never refills a bucket with no refill rate', async () => {
      const store = await newStore();
      const once = { capacity: 1, refillPerSecond: 0 };
      expect((await store.consume('ip', once, 0)).allowed).toBe(true);
      expect(await store.consume('ip', once, 1e9)).toEqual({ allowed: false, remaining: 0, retryAfterMs: Infinity });
    });

    it('keeps keys apart', async () => {
      const store = await newStore();
      for (let i = 0; i < 12; i++) await store.consume('a', rule, 0);
      expect((await store.consume('a', rule, 0)).allowed).toBe(false);
      expect((await store.consume('b', rule, 0)).allowed).toBe(true);
    });
  });

  describe(`${name}: failure lockout (docs/phoenix-contract.md#lockout)`, () => {
    it('blocks at the fifth failure for 300 s, then restarts the count', async () => {
      const store = await newStore();
      for (let i = 1; i <= 4; i++)
        expect(await store.recordFailure('e', lockout, 0)).toEqual({ failures: i, blockedUntil: null });
      expect(await store.recordFailure('e', lockout, 0)).toEqual({ failures: 5, blockedUntil: 300_000 });
      expect(await store.blockedUntil('e', 299_999)).toBe(300_000);
      expect(await store.blockedUntil('e', 300_000)).toBeNull();
      expect(await store.recordFailure('e', lockout, 301_000)).toEqual({ failures: 1, blockedUntil: null });
    });

    it('forgets old failures and clears on success', async () => {
      const store = await newStore();
      for (let i = 0; i < 4; i++) await store.recordFailure('e', lockout, 0);
      expect((await store.recordFailure('e', lockout, 1_200_000)).failures).toBe(1);
      await store.clearFailures('e');
      expect((await store.recordFailure('e', lockout, 1_200_001)).failures).toBe(1);
    });

    it('does not count failures while blocked, nor extend the block', async () => {
      const store = await newStore();
      for (let i = 0; i < 5; i++) await store.recordFailure('e', lockout, 1_000);
      expect(await store.recordFailure('e', lockout, 2_000)).toEqual({ failures: 5, blockedUntil: 301_000 });
      expect(await store.blockedUntil('e', 2_000)).toBe(301_000);
    });

    it('knows nothing of unknown keys, and clearing lifts a block', async () => {
      const store = await newStore();
      expect(await store.blockedUntil('nobody', 0)).toBeNull();
      await store.clearFailures('nobody');
      for (let i = 0; i < 5; i++) await store.recordFailure('e', lockout, 0);
      expect(await store.blockedUntil('e', 1)).toBe(300_000);
      expect(await store.blockedUntil('other', 1)).toBeNull();
      await store.clearFailures('e');
      expect(await store.blockedUntil('e', 1)).toBeNull();
      expect(await store.recordFailure('e', lockout, 2)).toEqual({ failures: 1, blockedUntil: null });
    });

    it('keeps failure counts and buckets apart', async () => {
      const store = await newStore();
      await store.recordFailure('k', lockout, 0);
      expect((await store.consume('k', rule, 0)).remaining).toBe(11);
      expect((await store.recordFailure('k', lockout, 0)).failures).toBe(2);
    });
  });
}
