/**
 * A real PgBouncer in transaction mode in front of the test PostgreSQL, for one test file: Debian's
 * `pgbouncer` binary (1.18: no tracking of protocol-level prepared statements, like any PgBouncer
 * before 1.21 or with `max_prepared_statements = 0`) started from a generated config on a
 * free loopback port, never the system service. Trust auth, like the test server behind it.
 * PgBouncer refuses to run as root, so as root it runs as the `postgres` user.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = '/usr/sbin/pgbouncer';

export interface PgBouncer {
  /** `url` with its host and port replaced by PgBouncer's. */
  readonly url: string;
  /** What PgBouncer logged so far. */
  log(): string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** PgBouncer for the server of `url` (a database URL on loopback), `serverConnections` per database and user. */
export async function startPgBouncer(url: string, serverConnections: number): Promise<PgBouncer> {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: apt-get install pgbouncer (.ci/run installs it)`);
  const target = new URL(url);
  const user = decodeURIComponent(target.username) || 'postgres';
  const port = await freePort();
  // From 1.21 PgBouncer can track prepared statements (on by default from 1.22): off, as in the
  // deployments this stands for.
  const [major = 0, minor = 0] = (
    /PgBouncer (\d+)\.(\d+)/.exec(execFileSync(BINARY, ['--version'], { encoding: 'utf8' })) ?? []
  )
    .slice(1)
    .map(Number);
  const tracksStatements = major > 1 || (major === 1 && minor >= 21);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pgbouncer-'));
  // Readable by the postgres user when we are root.
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${serverConnections}`,
      'max_client_conn = 100',
      'ignore_startup_parameters = extra_float_digits',
      ...(tracksStatements ? ['max_prepared_statements = 0'] : []),
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = asRoot
    ? spawn('runuser', ['-u', 'postgres', '--', BINARY, join(dir, 'pgbouncer.ini')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(BINARY, [join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited at start-up:\n${output}`);
    if (await accepts(port)) break;
    if (attempt > 200) {
      child.kill('SIGKILL');
      throw new Error(`pgbouncer did not listen within 10 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    log: () => output,
    async close() {
      if (child.exitCode === null) {
        // runuser passes SIGTERM on to pgbouncer (a fast shutdown).
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
