/** A throw-away `redis-server` on loopback that a test can kill and bring back on the same port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisProcess {
  readonly url: string;
  /** SIGKILL: no goodbye to the clients, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}

async function ready(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  while (!out.includes('Ready to accept connections')) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${out}`);
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start: ${out}`);
    await new Promise((wait) => setTimeout(wait, 20));
  }
}

export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await ready(port, child);
  };
  const end = async (signal: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const gone = new Promise((done) => running.once('exit', done));
    running.kill(signal);
    await gone;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill: () => end('SIGKILL'), start, stop: () => end('SIGTERM') };
}
