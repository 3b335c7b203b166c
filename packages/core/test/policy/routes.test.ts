import { describe, expect, it } from 'vitest';
import { normaliseRoutePattern } from '../../src/policy/index.js';

describe('normaliseRoutePattern', () => {
  it.each([
    ['/v1/users/:id', '/v1/users/{}'],
    ['/v1/users/{id}', '/v1/users/{}'],
    ['/v1/users/{user_id}', '/v1/users/{}'],
    ['/v1/users/:id/', '/v1/users/{}'],
    ['/v1/users/:id{[0-9]+}', '/v1/users/{}'],
    ['/v1/users/:id?', '/v1/users/{}'],
    ['/v1/Users', '/v1/users'],
    ['/v1//users///', '/v1/users'],
    ['/v1/users?cursor=abc', '/v1/users'],
    ['/v1/users#top', '/v1/users'],
    ['/v1/projects/{project_identifier}/spans', '/v1/projects/{}/spans'],
    ['/', '/'],
    ['', '/'],
    ['v1/users', '/v1/users'],
  ])('%j -> %j', (input, expected) => {
    expect(normaliseRoutePattern(input)).toBe(expected);
  });
});
