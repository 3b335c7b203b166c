import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseAuthEnv, randomToken, type AuthConfig, type ConfigIssue } from '@gatehouse-auth/core';
import { secretProblems } from '@gatehouse-auth/core/internal';
import type { Env } from './settings.js';

export const SECRET_FILE = 'demo-secret';

export interface DemoAuthConfig {
  readonly config: AuthConfig;
  /** Set when the signing secret came from the working directory rather than PHOENIX_SECRET. */
  readonly secretFile: { readonly path: string; readonly created: boolean } | null;
}

function generateSecret(): string {
  // base64url of 32 bytes is 43 characters; the retry is for the rare draw without a digit or a lower-case letter.
  for (;;) {
    const secret = randomToken(32);
    if (secretProblems(secret, 'secret') === null) return secret;
  }
}

function readSecretFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes the file only if nobody else did first (another instance starting on the same directory). */
function persistSecret(workingDir: string, path: string, secret: string): { secret: string; created: boolean } {
  mkdirSync(workingDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return { secret, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { secret: readSecretFile(path) ?? '', created: false };
  }
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

/**
 * Core's configuration with core's own defaults (authentication is off unless PHOENIX_ENABLE_AUTH=true;
 * `npm start` sets it from demo.env), so the CLI's `check-env` reports what this server does. One
 * convenience, so a fresh clone needs no setup: when auth needs a secret that PHOENIX_SECRET does
 * not give, one is generated once and kept in `<working dir>/demo-secret`.
 * Throws one ConfigError listing the demo's own `issues` and every auth problem together.
 */
export function loadAuthConfig(env: Env, workingDir: string, issues: readonly ConfigIssue[]): DemoAuthConfig {
  const withDefaults: Env = env;
  const parsed = tryParse(withDefaults);
  // With PHOENIX_SECRET unset, a complaint about it can only mean "auth is on and needs one".
  const needsSecret =
    env.PHOENIX_SECRET === undefined && parsed.issues.some((issue) => issue.variable === 'PHOENIX_SECRET');
  if (!needsSecret) return { config: settle(parsed, issues), secretFile: null };

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
      secretFile: { path, created: false },
    };
  }

  // Check everything else with the candidate before writing anything: a bad start leaves no file behind.
  const candidate = generateSecret();
  settle(tryParse({ ...withDefaults, PHOENIX_SECRET: candidate }), issues);
  const { secret, created } = persistSecret(workingDir, path, candidate);
  return {
    config: settle(tryParse({ ...withDefaults, PHOENIX_SECRET: secret }), issues),
    secretFile: { path, created },
  };
}
