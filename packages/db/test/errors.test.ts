import { ConflictError, GatehouseError, UnavailableError } from '@gatehouse-auth/core';
import { describe, expect, it } from 'vitest';
import { toStoreError } from '../src/errors.js';

function driverError(fields: { code?: string; constraint?: string; message?: string }): Error {
  return Object.assign(new Error(fields.message ?? 'driver error'), fields);
}

describe('toStoreError: constraint violations become ConflictError', () => {
  it.each([
    [
      'PG unique users_email_key',
      { code: '23505', constraint: 'users_email_key' },
      'duplicate_email',
      'Email already exists',
    ],
    [
      'PG unique users_username_key',
      { code: '23505', constraint: 'users_username_key' },
      'duplicate_username',
      'Username already exists',
    ],
    [
      'PG unique OAuth2 identity',
      { code: '23505', constraint: 'users_oauth2_identity_key' },
      'conflict',
      'Record already exists',
    ],
    [
      'PG foreign key',
      { code: '23503', constraint: 'sessions_user_id_fkey' },
      'conflict',
      'Referenced record does not exist',
    ],
    [
      'PG check',
      { code: '23514', constraint: 'users_local_auth_check' },
      'conflict',
      'Record violates a store constraint',
    ],
    ['PG not null', { code: '23502' }, 'conflict', 'Record violates a store constraint'],
    [
      'SQLite unique email',
      { code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: users.email' },
      'duplicate_email',
      'Email already exists',
    ],
    [
      'SQLite unique username',
      { code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: users.username' },
      'duplicate_username',
      'Username already exists',
    ],
    [
      'SQLite unique OAuth2 identity',
      {
        code: 'SQLITE_CONSTRAINT_UNIQUE',
        message: 'UNIQUE constraint failed: users.oauth2_client_id, users.oauth2_user_id',
      },
      'conflict',
      'Record already exists',
    ],
    [
      'SQLite foreign key',
      { code: 'SQLITE_CONSTRAINT_FOREIGNKEY', message: 'FOREIGN KEY constraint failed' },
      'conflict',
      'Referenced record does not exist',
    ],
    [
      'SQLite check',
      { code: 'SQLITE_CONSTRAINT_CHECK', message: 'CHECK constraint failed: users_local_auth_check' },
      'conflict',
      'Record violates a store constraint',
    ],
  ] as const)('%s', (_label, fields, code, message) => {
    const cause = driverError(fields);
    const mapped = toStoreError(cause);
    expect(mapped).toBeInstanceOf(ConflictError);
    expect(mapped).toMatchObject({ code, message, cause });
  });
});

describe('toStoreError: lost or unreachable databases become UnavailableError', () => {
  it.each([
    ['ECONNREFUSED', driverError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' })],
    ['ETIMEDOUT', driverError({ code: 'ETIMEDOUT' })],
    ['ECONNRESET', driverError({ code: 'ECONNRESET' })],
    ['PG admin shutdown 57P01', driverError({ code: '57P01' })],
    ['PG cannot connect now 57P03', driverError({ code: '57P03' })],
    ['PG connection failure 08006', driverError({ code: '08006' })],
    ['PG unable to connect 08001', driverError({ code: '08001' })],
    ['PG too many connections 53300', driverError({ code: '53300' })],
    ['SQLITE_BUSY', driverError({ code: 'SQLITE_BUSY', message: 'database is locked' })],
    ['SQLITE_BUSY_SNAPSHOT', driverError({ code: 'SQLITE_BUSY_SNAPSHOT' })],
    ['SQLITE_CANTOPEN', driverError({ code: 'SQLITE_CANTOPEN', message: 'unable to open database file' })],
    ['SQLITE_IOERR_WRITE', driverError({ code: 'SQLITE_IOERR_WRITE' })],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg: pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg: pool ended', new Error('Cannot use a pool after calling end on the pool')],
    ['better-sqlite3: closed', new TypeError('The database connection is not open')],
    [
      'every address refused',
      new AggregateError([driverError({ code: 'ECONNREFUSED' }), driverError({ code: 'ECONNREFUSED' })]),
    ],
  ])('%s', (_label, cause) => {
    const mapped = toStoreError(cause);
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped).toMatchObject({ code: 'unavailable', message: 'Authentication store unavailable', cause });
  });
});

describe('toStoreError: everything else is rethrown as it is', () => {
  it.each([
    ['PG undefined table', driverError({ code: '42P01' })],
    ['PG syntax error', driverError({ code: '42601' })],
    ['SQLite generic error', driverError({ code: 'SQLITE_ERROR', message: 'no such table: users' })],
    ['a TypeError', new TypeError('x is not a function')],
    ['a plain value', 'boom'],
    ['an AggregateError of programming errors', new AggregateError([new TypeError('a')])],
    ['an already typed error', new ConflictError('Email already exists', { code: 'duplicate_email' })],
    ['a GatehouseError', new GatehouseError('x', { code: 'internal' })],
  ])('%s', (_label, error) => {
    expect(toStoreError(error)).toBe(error);
  });
});
