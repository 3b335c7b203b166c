export { createMemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './memory-rate-limit-store.js';
export { createLocalRevocationChannel } from './local-revocation-channel.js';
export { createStderrLogger, type LogLevel, type StderrLoggerOptions } from './stderr-logger.js';
export { createSmtpMailer, type SmtpMailer, type SmtpMailerOptions } from './smtp-mailer.js';
export { REVOCATION_ALL, decodeRevocationMessage, encodeRevocationMessage, type RevocationWireMessage } from './revocation-wire.js';
export { createRevocationRelay, type RevocationRelay, type RevocationRelayOptions } from './revocation-relay.js';
