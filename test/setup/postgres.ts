/**
 * vitest globalSetup: a PostgreSQL for the store tests. Uses DATABASE_URL when set (CI starts a
 * server and exports it); otherwise starts a throw-away cluster from the local PostgreSQL
 * binaries on a free loopback port and removes it in teardown. The URL (or the reason there is
 * none) is handed to test files through `inject`; a test file that needs PostgreSQL fails with
 * that reason, it never skips.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An admin URL of a PostgreSQL server the tests may create databases on; '' when none. */
    databaseUrl: string;
    /** Why there is no PostgreSQL, when `databaseUrl` is ''. */
    databaseSetupError: string;
  }
}

const run = promisify(execFile);
const POSTGRES_ROOT = '/usr/lib/postgresql';

function newestPostgresBin(): string | null {
  if (!existsSync(POSTGRES_ROOT)) return null;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((entry) => existsSync(join(POSTGRES_ROOT, entry, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? null : join(POSTGRES_ROOT, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function idOf(user: string, flag: '-u' | '-g'): Promise<number> {
  const { stdout } = await run('id', [flag, user]);
  return Number(stdout.trim());
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    project.provide('databaseUrl', fromEnv);
    project.provide('databaseSetupError', '');
    return undefined;
  }

  const bin = newestPostgresBin();
  if (bin === null) {
    project.provide('databaseUrl', '');
    project.provide(
      'databaseSetupError',
      `PostgreSQL tests need a server: set DATABASE_URL, or install PostgreSQL so that ${POSTGRES_ROOT}/<version>/bin/initdb exists (apt-get install postgresql)`,
    );
    return undefined;
  }

  // initdb and postgres refuse to run as root: run them as the postgres user then.
  const asRoot = process.getuid?.() === 0;
  const exec = (command: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { cwd: '/' })
      : run(join(bin, command), args, { cwd: '/' });

  const root = await mkdtemp(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(root, 'data');
  const stop = async () => {
    try {
      if (existsSync(join(data, 'postmaster.pid'))) await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };
  try {
    if (asRoot) await chown(root, await idOf('postgres', '-u'), await idOf('postgres', '-g'));
    await exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    const settings = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      `-k ${root}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ');
    await exec('pg_ctl', ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', '60', '-o', settings, 'start']);
    project.provide('databaseUrl', `postgres://postgres@127.0.0.1:${port}/postgres`);
    project.provide('databaseSetupError', '');
  } catch (error) {
    await stop().catch(() => {});
    project.provide('databaseUrl', '');
    project.provide('databaseSetupError', `Could not start a throw-away PostgreSQL from ${bin}: ${String(error)}`);
    return undefined;
  }
  return stop;
}
