import { describe, expect, it } from 'vitest';
import { clientAuthHeaders } from '../../src/config/index.js';
import { configErrorOf } from './helpers.js';

describe('clientAuthHeaders (docs/phoenix-contract.md#client-side)', () => {
  it.each<[string, Record<string, string | undefined>, Record<string, string>]>([
    ['nothing set', {}, {}],
    ['API key only', { PHOENIX_API_KEY: 'key-123' }, { authorization: 'Bearer key-123' }],
    ['API key trimmed', { PHOENIX_API_KEY: '  key-123 \n' }, { authorization: 'Bearer key-123' }],
    ['empty API key', { PHOENIX_API_KEY: '  ' }, {}],
    [
      'headers are decoded and names lower-cased',
      { PHOENIX_CLIENT_HEADERS: 'x-team=a%20b, X-Trace = 1 ,,', PHOENIX_API_KEY: 'k' },
      { 'x-team': 'a b', 'x-trace': '1', authorization: 'Bearer k' },
    ],
    [
      'an authorization header wins over the API key, whatever its case',
      { PHOENIX_CLIENT_HEADERS: 'Authorization=Basic%20dXNlcjpwYXNz', PHOENIX_API_KEY: 'k' },
      { authorization: 'Basic dXNlcjpwYXNz' },
    ],
    ['values may contain =', { PHOENIX_CLIENT_HEADERS: 'x-sig=a=b==' }, { 'x-sig': 'a=b==' }],
    ['empty value', { PHOENIX_CLIENT_HEADERS: 'x-empty=' }, { 'x-empty': '' }],
    ['later duplicates win', { PHOENIX_CLIENT_HEADERS: 'x-a=1,X-A=2' }, { 'x-a': '2' }],
  ])('%s', (_case, env, headers) => {
    expect(clientAuthHeaders(env)).toEqual(headers);
  });

  it('reads another prefix', () => {
    expect(
      clientAuthHeaders(
        { GATEHOUSE_API_KEY: 'g', PHOENIX_API_KEY: 'p', GATEHOUSE_CLIENT_HEADERS: 'x=1' },
        { prefix: 'GATEHOUSE_' },
      ),
    ).toEqual({
      x: '1',
      authorization: 'Bearer g',
    });
  });

  it('a header named __proto__ stays an ordinary key', () => {
    const headers = clientAuthHeaders({ PHOENIX_CLIENT_HEADERS: '__proto__=x' });
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['__proto__']);
  });

  it('rejects every malformed item in one ConfigError without echoing it', () => {
    const error = configErrorOf(() =>
      clientAuthHeaders({
        PHOENIX_CLIENT_HEADERS: 'novalue-SECRETISH,ok=1,bad=a b,=x,z=%E0%A4%A',
        PHOENIX_API_KEY: 'k',
      }),
    );
    expect(error.issues.map((issue) => issue.message)).toEqual(
      [1, 3, 4, 5].map(
        (n) =>
          `item ${n} of 5 is not a valid header: expected name=value pairs separated by ',' with the value percent-encoded (e.g. x-team=a%20b)`,
      ),
    );
    expect(new Set(error.issues.map((issue) => issue.variable))).toEqual(new Set(['PHOENIX_CLIENT_HEADERS']));
    expect(error.message).not.toContain('SECRETISH');
  });
});
