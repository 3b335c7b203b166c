export { createRedisRateLimitStore, type RedisRateLimitStoreOptions } from './rate-limit-store.js';
export {
  createRedisRevocationChannel,
  type RedisRevocationChannel,
  type RedisRevocationChannelOptions,
} from './revocation-channel.js';
