import { ValidationError } from '@gatehouse-auth/core';

/** Small field readers: each refuses a bad value with a 422 that names the field. */
type Body = Readonly<Record<string, unknown>>;
export type JsonObject = Record<string, unknown>;

const MAX_TEXT = 1000;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requiredText(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new ValidationError(`${field} must be a non-empty string`);
  if (value.length > MAX_TEXT) throw new ValidationError(`${field} must be at most ${MAX_TEXT} characters`);
  return value.trim();
}

export function optionalText(body: Body, field: string): string | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ValidationError(`${field} must be a string`);
  if (value.length > MAX_TEXT) throw new ValidationError(`${field} must be at most ${MAX_TEXT} characters`);
  return value;
}

export function optionalObject(body: Body, field: string): JsonObject {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new ValidationError(`${field} must be a JSON object`);
  return value;
}

export function requiredObject(body: Body, field: string): JsonObject {
  const value = body[field];
  if (!isObject(value)) throw new ValidationError(`${field} must be a JSON object`);
  return value;
}

export function optionalNumber(body: Body, field: string): number | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValidationError(`${field} must be a finite number`);
  return value;
}

export function nonEmptyArray(body: Body, field: string, max: number): unknown[] {
  const value = body[field];
  if (!Array.isArray(value) || value.length === 0) throw new ValidationError(`${field} must be a non-empty array`);
  if (value.length > max) throw new ValidationError(`${field} must have at most ${max} items`);
  return value as unknown[];
}

/** Each item of an array must be an object; the message points at the item (`examples[3]`). */
export function objectAt(items: readonly unknown[], index: number, field: string): JsonObject {
  const item = items[index];
  if (!isObject(item)) throw new ValidationError(`${field}[${index}] must be a JSON object`);
  return item;
}

/** Runs field readers on one array item, so the 422 names the item: `spans[2].name must be ...`. */
export function within<T>(item: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`${item}.${error.message}`);
    throw error;
  }
}

export function oneOf<const T extends string>(body: Body, field: string, allowed: readonly T[]): T {
  const value = body[field];
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValidationError(`${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function idParam(raw: string, what: string): number {
  if (!/^[1-9]\d{0,14}$/.test(raw)) throw new ValidationError(`Invalid ${what} id: '${raw.slice(0, 64)}'`);
  return Number(raw);
}

export function limitQuery(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const limit = /^\d{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(limit >= 1 && limit <= max)) throw new ValidationError(`limit must be an integer from 1 to ${max}`);
  return limit;
}

export function cursorQuery(raw: string | undefined): number | null {
  if (raw === undefined || raw === '') return null;
  return idParam(raw, 'cursor');
}
