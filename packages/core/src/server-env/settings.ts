import { isAbsolute, join, resolve } from 'node:path';
import type { ConfigIssue } from '../errors/index.js';

/** The process environment, or any map of variables (tests). */
export type ServerEnv = Readonly<Record<string, string | undefined>>;

export type DatabaseSettings =
  | { readonly kind: 'sqlite'; readonly filename: string }
  | { readonly kind: 'postgres'; readonly connectionString: string };

/** The server's own variables; the auth ones are `parseAuthEnv`'s business. */
export interface ServerSettings {
  /** `PHOENIX_HOST` (default `127.0.0.1`). */
  readonly host: string;
  /** `PHOENIX_PORT` (default 6006); 0 when the value is bad, which `parseAuthEnv` reports. */
  readonly port: number;
  /** `PHOENIX_WORKING_DIR` (default `./.data`): holds the SQLite file and the generated secret. */
  readonly workingDir: string;
  /** `PHOENIX_SQL_DATABASE_URL` (default: `phoenix.db` in the working directory). */
  readonly database: DatabaseSettings;
  /** `GATEHOUSE_REDIS_URL`: shared rate limits, lockouts and revocations across instances. */
  readonly redisUrl: string | null;
  /** `GATEHOUSE_TRUSTED_PROXIES`: socket addresses whose `X-Forwarded-For` is believed. */
  readonly trustedProxies: readonly string[];
}

/** The variables `readServerSettings` reads besides core's own (for `findUnknownVariables`' `known`). */
export const SERVER_VARIABLES: readonly string[] = ['GATEHOUSE_REDIS_URL', 'GATEHOUSE_TRUSTED_PROXIES'];

const SQLITE_FILE = 'phoenix.db';

function value(env: ServerEnv, name: string): string | null {
  const raw = env[name]?.trim();
  return raw ? raw : null;
}

/** PHOENIX_PORT is core's variable too (it derives the public URL): core reports a bad value. */
function readPort(raw: string | null): number {
  if (raw === null) return 6006;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isInteger(port) && port <= 65_535 ? port : 0;
}

/**
 * Reads the database URL the way Phoenix does (SQLAlchemy style: `sqlite:///relative.db`,
 * `sqlite:////absolute.db`). The value is never echoed: a PostgreSQL URL usually holds a password.
 */
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
  // The server, its tools and Gatehouse open the file on separate connections, so it must be a real file.
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

/**
 * Where a server keeps its state and how it listens, read the same way by the server and by the
 * `gatehouse` CLI, so the CLI opens the database a running server uses. Collects every problem
 * instead of stopping at the first, like `parseAuthEnv`; pass the `issues` on to `resolveAuthConfig`.
 */
export function readServerSettings(env: ServerEnv, cwd: string): { settings: ServerSettings; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const workingDir = resolve(cwd, value(env, 'PHOENIX_WORKING_DIR') ?? '.data');
  const settings: ServerSettings = {
    host: value(env, 'PHOENIX_HOST') ?? '127.0.0.1',
    port: readPort(value(env, 'PHOENIX_PORT')),
    workingDir,
    database: readDatabase(value(env, 'PHOENIX_SQL_DATABASE_URL'), workingDir, cwd, issues),
    redisUrl: readRedisUrl(value(env, 'GATEHOUSE_REDIS_URL'), issues),
    trustedProxies: (value(env, 'GATEHOUSE_TRUSTED_PROXIES') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  };
  return { settings, issues };
}
