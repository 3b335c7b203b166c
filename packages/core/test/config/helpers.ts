import { expect } from 'vitest';
import { ConfigError, type ConfigIssue } from '../../src/errors/index.js';
import { parseAuthEnv } from '../../src/config/index.js';

export type Env = Record<string, string | undefined>;

/** A secret that passes every rule (41 characters, digits and lower-case letters). */
export const VALID_SECRET = 'validsecret123456789012345678901234567890';

/** Runs `fn`, which must throw a ConfigError, and returns the error. */
export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

export function issuesOf(env: Env, prefix?: string): readonly ConfigIssue[] {
  return configErrorOf(() => parseAuthEnv(env, prefix === undefined ? {} : { prefix })).issues;
}

/** A complete, valid IdP `name` (upper-case env segment) for the default prefix. */
export function idpEnv(name: string, overrides: Env = {}): Env {
  const upper = name.toUpperCase();
  return {
    [`PHOENIX_OAUTH2_${upper}_CLIENT_ID`]: 'client_id',
    [`PHOENIX_OAUTH2_${upper}_CLIENT_SECRET`]: 'secret',
    [`PHOENIX_OAUTH2_${upper}_OIDC_CONFIG_URL`]: 'https://example.com/.well-known/openid-configuration',
    ...Object.fromEntries(
      Object.entries(overrides).map(([suffix, value]) => [`PHOENIX_OAUTH2_${upper}_${suffix}`, value]),
    ),
  };
}
