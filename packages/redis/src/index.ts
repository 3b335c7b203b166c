/**
 * @module
 * `@gatehouse-auth/redis`: what several instances share through Redis: rate limits and lockouts
 * (`createRedisRateLimitStore`, the `RateLimitStore` port) and revocations (`createRedisRevocationChannel`,
 * the `RevocationChannel` port). See docs/multi-instance.md.
 */
export { createRedisRateLimitStore, type RedisRateLimitStoreOptions } from './rate-limit-store.js';
export {
  createRedisRevocationChannel,
  type RedisRevocationChannel,
  type RedisRevocationChannelOptions,
} from './revocation-channel.js';
