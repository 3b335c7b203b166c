import type { ErrorCode } from './codes.js';
import { GatehouseError, type GatehouseErrorOptions } from './gatehouse-error.js';

/** One problem found in the environment: which variable, what was wrong, what is expected. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Thrown once by `parseAuthEnv` with every problem it found, never with a secret value. */
export class ConfigError extends GatehouseError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.variable}: ${issue.message}`);
    super(
      `Invalid authentication configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      { code: 'config_invalid' },
    );
    this.issues = Object.freeze([...issues]);
  }
}

type ValidationCode = Extract<
  ErrorCode,
  | 'bad_request'
  | 'malformed_json'
  | 'malformed_path'
  | 'invalid_logout_token'
  | 'host_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_input'
  | 'invalid_email'
  | 'password_policy'
  | 'passkey_rejected'
>;
export class ValidationError extends GatehouseError {
  constructor(
    message: string,
    { code = 'invalid_input', cause }: GatehouseErrorOptions & { code?: ValidationCode } = {},
  ) {
    super(message, { code, cause });
  }
}

type AuthenticationCode = Extract<
  ErrorCode,
  | 'unauthenticated'
  | 'invalid_token'
  | 'expired_token'
  | 'session_expired'
  | 'invalid_credentials'
  | 'untrusted_origin'
  | 'invalid_mfa_code'
  | 'mfa_required'
  | 'invalid_passkey'
>;
export class AuthenticationError extends GatehouseError {
  constructor(message: string, { code, cause }: GatehouseErrorOptions & { code: AuthenticationCode }) {
    super(message, { code, cause });
  }
}

type PermissionCode = Extract<ErrorCode, 'forbidden' | 'auth_disabled' | 'basic_auth_disabled' | 'mfa_unavailable'>;
export class PermissionDeniedError extends GatehouseError {
  constructor(message: string, { code = 'forbidden', cause }: GatehouseErrorOptions & { code?: PermissionCode } = {}) {
    super(message, { code, cause });
  }
}

export class NotFoundError extends GatehouseError {
  constructor(
    message: string,
    {
      code = 'not_found',
      cause,
    }: GatehouseErrorOptions & { code?: Extract<ErrorCode, 'not_found' | 'method_not_allowed'> } = {},
  ) {
    super(message, { code, cause });
  }
}

type ConflictCode = Extract<
  ErrorCode,
  | 'conflict'
  | 'duplicate_email'
  | 'duplicate_username'
  | 'reserved_username'
  | 'mfa_already_enrolled'
  | 'passkey_already_registered'
>;
export class ConflictError extends GatehouseError {
  constructor(message: string, { code = 'conflict', cause }: GatehouseErrorOptions & { code?: ConflictCode } = {}) {
    super(message, { code, cause });
  }
}

export class RateLimitError extends GatehouseError {
  /** Seconds until a retry can succeed; adapters send it as `Retry-After`. */
  readonly retryAfterSeconds: number;

  constructor(
    message: string,
    {
      code = 'rate_limited',
      cause,
      retryAfterSeconds,
    }: GatehouseErrorOptions & {
      code?: Extract<ErrorCode, 'rate_limited' | 'too_many_login_attempts'>;
      retryAfterSeconds: number;
    },
  ) {
    super(message, { code, cause });
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

export class UnavailableError extends GatehouseError {
  constructor(
    message: string,
    {
      code = 'unavailable',
      cause,
    }: GatehouseErrorOptions & { code?: Extract<ErrorCode, 'unavailable' | 'smtp_not_configured'> } = {},
  ) {
    super(message, { code, cause });
  }
}

/**
 * Gatehouse is up but has more of one kind of work queued than it accepts (password hashing
 * during a login storm). 503 with `Retry-After`, so well-behaved clients back off.
 */
export class OverloadedError extends GatehouseError {
  /** Seconds until the queue is expected to have room; adapters send it as `Retry-After`. */
  readonly retryAfterSeconds: number;

  constructor(message: string, { cause, retryAfterSeconds }: GatehouseErrorOptions & { retryAfterSeconds: number }) {
    super(message, { code: 'overloaded', cause });
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** The LDAP directory could not be asked (down, TLS failure, time-out): 503 with `Retry-After`, never a lockout. */
export class DirectoryUnavailableError extends GatehouseError {
  /** Seconds until a retry may succeed; adapters send it as `Retry-After`. */
  readonly retryAfterSeconds: number;

  constructor(message: string, { cause, retryAfterSeconds }: GatehouseErrorOptions & { retryAfterSeconds: number }) {
    super(message, { code: 'directory_unavailable', cause });
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/**
 * A feature needs an optional package the host did not install (`pg` for PostgreSQL,
 * `@gatehouse-auth/redis` for the CLI's Redis fan-out). `packageName` is what to `npm install`.
 */
export class MissingDependencyError extends GatehouseError {
  readonly packageName: string;

  constructor(packageName: string, feature: string, options?: GatehouseErrorOptions) {
    super(`${feature} needs the package "${packageName}", which is not installed: run \`npm install ${packageName}\``, {
      code: 'dependency_missing',
      cause: options?.cause,
    });
    this.packageName = packageName;
  }
}

/**
 * A stored secret that no configured key opens: tampering, or an encryption key removed while
 * values sealed under it remain. A server fault (500), never a wrong-credential answer.
 */
export class UndecryptableSecretError extends GatehouseError {
  constructor(message: string, { cause }: GatehouseErrorOptions = {}) {
    super(message, { code: 'internal', cause });
  }
}

/**
 * Every error Gatehouse throws on purpose, as one union (like jose's error classes): narrow it on
 * `code` or with `instanceof`. `isGatehouseError` recognises each of them, from either build of core.
 */
export type AnyGatehouseError =
  | ConfigError
  | ValidationError
  | AuthenticationError
  | PermissionDeniedError
  | NotFoundError
  | ConflictError
  | RateLimitError
  | UnavailableError
  | OverloadedError
  | DirectoryUnavailableError
  | MissingDependencyError
  | UndecryptableSecretError;
