import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConfigError,
  ConflictError,
  GatehouseError,
  HTTP_STATUS_BY_CODE,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnavailableError,
  ValidationError,
  httpStatusForCode,
  isGatehouseError,
} from '../../src/errors/index.js';

describe('GatehouseError tree', () => {
  it.each([
    [new ValidationError('bad'), 'invalid_input', 422],
    [new ValidationError('weak', { code: 'password_policy' }), 'password_policy', 422],
    [new AuthenticationError('Invalid token', { code: 'invalid_token' }), 'invalid_token', 401],
    [new AuthenticationError('Expired token', { code: 'expired_token' }), 'expired_token', 401],
    [new PermissionDeniedError('no'), 'forbidden', 403],
    [new NotFoundError('User not found'), 'not_found', 404],
    [new ConflictError('Email already exists', { code: 'duplicate_email' }), 'duplicate_email', 409],
    [new RateLimitError('Too Many Requests', { retryAfterSeconds: 4.2 }), 'rate_limited', 429],
    [new UnavailableError('SMTP server not configured', { code: 'smtp_not_configured' }), 'smtp_not_configured', 503],
    [new ConfigError([{ variable: 'PHOENIX_SECRET', message: 'must be set' }]), 'config_invalid', 500],
  ])('%s carries code %s and status %i', (error, code, status) => {
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(httpStatusForCode(error.code)).toBe(status);
    expect(isGatehouseError(error)).toBe(true);
  });

  it('names the concrete class', () => {
    expect(new NotFoundError('x').name).toBe('NotFoundError');
    expect(new ConfigError([]).name).toBe('ConfigError');
  });

  it('serialises to the JSON error body without stack or cause', () => {
    const error = new AuthenticationError('Invalid email and/or password', {
      code: 'invalid_credentials',
      cause: new Error('secret detail'),
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      error: { code: 'invalid_credentials', message: 'Invalid email and/or password' },
    });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('rounds Retry-After up to whole seconds, at least one', () => {
    expect(new RateLimitError('slow down', { retryAfterSeconds: 4.2 }).retryAfterSeconds).toBe(5);
    expect(new RateLimitError('slow down', { retryAfterSeconds: 0 }).retryAfterSeconds).toBe(1);
  });

  it('lists every config issue in the message and keeps them frozen', () => {
    const error = new ConfigError([
      { variable: 'PHOENIX_SECRET', message: 'must be set' },
      { variable: 'PHOENIX_SMTP_PORT', message: 'must be an integer' },
    ]);
    expect(error.message).toContain('2 problems');
    expect(error.message).toContain('PHOENIX_SECRET: must be set');
    expect(error.message).toContain('PHOENIX_SMTP_PORT: must be an integer');
    expect(Object.isFrozen(error.issues)).toBe(true);
  });

  it('recognises a branded error from another copy of the module, and nothing else', () => {
    // What a GatehouseError from the other (ESM vs CJS) build looks like: same brand, other class.
    const foreign = Object.assign(new Error('x'), { code: 'forbidden', [Symbol.for('gatehouse.error')]: true });
    expect(isGatehouseError(foreign)).toBe(true);
    expect(isGatehouseError(Object.assign(new Error('x'), { code: 'forbidden' }))).toBe(false);
    expect(isGatehouseError(null)).toBe(false);
    expect(isGatehouseError('forbidden')).toBe(false);
  });

  it('maps every code to a 4xx or 5xx status', () => {
    for (const status of Object.values(HTTP_STATUS_BY_CODE)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
