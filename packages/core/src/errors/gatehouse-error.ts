import { type ErrorCode, httpStatusForCode } from './codes.js';

/**
 * A process-wide brand rather than `instanceof`: when an application loads both the ESM and the
 * CJS build of core (a dual-package hazard), there are two `GatehouseError` classes but one
 * `Symbol.for` registry, so the guard still recognises errors from either copy.
 */
const BRAND = Symbol.for('gatehouse.error');

/** What every error class takes after its message, as jose's errors do: `new X(message, { code, cause })`. */
export interface GatehouseErrorOptions {
  cause?: unknown;
}

/** The base class's options: the code is required here, each subclass defaults or narrows it. */
export interface GatehouseErrorInit extends GatehouseErrorOptions {
  code: ErrorCode;
}

export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly [BRAND] = true;

  constructor(message: string, { code, cause }: GatehouseErrorInit) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
  }

  get status(): number {
    return httpStatusForCode(this.code);
  }

  /** The JSON body every adapter sends: no stack, no cause, nothing secret. */
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isGatehouseError(value: unknown): value is GatehouseError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}
