// A PostgreSQL for the benches, the way test/setup/postgres.ts gets one for the tests: DATABASE_URL
// when set, else a throw-away cluster from the newest /usr/lib/postgresql/<version>/bin on a free
// loopback port, removed by `stop()`. Durability is off (fsync, synchronous_commit): the benches
// measure lookups and notification latency, not the disk. Not a *.bench.mjs, so run.mjs skips it.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const POSTGRES_ROOT = '/usr/lib/postgresql';

function newestPostgresBin() {
  if (!existsSync(POSTGRES_ROOT)) return null;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((entry) => existsSync(join(POSTGRES_ROOT, entry, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? null : join(POSTGRES_ROOT, versions[0], 'bin');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function idOf(user, flag) {
  const { stdout } = await run('id', [flag, user]);
  return Number(stdout.trim());
}

/**
 * @returns {Promise<{ url: string, version: string, source: string, stop: () => Promise<void> }>}
 *   `url`: an admin URL (databases may be created on it).
 */
export async function startPostgres() {
  if (process.env.DATABASE_URL) {
    return {
      url: process.env.DATABASE_URL,
      version: 'server from DATABASE_URL',
      source: '`DATABASE_URL`',
      stop: async () => {},
    };
  }
  const bin = newestPostgresBin();
  if (bin === null)
    throw new Error(
      `bench: PostgreSQL needed: set DATABASE_URL, or install it so that ${POSTGRES_ROOT}/<version>/bin/initdb exists`,
    );
  // initdb and postgres refuse to run as root: run them as the postgres user then.
  const asRoot = process.getuid?.() === 0;
  const exec = (command, args) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { cwd: '/' })
      : run(join(bin, command), args, { cwd: '/' });
  const root = await mkdtemp(join(tmpdir(), 'gatehouse-bench-pg-'));
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
    const { stdout } = await exec('postgres', ['--version']);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      version: stdout.trim(),
      source: `a throw-away cluster from \`${bin}\` (fsync, synchronous_commit and full_page_writes off)`,
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

/** A fresh database on the server of `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl, name) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)}`);
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
