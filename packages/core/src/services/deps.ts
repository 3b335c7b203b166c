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

/** Everything a service touches, passed in (DESIGN rule 2). */
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
}
