/**
 * Where the server keeps its state, resolved exactly as the demo server does
 * (examples/demo/src/settings.ts): the CLI must open the database a running server uses. The few
 * lines are duplicated on purpose rather than shared, so the demo stays a self-contained example;
 * keep the two in step.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { ConfigIssue } from '@gatehouse-auth/core';
import type { Env } from './io.js';

export type DatabaseSettings =
  | { readonly kind: 'sqlite'; readonly filename: string }
  | { readonly kind: 'postgres'; readonly connectionString: string };

export interface ServerSettings {
  /** `PHOENIX_WORKING_DIR` (default `./.data`): holds the SQLite file and the generated secret. */
  readonly workingDir: string;
  readonly database: DatabaseSettings;
  /** `GATEHOUSE_REDIS_URL`: where running servers listen for revocations, when set. */
  readonly redisUrl: string | null;
}

const SQLITE_FILE = 'phoenix.db';

function value(env: Env, name: string): string | null {
  const raw = env[name]?.trim();
  return raw ? raw : null;
}

/** SQLAlchemy style, as Phoenix: `sqlite:///relative.db`, `sqlite:////absolute.db`, `postgresql://…`. Never echoed. */
function readDatabase(raw: string | null, workingDir: string, cwd: string, issues: ConfigIssue[]): DatabaseSettings {
  const fallback: DatabaseSettings = { kind: 'sqlite', filename: join(workingDir, SQLITE_FILE) };
  if (raw === null) return fallback;
  if (/^postgres(ql)?:\/\//i.test(raw)) return { kind: 'postgres', connectionString: raw };
  const path = /^sqlite:\/\/\/(.+)$/i.exec(raw)?.[1];
  if (path === undefined) {
    issues.push({
      variable: 'PHOENIX_SQL_DATABASE_URL',
      message: 'PHOENIX_SQL_DATABASE_URL must start with postgresql://, postgres:// or sqlite:///',
    });
    return fallback;
  }
  if (path.startsWith(':memory:') || path.startsWith('file::memory:')) {
    issues.push({
      variable: 'PHOENIX_SQL_DATABASE_URL',
      message: 'PHOENIX_SQL_DATABASE_URL must name a file, not an in-memory database',
    });
    return fallback;
  }
  return { kind: 'sqlite', filename: isAbsolute(path) ? path : resolve(cwd, path) };
}

function readRedisUrl(raw: string | null, issues: ConfigIssue[]): string | null {
  if (raw === null) return null;
  if (/^rediss?:\/\/[^\s]+$/i.test(raw)) return raw;
  issues.push({
    variable: 'GATEHOUSE_REDIS_URL',
    message: 'GATEHOUSE_REDIS_URL must start with redis:// or rediss://',
  });
  return null;
}

/** Collects every problem instead of stopping at the first, like `parseAuthEnv`. */
export function readServerSettings(env: Env, cwd: string): { settings: ServerSettings; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const workingDir = resolve(cwd, value(env, 'PHOENIX_WORKING_DIR') ?? '.data');
  const settings: ServerSettings = {
    workingDir,
    database: readDatabase(value(env, 'PHOENIX_SQL_DATABASE_URL'), workingDir, cwd, issues),
    redisUrl: readRedisUrl(value(env, 'GATEHOUSE_REDIS_URL'), issues),
  };
  return { settings, issues };
}
