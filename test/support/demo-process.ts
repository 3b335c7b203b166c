/**
 * The built demo (`examples/demo/dist/server.js`) as a child process, run as a user runs it: nothing
 * in its environment but what the test passes. `npm run build` (or `npm test`) builds it first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const serverJs = join(repoRoot, 'examples/demo/dist/server.js');

export interface Demo {
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once('exit', (code) => done(code)));
}

export function spawnDemo(
  cwd: string,
  env: Record<string, string>,
): { child: ChildProcess; out: string[]; err: string[] } {
  // What `npm start` sets from examples/demo/demo.env; a test passes PHOENIX_ENABLE_AUTH=false for auth off.
  const child = spawn(process.execPath, [serverJs], {
    cwd,
    env: { PATH: process.env.PATH ?? '', PHOENIX_ENABLE_AUTH: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
  return { child, out, err };
}

export async function startDemo(workingDir: string, env: Record<string, string> = {}): Promise<Demo> {
  const { child, out, err } = spawnDemo(workingDir, { PHOENIX_WORKING_DIR: workingDir, PHOENIX_PORT: '0', ...env });
  const stdout = () => out.join('');
  const stderr = () => err.join('');
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (url === undefined) {
    if (child.exitCode !== null) throw new Error(`the demo exited with ${child.exitCode}:\n${stderr()}`);
    if (Date.now() > deadline) throw new Error(`the demo did not start:\n${stdout()}\n${stderr()}`);
    url = /listening on (http:\/\/\S+)/.exec(stdout())?.[1];
    if (url === undefined) await new Promise((wait) => setTimeout(wait, 50));
  }
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.text()).toBe('ok');
  return {
    url,
    stdout,
    stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited(child);
    },
  };
}
