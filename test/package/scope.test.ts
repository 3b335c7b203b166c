import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// `@gatehouse` on npm, and the unscoped `gatehouse`, are other people's packages: an install line,
// import or bare-bin npx call that names them would run a stranger's code. Our scope is `@gatehouse-auth`.
const repoRoot = resolve(import.meta.dirname, '../..');
// Assembled so this file does not match itself.
const OLD_SCOPE = new RegExp(['@gatehouse', '/'].join(''));
const UNSCOPED_NPX = new RegExp(['npx', 'gatehouse(?![-\\w/])'].join('\\s+'));

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f.length > 0 && !/\.(png|jpe?g|ico|tgz)$/.test(f));
}

function offendingLines(pattern: RegExp): string[] {
  const found: string[] = [];
  for (const file of trackedFiles()) {
    let text: string;
    try {
      text = readFileSync(join(repoRoot, file), 'utf8');
    } catch {
      continue; // deleted in the work tree
    }
    text.split('\n').forEach((line, i) => {
      // The changelog's one rename note names the old scope on purpose.
      if (file === 'CHANGELOG.md' && /renamed from/i.test(line)) return;
      if (pattern.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe('package names', () => {
  it('no file refers to the old @gatehouse scope', () => {
    expect(offendingLines(OLD_SCOPE)).toEqual([]);
  });

  it('no doc runs the unscoped `gatehouse` package through npx', () => {
    expect(offendingLines(UNSCOPED_NPX)).toEqual([]);
  });

  it('every publishable package is in the @gatehouse-auth scope', () => {
    const names = trackedFiles()
      .filter((f) => /^packages\/[^/]+\/package\.json$/.test(f))
      .map((f) => (JSON.parse(readFileSync(join(repoRoot, f), 'utf8')) as { name: string }).name);
    expect(names.length).toBe(7);
    for (const name of names) expect(name).toMatch(/^@gatehouse-auth\/[a-z]+$/);
  });
});
