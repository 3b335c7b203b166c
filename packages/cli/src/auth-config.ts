/**
 * Core's configuration, parsed by core's own `parseAuthEnv` with its defaults (authentication is
 * off unless PHOENIX_ENABLE_AUTH=true, as in Phoenix and in every server built on the library), so
 * `check-env` reports what the server will do. One convenience of the demo server, resolved exactly
 * as examples/demo/src/auth-config.ts does (duplicated on purpose; keep the two in step): without
 * PHOENIX_SECRET the signing secret is the one the server generated into `<working dir>/demo-secret`.
 *
 * Unlike the server, the CLI never writes that file: when it does not exist yet, the rest of the
 * environment is checked with a stand-in secret and the source says so (`pending`), so commands
 * that sign something can refuse rather than sign with a key no server will ever hold.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseAuthEnv, randomToken, type AuthConfig, type ConfigIssue } from '@gatehouse-auth/core';
import { secretProblems } from '@gatehouse-auth/core/internal';
import type { Env } from './io.js';

export const SECRET_FILE = 'demo-secret';

export type SecretSource =
  | { readonly kind: 'env' }
  | { readonly kind: 'file'; readonly path: string }
  /** No PHOENIX_SECRET and no file yet: the server will generate one at `path` on its first start. */
  | { readonly kind: 'pending'; readonly path: string }
  /** Authentication is off and no secret is set. */
  | { readonly kind: 'none' };

export interface ResolvedAuthConfig {
  readonly config: AuthConfig;
  readonly secret: SecretSource;
}

type Parsed = { config: AuthConfig; issues: readonly [] } | { config: null; issues: readonly ConfigIssue[] };

function tryParse(env: Env): Parsed {
  try {
    return { config: parseAuthEnv(env), issues: [] };
  } catch (error) {
    if (error instanceof ConfigError) return { config: null, issues: error.issues };
    throw error;
  }
}

function settle(parsed: Parsed, issues: readonly ConfigIssue[]): AuthConfig {
  if (parsed.config === null || issues.length > 0) throw new ConfigError([...issues, ...parsed.issues]);
  return parsed.config;
}

function readSecretFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function standInSecret(): string {
  // As the server generates its own: retried for the rare draw without a digit or a lower-case letter.
  for (;;) {
    const secret = randomToken(32);
    if (secretProblems(secret, 'secret') === null) return secret;
  }
}

/** Throws one ConfigError listing the server settings' `issues` and every auth problem together. */
export function resolveAuthConfig(env: Env, workingDir: string, issues: readonly ConfigIssue[]): ResolvedAuthConfig {
  const withDefaults: Env = env;
  const parsed = tryParse(withDefaults);
  // With PHOENIX_SECRET unset, a complaint about it can only mean "auth is on and needs one".
  const needsSecret =
    env.PHOENIX_SECRET === undefined && parsed.issues.some((issue) => issue.variable === 'PHOENIX_SECRET');
  if (!needsSecret) {
    const config = settle(parsed, issues);
    return { config, secret: config.secret === null ? { kind: 'none' } : { kind: 'env' } };
  }

  const path = join(workingDir, SECRET_FILE);
  const existing = readSecretFile(path);
  if (existing !== null) {
    const problem = secretProblems(existing, `The secret in ${path}`);
    if (problem !== null) {
      const others = parsed.issues.filter((issue) => issue.variable !== 'PHOENIX_SECRET');
      const fileIssue = {
        variable: 'PHOENIX_SECRET',
        message: `${problem}: delete the file to generate a new one, or set PHOENIX_SECRET`,
      };
      throw new ConfigError([...issues, fileIssue, ...others]);
    }
    return {
      config: settle(tryParse({ ...withDefaults, PHOENIX_SECRET: existing }), issues),
      secret: { kind: 'file', path },
    };
  }
  return {
    config: settle(tryParse({ ...withDefaults, PHOENIX_SECRET: standInSecret() }), issues),
    secret: { kind: 'pending', path },
  };
}
