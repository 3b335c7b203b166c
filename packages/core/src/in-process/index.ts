/**
 * @module
 * The in-process defaults of the ports `createGatehouse` uses when the host passes none: counters,
 * revocation fan-out and the stderr logger, all in this process only (one instance; use the Redis or PostgreSQL
 * implementations when several instances must share them).
 */
export { createMemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './memory-rate-limit-store.js';
export { createLocalRevocationChannel } from './local-revocation-channel.js';
export { createStderrLogger, type LogLevel, type StderrLoggerOptions } from './stderr-logger.js';
