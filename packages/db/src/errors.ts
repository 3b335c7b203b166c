import { ConflictError, GatehouseError, UnavailableError, isGatehouseError } from '@gatehouse-auth/core';

export const UNAVAILABLE_MESSAGE = 'Authentication store unavailable';

/**
 * The database was migrated by a newer Gatehouse than this one. Refusing to start is the only
 * safe answer: this code cannot know what the newer migrations changed.
 */
export class SchemaVersionError extends GatehouseError {
  readonly databaseVersion: number;
  readonly supportedVersion: number;

  constructor(databaseVersion: number, supportedVersion: number) {
    super(
      `Database schema version ${databaseVersion} is newer than the newest version this @gatehouse-auth/db knows (${supportedVersion}); upgrade Gatehouse before using this database`,
      { code: 'internal' },
    );
    this.databaseVersion = databaseVersion;
    this.supportedVersion = supportedVersion;
  }
}

interface DriverErrorFields {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

function fieldsOf(error: unknown): DriverErrorFields {
  return typeof error === 'object' && error !== null ? error : {};
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/** SQLite result codes (primary part) that mean "the file cannot be used right now". */
const SQLITE_UNAVAILABLE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL']);

/**
 * PostgreSQL SQLSTATEs: 08 connection exceptions, 53 resources, 57P0x shutdown/startup, and 55000
 * when it is the database refusing connections (`ALLOW_CONNECTIONS false`), not another prerequisite.
 */
function isPostgresUnavailable(code: string, message: unknown): boolean {
  if (code === '55000') return typeof message === 'string' && message.includes('not currently accepting connections');
  return /^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-4]$/.test(code);
}

/** pg and Kysely report some connection failures without a code; their messages are stable. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Cannot use a pool after calling end on the pool/,
  /^Client has encountered a connection error/,
  /^driver has already been destroyed/,
  /^The database connection is not open/,
];

export function isUnavailable(error: unknown): boolean {
  const { code, message } = fieldsOf(error);
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    if (code.startsWith('SQLITE_') && SQLITE_UNAVAILABLE.has(code.replace(/^(SQLITE_[A-Z]+).*$/, '$1'))) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && isPostgresUnavailable(code, message)) return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // net's happy-eyeballs connect reports every failed address in an AggregateError.
  return error instanceof AggregateError && error.errors.length > 0 && error.errors.every(isUnavailable);
}

type ViolationKind = 'unique' | 'foreign_key' | 'other';

interface Violation {
  kind: ViolationKind;
  /** The column (SQLite) or constraint (PostgreSQL) that was violated, when the driver says. */
  target: string;
}

function constraintViolation(error: unknown): Violation | null {
  const { code, constraint, message } = fieldsOf(error);
  if (typeof code !== 'string') return null;
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    const text = typeof message === 'string' ? message : '';
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      // "UNIQUE constraint failed: users.email" (columns, never the constraint's name)
      return { kind: 'unique', target: text.replace(/^UNIQUE constraint failed: /, '') };
    }
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return { kind: 'foreign_key', target: '' };
    return { kind: 'other', target: text };
  }
  // SQLSTATE class 23: integrity constraint violation.
  if (/^23[0-9A-Z]{3}$/.test(code)) {
    const target = typeof constraint === 'string' ? constraint : '';
    if (code === '23505') return { kind: 'unique', target };
    if (code === '23503') return { kind: 'foreign_key', target };
    return { kind: 'other', target };
  }
  return null;
}

function conflictFor(violation: Violation, cause: unknown): ConflictError {
  if (violation.kind === 'unique') {
    if (violation.target === 'users.email' || violation.target === 'users_email_key') {
      return new ConflictError('Email already exists', { code: 'duplicate_email', cause });
    }
    if (violation.target === 'users.username' || violation.target === 'users_username_key') {
      return new ConflictError('Username already exists', { code: 'duplicate_username', cause });
    }
    return new ConflictError('Record already exists', { code: 'conflict', cause });
  }
  if (violation.kind === 'foreign_key')
    return new ConflictError('Referenced record does not exist', { code: 'conflict', cause });
  return new ConflictError('Record violates a store constraint', { code: 'conflict', cause });
}

/**
 * Turns a driver error into the port's typed errors: constraint violations become
 * `ConflictError`, lost or unreachable databases `UnavailableError`. Anything else is a bug or
 * an unexpected driver state and is rethrown untouched, so its stack still points at the cause.
 */
export function toStoreError(error: unknown): unknown {
  if (isGatehouseError(error)) return error;
  const violation = constraintViolation(error);
  if (violation) return conflictFor(violation, error);
  if (isUnavailable(error)) return new UnavailableError(UNAVAILABLE_MESSAGE, { code: 'unavailable', cause: error });
  return error;
}
