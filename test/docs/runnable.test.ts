import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Docs that run. Every code block preceded by `<!-- runnable: NAME -->` in the pages below claims to
 * be a complete program: it is written to a file as printed, started with tsx (as getting-started
 * tells Node 20 users to), with the port as the only change, and getting-started's first-login
 * walk-through (section 4) is replayed against it, ending with its recovery command for a
 * locked-out admin. The install lines of those pages must name packages this workspace publishes or
 * tests with.
 */
const repoRoot = resolve(import.meta.dirname, '../..');
const PAGES = ['docs/getting-started.md', 'docs/adapters.md'];
const SECRET = 'docs0runnable0test0secret0abcdefghijk1';
const NEW_PASSWORD = 'a-much-better-passphrase-1';

interface Program {
  page: string;
  name: string;
  code: string;
}

function runnablePrograms(page: string): Program[] {
  const text = readFileSync(join(repoRoot, page), 'utf8');
  const found: Program[] = [];
  for (const match of text.matchAll(/<!-- runnable: ([a-z0-9-]+) -->\n```ts\n([\s\S]*?)\n```/g)) {
    found.push({ page, name: match[1]!, code: match[2]! });
  }
  return found;
}

const programs = PAGES.flatMap(runnablePrograms);
// Runs happen inside the repository so the programs resolve the workspace's packages as a user's
// resolve their node_modules (a temporary directory elsewhere would see none).
const runsDir = join(repoRoot, 'test/docs/.runs');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill();
  rmSync(runsDir, { recursive: true, force: true });
});

/** A port the kernel just handed out and took back: free, and not one another test's server holds. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
}

async function waitForServer(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the program exited with ${child.exitCode}:\n${output()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`the program did not listen within 60 s:\n${output()}`);
}

function cookiesOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');
}

describe('install commands name real packages', () => {
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  const ours = new Set(
    readdirSync(join(repoRoot, 'packages')).map(
      (p) => (JSON.parse(readFileSync(join(repoRoot, 'packages', p, 'package.json'), 'utf8')) as { name: string }).name,
    ),
  );
  for (const page of PAGES) {
    it(`${page}: every npm install / npx names a workspace package or one the tests install`, () => {
      const text = readFileSync(join(repoRoot, page), 'utf8');
      const names: string[] = [];
      for (const block of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
        for (const line of block[1]!.split('\n')) {
          const install = /^\s*npm (?:install|i)\s+(.*?)\s*(?:#.*)?$/.exec(line);
          if (install) names.push(...install[1]!.split(/\s+/).filter((w) => w && !w.startsWith('-')));
        }
      }
      for (const inline of text.matchAll(/`npx (@gatehouse-auth\/[a-z]+)/g)) names.push(inline[1]!);
      expect(names.length).toBeGreaterThan(0);
      for (const raw of names) {
        const name = raw.replace(/(.)@[^/]*$/, '$1');
        if (name.startsWith('@gatehouse-auth/')) expect(ours, `${page}: ${raw}`).toContain(name);
        else
          expect(Object.keys(root.devDependencies), `${page}: ${raw} is not installed by this workspace`).toContain(
            name,
          );
      }
    });
  }
});

describe('every runnable program in the docs', () => {
  it('type-checks under strict TypeScript (nodenext), as a TypeScript user compiles it', async () => {
    mkdirSync(runsDir, { recursive: true });
    const dir = mkdtempSync(join(runsDir, 'typecheck-'));
    for (const program of programs) writeFileSync(join(dir, `${program.name}.ts`), `${program.code}\nexport {};\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../../../tsconfig.base.json',
        compilerOptions: { noEmit: true },
        include: ['*.ts'],
      }),
    );
    const result = await new Promise<{ code: number | null; output: string }>((done) => {
      execFile(
        process.execPath,
        [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', dir],
        (error, stdout, stderr) =>
          done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr }),
      );
    });
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  }, 120_000);

  it('finds the programs the pages mark (three servers in getting-started, one in adapters)', () => {
    expect(programs.map((p) => `${p.page}#${p.name}`)).toEqual([
      'docs/getting-started.md#express',
      'docs/getting-started.md#fastify',
      'docs/getting-started.md#hono',
      'docs/adapters.md#hono-routes',
    ]);
  });

  describe.concurrent.each(programs)('$page: $name', (program) => {
    it('runs as printed and passes the first-login walk-through', async () => {
      const port = await freePort();
      expect(program.code.match(/\b6006\b/g), 'the program listens on 6006, the port the docs use').not.toBeNull();
      mkdirSync(runsDir, { recursive: true });
      const dir = mkdtempSync(join(runsDir, `${program.name}-`));
      writeFileSync(join(dir, 'server.ts'), program.code.replace(/\b6006\b/g, String(port)));
      let output = '';
      const serverEnv = { ...process.env, PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET };
      const child = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
        cwd: dir,
        env: serverEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
      const base = `http://localhost:${port}`;
      try {
        await waitForServer(`${base}/v1/notes`, child, () => output);
        const json = { 'content-type': 'application/json' };
        const login = (password: string) =>
          fetch(`${base}/auth/login`, {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ email: 'admin@localhost', password }),
          });

        // log in: 204 and two HttpOnly cookies
        const first = await login('admin');
        expect(first.status).toBe(204);
        let cookie = cookiesOf(first);
        expect(cookie).toMatch(/phoenix-access-token=.+; phoenix-refresh-token=.+/);

        // who am I? the profile says the password must be changed
        const me = await fetch(`${base}/v1/user`, { headers: { cookie } });
        expect(await me.json()).toMatchObject({
          data: { email: 'admin@localhost', role: 'ADMIN', auth_method: 'LOCAL', password_needs_reset: true },
        });

        // choose a new password: needs the current one
        const changed = await fetch(`${base}/v1/user`, {
          method: 'PATCH',
          headers: { ...json, cookie },
          body: JSON.stringify({ password: NEW_PASSWORD, current_password: 'admin' }),
        });
        expect(changed.ok).toBe(true);
        // This session stays signed in; the other sessions (none here) ended.
        expect((await fetch(`${base}/v1/user`, { headers: { cookie } })).status).toBe(200);

        // log in with the new password; password_needs_reset is now false
        const second = await login(NEW_PASSWORD);
        expect(second.status).toBe(204);
        cookie = cookiesOf(second);
        expect(await (await fetch(`${base}/v1/user`, { headers: { cookie } })).json()).toMatchObject({
          data: { password_needs_reset: false },
        });

        // your routes
        expect((await fetch(`${base}/v1/notes`, { headers: { cookie } })).status).toBe(200);
        expect((await fetch(`${base}/v1/notes/1`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
        const anonymous = await fetch(`${base}/v1/notes/1`, { method: 'DELETE' });
        expect(anonymous.status).toBe(401);
        expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');

        // "If you are locked out": the recovery command as the page prints it, run in the server's
        // directory with the server's environment, finds the server's database by the CLI's rule.
        const recovery = /`(npx @gatehouse-auth\/cli reset-password --email admin@localhost)`/.exec(
          readFileSync(join(repoRoot, 'docs/getting-started.md'), 'utf8'),
        );
        expect(recovery, 'getting-started prints the recovery command').not.toBeNull();
        const [npx, ...args] = recovery![1]!.split(' ');
        const reset = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
          execFile(npx!, args, { cwd: dir, env: serverEnv }, (error, stdout, stderr) =>
            done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
          );
        });
        expect(reset, reset.stderr).toMatchObject({ code: 0 });
        const printed = /^password: (\S+)$/m.exec(reset.stdout);
        expect(printed, reset.stdout).not.toBeNull();
        // Every session of the user ended: its refresh token is refused at once (an access token this
        // SQLite server already checked lives out its minutes; docs/cli.md says so). The printed
        // password signs in and must be changed.
        expect((await fetch(`${base}/auth/refresh`, { method: 'POST', headers: { cookie } })).status).toBe(401);
        const rescued = await login(printed![1]!);
        expect(rescued.status).toBe(204);
        expect(
          await (await fetch(`${base}/v1/user`, { headers: { cookie: cookiesOf(rescued) } })).json(),
        ).toMatchObject({ data: { password_needs_reset: true } });
      } catch (error) {
        // The program's own output is what explains a failure here.
        throw new Error(`${(error as Error).message}\n--- ${program.name} printed ---\n${output}`, { cause: error });
      } finally {
        child.kill();
      }
    }, 120_000);
  });
});
