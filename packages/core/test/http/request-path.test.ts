import { describe, expect, it } from 'vitest';
import { MAX_PATH_LENGTH, canonicalRequestPath, pathOfTarget } from '../../src/http/request-path.js';

describe('canonicalRequestPath', () => {
  it.each([
    ['/v1/projects/1', '/v1/projects/1'],
    ['/', '/'],
    ['/V1/Projects/1', '/v1/projects/1'],
    ['//v1//projects///1/', '/v1/projects/1'],
    ['/v1/%70rojects/1', '/v1/projects/1'],
    ['/v1/%50ROJECTS/1', '/v1/projects/1'],
    ['/v1/projects/%C3%A9t%C3%A9', '/v1/projects/été'],
    ['/v1/.well-known', '/v1/.well-known'],
    ['/v1/projects/a.b', '/v1/projects/a.b'],
    ['/v1/users/:id', '/v1/users/:id'],
  ])('%s → %s', (input, expected) => {
    expect(canonicalRequestPath(input)).toBe(expected);
  });

  it.each([
    ['an absolute-form target', 'http://127.0.0.1/v1/projects/1'],
    ['a relative path', 'v1/projects'],
    ['the empty string', ''],
    ['an encoded slash', '/v1/projects%2F1'],
    ['an encoded slash, lower case', '/v1/projects%2f1'],
    ['an encoded backslash', '/v1/projects%5C1'],
    ['a raw backslash', '/v1/projects\\1'],
    ['a double-encoded slash', '/v1/projects%252F1'],
    ['a double-encoded dot', '/v1/%252e%252e/users'],
    ['a dot segment', '/v1/./projects'],
    ['a dot-dot segment', '/v1/x/../users'],
    ['an encoded dot-dot segment', '/v1/%2e%2e/users'],
    ['a half-encoded dot-dot segment', '/v1/.%2E/users'],
    ['a malformed escape', '/v1/users/%E0%A4%A'],
    ['a truncated escape', '/v1/users/%'],
    ['an encoded NUL', '/v1/users/%00'],
    ['a raw control character', '/v1/us\u0001ers'],
    ['a raw space', '/v1/a b'],
    ['a segment ending in a dot', '/v1/secrets.'],
    ['a segment ending in dots', '/v1/projects/...'],
    ['an encoded trailing dot', '/v1/secrets%2e'],
    ['a segment ending in an encoded space', '/v1/secrets%20'],
    ['a matrix parameter', '/v1/secrets;x'],
    ['an encoded semicolon', '/v1/secrets%3Bx'],
    ['a semicolon after a parameter', '/v1/projects/1;'],
    ['an overlong path', `/v1/${'a'.repeat(MAX_PATH_LENGTH)}`],
  ])('refuses %s', (_label, input) => {
    expect(canonicalRequestPath(input)).toBeNull();
  });
});

describe('pathOfTarget', () => {
  it.each([
    ['/v1/x?y=1', '/v1/x'],
    ['/v1/x#f', '/v1/x'],
    ['/v1/x', '/v1/x'],
    ['http://127.0.0.1:6006/v1/x?y', '/v1/x'],
    ['HTTPS://evil.example/v1/x', '/v1/x'],
    ['http://host', '/'],
    ['*', '*'],
  ])('%s → %s', (input, expected) => {
    expect(pathOfTarget(input)).toBe(expected);
  });
});
