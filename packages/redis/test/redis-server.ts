/** A throw-away `redis-server` on loopback, without persistence, that a test can kill and restart. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START_TIMEOUT_MS = 10_000;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Starts it (again) on `port`, which a restart keeps. */
  start(): Promise<void>;
  /** SIGTERM, and waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL: no goodbye to the clients, as in a crash. */
  kill(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port for redis-server');
  return address.port;
}

async function waitUntilReady(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output().includes('Ready to accept connections')) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`redis-server on ${port} exited: ${output()}`);
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts one; `port` defaults to a free one. */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const chosenPort = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    if (child !== null) throw new Error('redis-server is already running');
    let output = '';
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(chosenPort),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ];
    const started = spawn('/usr/bin/redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitUntilReady(started, chosenPort, () => output);
    } catch (error) {
      await end('SIGKILL');
      throw error;
    }
  }

  async function end(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  }

  await start();
  return {
    port: chosenPort,
    url: `redis://127.0.0.1:${chosenPort}`,
    start,
    kill: () => end('SIGKILL'),
    async stop() {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
