/**
 * @module
 * The in-process defaults of the ports `createGatehouse` uses when the host passes none: counters
 * and revocation fan-out that live in this process only (one instance; use the Redis or PostgreSQL
 * implementations when several instances must share them).
 */
export { createMemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './memory-rate-limit-store.js';
export { createLocalRevocationChannel } from './local-revocation-channel.js';
