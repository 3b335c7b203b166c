import { RateLimitError } from '../errors/index.js';
import type { Clock, RateLimitStore, TokenBucketRule } from '../ports.js';

/** docs/phoenix-contract.md#rate-limits: one bucket per client address shared by the auth routes, 12 then one per 5 s. */
export const AUTH_ROUTES_RULE: TokenBucketRule = Object.freeze({ capacity: 12, refillPerSecond: 0.2 });
/** OAuth2 login starts: 6 then one per 5 s per address. */
export const OAUTH2_LOGIN_RULE: TokenBucketRule = Object.freeze({ capacity: 6, refillPerSecond: 0.2 });

/** Spends one token of `bucket` for `address`, or throws the 429 with its Retry-After. */
export async function spend(
  store: RateLimitStore,
  clock: Clock,
  bucket: string,
  rule: TokenBucketRule,
  address: string | null,
): Promise<void> {
  // No address (a unix socket, a test harness): nothing to key on, as Phoenix.
  if (address === null) return;
  const result = await store.consume(`${bucket}:${address}`, rule, clock.now());
  if (!result.allowed) throw new RateLimitError('Too Many Requests', { retryAfterSeconds: result.retryAfterMs / 1000 });
}
