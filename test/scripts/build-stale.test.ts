/**
 * `scripts/build-stale.mjs`, the build step of `npm start`: it builds what is stale and nothing
 * else. Run as the real script (real npm, real child processes) on a small workspace tree made
 * here, whose build scripts log each run, so the test counts builds instead of timing them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '../..');
const SCRIPT = join(repoRoot, 'scripts/build-stale.mjs');

let root: string;

function write(path: string, text: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** A workspace whose build appends its name to build.log and writes dist/index.js (failing on demand). */
function workspace(dir: string, name: string, deps: Record<string, string> = {}): void {
  write(
    `${dir}/package.json`,
    JSON.stringify({ name, version: '1.0.0', private: true, dependencies: deps, scripts: { build: 'node build.mjs' } }),
  );
  write(
    `${dir}/build.mjs`,
    `import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
appendFileSync('../../build.log', ${JSON.stringify(name)} + '\\n');
rmSync('dist', { recursive: true, force: true });
if (existsSync('src/FAIL')) process.exit(3);
mkdirSync('dist');
writeFileSync('dist/index.js', 'export {};\\n');
`,
  );
  write(`${dir}/src/index.ts`, `export const name = ${JSON.stringify(name)};\n`);
}

/** Runs the script; the workspace names built this time, in order. */
function run(...args: string[]): { built: string[]; status: number | null; stdout: string } {
  rmSync(join(root, 'build.log'), { force: true });
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: root, encoding: 'utf8' });
  let log = '';
  try {
    log = readFileSync(join(root, 'build.log'), 'utf8');
  } catch {
    // nothing was built
  }
  return { built: log.split('\n').filter(Boolean), status: result.status, stdout: result.stdout };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'gatehouse-build-stale-'));
  write('package.json', JSON.stringify({ name: 'fixture', private: true, workspaces: ['packages/*', 'examples/*'] }));
  write('tsconfig.base.json', '{}\n');
  write('package-lock.json', '{"lockfileVersion":3}\n');
  // Listed out of dependency order on purpose: the app needs web, web needs core.
  workspace('examples/app', '@fx/app', { '@fx/web': '1.0.0' });
  workspace('packages/web', '@fx/web', { '@fx/core': '1.0.0', 'left-pad': '1.0.0' });
  workspace('packages/core', '@fx/core');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the stale-build check of npm start', () => {
  it('builds everything the first time, dependencies first', () => {
    const first = run();
    expect(first.status).toBe(0);
    expect(first.built).toEqual(['@fx/core', '@fx/web', '@fx/app']);
    expect(first.stdout).toContain('build: @fx/core (never built)');
  });

  it('builds nothing when nothing changed', () => {
    const again = run();
    expect(again).toMatchObject({ status: 0, built: [] });
    expect(again.stdout).toBe('build: all 3 workspaces up to date\n');
  });

  it('a changed source rebuilds its workspace and the ones that depend on it, not the others', () => {
    write('packages/web/src/index.ts', 'export const name = "web, changed";\n');
    expect(run().built).toEqual(['@fx/web', '@fx/app']);
    write('packages/core/src/extra.ts', 'export {};\n');
    expect(run().built).toEqual(['@fx/core', '@fx/web', '@fx/app']);
    expect(run().built).toEqual([]);
  });

  it('looks at content, not modification times: rewriting a file unchanged, or a README, rebuilds nothing', () => {
    write('packages/core/src/index.ts', readFileSync(join(root, 'packages/core/src/index.ts'), 'utf8'));
    write('packages/core/README.md', '# core\n');
    write('packages/core/test/core.test.ts', '// a test file: not a build input\n');
    expect(run().built).toEqual([]);
  });

  it('a shared input (the lockfile, the base tsconfig) makes everything stale', () => {
    write('package-lock.json', '{"lockfileVersion":3,"packages":{}}\n');
    expect(run().built).toEqual(['@fx/core', '@fx/web', '@fx/app']);
    write('tsconfig.base.json', '{"compilerOptions":{}}\n');
    expect(run('--dry-run').stdout).toBe(
      ['@fx/core', '@fx/web', '@fx/app'].map((name) => `build: ${name} (inputs changed)\n`).join(''),
    );
    write('tsconfig.base.json', '{}\n');
  });

  it('a deleted output rebuilds that workspace only', () => {
    unlinkSync(join(root, 'packages/web/dist/index.js'));
    const result = run();
    expect(result.built).toEqual(['@fx/web']);
    expect(result.stdout).toContain('build: @fx/web (output missing)');
  });

  it('a failed build stops the run with its exit code and is retried the next time', () => {
    write('packages/web/src/FAIL', '');
    const failed = run();
    expect(failed).toMatchObject({ status: 3, built: ['@fx/web'] });
    expect(failed.stdout).toContain('build: @fx/web failed');
    rmSync(join(root, 'packages/web/src/FAIL'));
    // The failure left web without a stamp, so web is built again; its inputs are back to what app
    // was last built against, so app is not.
    expect(run().built).toEqual(['@fx/web']);
  });

  it('--dry-run builds nothing and says what it would build; --force takes everything', () => {
    write('examples/app/src/index.ts', 'export const name = "app, changed";\n');
    const dry = run('--dry-run');
    expect(dry.built).toEqual([]);
    expect(dry.stdout).toBe('build: @fx/app (inputs changed)\n');
    expect(run('--force', '--dry-run').stdout).toBe(
      ['@fx/core', '@fx/web', '@fx/app'].map((name) => `build: ${name} (forced)\n`).join(''),
    );
  });
});

describe('the repository wiring', () => {
  it('npm start builds only what is stale; npm run build (tests, CI) still builds everything', () => {
    const scripts = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.start).toBe(
      'node scripts/build-stale.mjs && node --env-file=examples/demo/demo.env examples/demo/dist/server.js',
    );
    expect(scripts.build).toBe('node scripts/build-stale.mjs --force');
  });
});
