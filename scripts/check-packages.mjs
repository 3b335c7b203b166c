#!/usr/bin/env node
// Runs publint (strict) and @arethetypeswrong/cli on every publishable workspace package.
// The only accepted attw finding is CJSResolvesToESM: the CJS build reaches the ESM-only jose and
// oauth4webapi through Node's require(esm), which is why engines.node is >= 20.19.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, 'packages');
const bin = (name) => join(root, 'node_modules', '.bin', name);
let failed = 0;

for (const entry of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, entry);
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.private) continue;
  for (const [label, cmd, args] of [
    ['publint', bin('publint'), ['--strict']],
    ['attw', bin('attw'), ['--pack', '.', '--format', 'ascii', '--ignore-rules', 'cjs-resolves-to-esm']],
  ]) {
    try {
      execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      console.log(`[check-packages] ${manifest.name}: ${label} ok`);
    } catch (error) {
      failed++;
      console.error(`[check-packages] ${manifest.name}: ${label} FAILED`);
      console.error(String(error.stdout ?? ''), String(error.stderr ?? ''));
    }
  }
}
if (failed > 0) process.exit(1);
