import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// The release bump on a copy of the real manifests: one version everywhere, our own packages
// pinned to it, the changelog section dated, nothing else touched.
const repoRoot = resolve(import.meta.dirname, '../..');
const script = join(repoRoot, 'scripts/release-version.mjs');
const PACKAGES = ['cli', 'core', 'db', 'express', 'fastify', 'hono', 'redis'];
let scratch: string | undefined;

function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-release-'));
  for (const p of PACKAGES) {
    mkdirSync(join(dir, 'packages', p), { recursive: true });
    cpSync(join(repoRoot, 'packages', p, 'package.json'), join(dir, 'packages', p, 'package.json'));
  }
  writeFileSync(
    join(dir, 'CHANGELOG.md'),
    '# Changelog\n\n## Unreleased\n\n### Added\n- a thing\n\n## 0.0.1 - 2026-01-01\n',
  );
  return dir;
}
const run = (dir: string, ...args: string[]) =>
  execFileSync(process.execPath, [script, '--root', dir, ...args], { encoding: 'utf8', stdio: 'pipe' });
const manifest = (dir: string, p: string) =>
  JSON.parse(readFileSync(join(dir, 'packages', p, 'package.json'), 'utf8')) as Record<
    string,
    Record<string, string> | string
  >;

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe('scripts/release-version.mjs', () => {
  it('sets one version on every package and pins every @gatehouse-auth/* dependency and peer to it', () => {
    scratch = copyRepo();
    run(scratch, '0.7.3', '--date', '2026-12-24');
    for (const p of PACKAGES) {
      const m = manifest(scratch, p);
      expect(m.version, p).toBe('0.7.3');
      for (const field of ['dependencies', 'peerDependencies'] as const) {
        for (const [name, range] of Object.entries((m[field] ?? {}) as Record<string, string>)) {
          if (name.startsWith('@gatehouse-auth/')) expect(range, `${p} ${field} ${name}`).toBe('0.7.3');
          else
            expect(range, `${p} ${field} ${name}`).toBe(
              (
                JSON.parse(readFileSync(join(repoRoot, 'packages', p, 'package.json'), 'utf8')) as Record<
                  string,
                  Record<string, string>
                >
              )[field]![name],
            );
        }
      }
    }
    expect(readFileSync(join(scratch, 'CHANGELOG.md'), 'utf8')).toBe(
      '# Changelog\n\n## Unreleased\n\n## 0.7.3 - 2026-12-24\n\n### Added\n- a thing\n\n## 0.0.1 - 2026-01-01\n',
    );
  });

  it('refuses a version outside 0.x and a version already released, changing nothing', () => {
    scratch = copyRepo();
    const before = manifest(scratch, 'core');
    for (const bad of ['1.0.0', '0.2', '0.2.0-beta.1', '']) {
      expect(() => run(scratch!, bad)).toThrow(/expected a 0\.x\.y version/);
    }
    expect(() => run(scratch!, '0.0.1')).toThrow(/already has a 0\.0\.1 section/);
    expect(manifest(scratch, 'core')).toEqual(before);
  });
});
