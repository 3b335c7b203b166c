/**
 * Starting the real servers the tests run against (PgBouncer, slapd): a free loopback port, a child
 * process whose output is kept for the failure message, and a wait until it answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** A port nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts a TCP connection on the loopback port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when it has exited. */
  readonly exited: Promise<void>;
}

export function spawnServer(command: string, args: readonly string[]): ServerProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => output, exited };
}

/**
 * Polls `ready` until it says yes; throws with the server's last output when the process exits
 * first or `timeoutMs` passes (then the process is killed).
 */
export async function waitUntilReady(
  server: ServerProcess,
  name: string,
  ready: () => Promise<boolean>,
  { timeoutMs, intervalMs }: { timeoutMs: number; intervalMs: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { exitCode } = server.child;
    if (exitCode !== null)
      throw new Error(`${name} exited (${exitCode}) at start-up:\n${server.output().slice(-2000)}`);
    if (await ready()) return;
    if (Date.now() > deadline) {
      server.child.kill('SIGKILL');
      throw new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${server.output().slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
