/**
 * A real PgBouncer in transaction mode in front of the test PostgreSQL, for one test file: Debian's
 * `pgbouncer` binary (1.18: no tracking of protocol-level prepared statements, like any PgBouncer
 * before 1.21 or with `max_prepared_statements = 0`) started from a generated config on a
 * free loopback port, never the system service. Trust auth, like the test server behind it.
 * PgBouncer refuses to run as root, so as root it runs as the `postgres` user.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, freePort, spawnServer, waitUntilReady } from '../../../../test/support/processes.js';

const BINARY = '/usr/sbin/pgbouncer';

export interface PgBouncer {
  /** `url` with its host and port replaced by PgBouncer's. */
  readonly url: string;
  /** What PgBouncer logged so far. */
  log(): string;
  close(): Promise<void>;
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
  const config = join(dir, 'pgbouncer.ini');
  const server =
    process.getuid?.() === 0
      ? spawnServer('runuser', ['-u', 'postgres', '--', BINARY, config])
      : spawnServer(BINARY, [config]);
  await waitUntilReady(server, 'pgbouncer', () => accepts(port), { timeoutMs: 10_000, intervalMs: 50 });

  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    log: () => server.output(),
    async close() {
      if (server.child.exitCode === null) {
        // runuser passes SIGTERM on to pgbouncer (a fast shutdown).
        server.child.kill('SIGTERM');
        await server.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
