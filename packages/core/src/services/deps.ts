import type { AuditRecorder } from '../audit/trail.js';
import type { AuthConfig } from '../config/index.js';
import type { PasswordHasher } from '../crypto/index.js';
import type { AuthStore, Clock, Mailer, RateLimitStore, RevocationChannel } from '../ports.js';
import type { TokenCodec } from '../tokens/index.js';

/** Structured log sink. Services never pass a secret, password or token to it. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Everything a service touches, passed in (docs/architecture.md#rule-2). */
export interface ServiceDeps {
  readonly config: AuthConfig;
  readonly store: AuthStore;
  readonly hasher: PasswordHasher;
  readonly tokens: TokenCodec;
  readonly rateLimits: RateLimitStore;
  readonly revocations: RevocationChannel;
  readonly clock: Clock;
  readonly mailer: Mailer | null;
  readonly logger: Logger;
  /**
   * Security events (docs/audit.md). Inside a request it stamps the request's client address, user
   * agent and id; recording is an in-memory push, never I/O on the caller's path.
   */
  readonly audit: AuditRecorder;
}
