import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthConfig } from '../config/index.js';
import { parseAuthEnv, secretProblems } from '../config/index.js';
import { randomToken } from '../crypto/index.js';
import { ConfigError, type ConfigIssue } from '../errors/index.js';
import type { ServerEnv } from './settings.js';

/** The file in the working directory that holds the generated signing secret. */
export const SECRET_FILE = 'demo-secret';

export type SecretSource =
  /** PHOENIX_SECRET is set. */
  | { readonly kind: 'env' }
  /** The secret in `<working dir>/demo-secret`; `created` when this call generated it. */
  | { readonly kind: 'file'; readonly path: string; readonly created: boolean }
  /** No PHOENIX_SECRET and no file yet (tools only): the server will generate one at `path` on its first start. */
  | { readonly kind: 'pending'; readonly path: string }
  /** Authentication is off and no secret is set. */
  | { readonly kind: 'none' };

export interface ResolvedAuthConfig {
  readonly config: AuthConfig;
  readonly secret: SecretSource;
}

export interface ResolveAuthConfigOptions {
  /**
   * `true` for the server: a missing secret file is generated and saved (mode 0600). `false` for
   * tools such as the CLI, which never write it: the rest of the environment is checked with a
   * stand-in secret and the source says `pending`, so commands that sign can refuse rather than
   * sign with a key no server will ever hold.
   */
  readonly createSecretFile: boolean;
}

type Parsed = { config: AuthConfig; issues: readonly [] } | { config: null; issues: readonly ConfigIssue[] };

function tryParse(env: ServerEnv): Parsed {
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

/**
 * Core's configuration with core's own defaults (authentication is off unless
 * PHOENIX_ENABLE_AUTH=true, as in Phoenix). One convenience, so a fresh checkout needs no setup:
 * when auth needs a secret that PHOENIX_SECRET does not give, the one in `<working dir>/demo-secret`
 * is used, generated once by the server (`createSecretFile`).
 * Throws one ConfigError listing `issues` (from `readServerSettings`) and every auth problem together.
 */
export function resolveAuthConfig(
  env: ServerEnv,
  workingDir: string,
  issues: readonly ConfigIssue[],
  options: ResolveAuthConfigOptions,
): ResolvedAuthConfig {
  const parsed = tryParse(env);
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
      config: settle(tryParse({ ...env, PHOENIX_SECRET: existing }), issues),
      secret: { kind: 'file', path, created: false },
    };
  }
  if (!options.createSecretFile) {
    return {
      config: settle(tryParse({ ...env, PHOENIX_SECRET: generateSecret() }), issues),
      secret: { kind: 'pending', path },
    };
  }

  // Check everything else with the candidate before writing anything: a bad start leaves no file behind.
  const candidate = generateSecret();
  settle(tryParse({ ...env, PHOENIX_SECRET: candidate }), issues);
  const { secret, created } = persistSecret(workingDir, path, candidate);
  return {
    config: settle(tryParse({ ...env, PHOENIX_SECRET: secret }), issues),
    secret: { kind: 'file', path, created },
  };
}
