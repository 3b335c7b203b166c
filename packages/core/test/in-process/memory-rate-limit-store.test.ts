import { describe, expect, it } from 'vitest';
import { createMemoryRateLimitStore } from '../../src/in-process/index.js';

const rule = { capacity: 12, refillPerSecond: 0.2 };

describe('memory rate-limit store: token bucket', () => {
  it('starts full, spends one per request, then refuses with the time to the next token', async () => {
    const store = createMemoryRateLimitStore();
    for (let i = 0; i < 12; i++) expect((await store.consume('ip', rule, 0)).allowed).toBe(true);
    const refused = await store.consume('ip', rule, 0);
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterMs: 5000 });
    expect((await store.consume('ip', rule, 4999)).allowed).toBe(false);
    expect((await store.consume('ip', rule, 10_000)).allowed).toBe(true);
  });

  it('refills continuously up to capacity, never beyond', async () => {
    const store = createMemoryRateLimitStore();
    await store.consume('ip', rule, 0);
    const later = await store.consume('ip', rule, 3_600_000);
    expect(later.remaining).toBe(11);
  });

  it('keeps keys apart and bounded', async () => {
    const store = createMemoryRateLimitStore({ maxKeys: 2 });
    for (let i = 0; i < 12; i++) await store.consume('a', rule, 0);
    expect((await store.consume('a', rule, 0)).allowed).toBe(false);
    expect((await store.consume('b', rule, 0)).allowed).toBe(true);
    await store.consume('c', rule, 0); // evicts the least recently used key, 'a'
    expect((await store.consume('a', rule, 0)).allowed).toBe(true);
  });
});

describe('memory rate-limit store: failure lockout (docs/phoenix-contract.md#lockout)', () => {
  const lockout = { maxAttempts: 5, blockMs: 300_000, forgetAfterMs: 1_200_000 };

  it('blocks at the fifth failure for 300 s, then restarts the count', async () => {
    const store = createMemoryRateLimitStore();
    for (let i = 1; i <= 4; i++)
      expect(await store.recordFailure('e', lockout, 0)).toEqual({ failures: i, blockedUntil: null });
    expect(await store.recordFailure('e', lockout, 0)).toEqual({ failures: 5, blockedUntil: 300_000 });
    expect(await store.blockedUntil('e', 299_999)).toBe(300_000);
    expect(await store.blockedUntil('e', 300_000)).toBeNull();
    expect(await store.recordFailure('e', lockout, 301_000)).toEqual({ failures: 1, blockedUntil: null });
  });

  it('forgets old failures and clears on success', async () => {
    const store = createMemoryRateLimitStore();
    for (let i = 0; i < 4; i++) await store.recordFailure('e', lockout, 0);
    expect((await store.recordFailure('e', lockout, 1_200_000)).failures).toBe(1);
    await store.clearFailures('e');
    expect((await store.recordFailure('e', lockout, 1_200_001)).failures).toBe(1);
  });
});
