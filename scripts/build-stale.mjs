#!/usr/bin/env node
/**
 * Builds the workspaces whose build is stale, in dependency order, and leaves the rest alone.
 *
 *   node scripts/build-stale.mjs            build what changed since its last successful build (npm start)
 *   node scripts/build-stale.mjs --force    build every workspace (npm run build, CI)
 *   node scripts/build-stale.mjs --dry-run  only say what would be built, and why
 *
 * A workspace is stale when its stamp (`dist/.build-stamp`, written after a successful build) is
 * missing, names an output file that is gone, or was made from other inputs. The inputs are the
 * content of the workspace's files (all but node_modules, dist, test and Markdown), the root's
 * tsconfig.base.json and package-lock.json, and the input hashes of the workspaces it depends on,
 * so a change in core rebuilds core and everything built on it. Content, not modification times:
 * a checkout or a `touch` that changes nothing rebuilds nothing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const STAMP = join('dist', '.build-stamp');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'test', '.turbo', 'coverage']);
const ROOT_INPUTS = ['tsconfig.base.json', 'package-lock.json'];

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The workspace folders the root package.json names (`dir/*` globs or plain folders). */
function workspaceDirs(root) {
  const patterns = readJson(join(root, 'package.json')).workspaces ?? [];
  return patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return existsSync(join(root, pattern, 'package.json')) ? [pattern] : [];
    const parent = pattern.slice(0, -2);
    if (!existsSync(join(root, parent))) return [];
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json')))
      .map((entry) => `${parent}/${entry.name}`)
      .sort();
  });
}

/** Every workspace with a build script, each before the workspaces that depend on it. */
export function workspaces(root) {
  const all = workspaceDirs(root).map((dir) => {
    const manifest = readJson(join(root, dir, 'package.json'));
    const deps = Object.keys({
      ...manifest.dependencies,
      ...manifest.devDependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    });
    return { dir, name: manifest.name, deps, build: typeof manifest.scripts?.build === 'string' };
  });
  const byName = new Map(all.map((ws) => [ws.name, ws]));
  const ordered = [];
  const state = new Map();
  const visit = (ws, path) => {
    if (state.get(ws.name) === 'done') return;
    if (state.get(ws.name) === 'visiting')
      throw new Error(`workspace dependency cycle: ${[...path, ws.name].join(' -> ')}`);
    state.set(ws.name, 'visiting');
    for (const dep of ws.deps) if (byName.has(dep)) visit(byName.get(dep), [...path, ws.name]);
    state.set(ws.name, 'done');
    ordered.push({ ...ws, deps: ws.deps.filter((dep) => byName.has(dep)) });
  };
  for (const ws of all) visit(ws, []);
  return ordered.filter((ws) => ws.build || ordered.some((other) => other.deps.includes(ws.name)));
}

function filesUnder(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : filesUnder(path, base);
    if (!entry.isFile() || entry.name.endsWith('.md')) return [];
    return [relative(base, path)];
  });
}

function hashInputs(root, ws, depHashes) {
  const hash = createHash('sha256');
  for (const name of ROOT_INPUTS) {
    const path = join(root, name);
    hash
      .update(`root:${name}\0`)
      .update(existsSync(path) ? readFileSync(path) : '')
      .update('\0');
  }
  for (const dep of [...ws.deps].sort()) hash.update(`dep:${dep}:${depHashes.get(dep)}\0`);
  const dir = join(root, ws.dir);
  for (const file of filesUnder(dir).sort())
    hash
      .update(`file:${file}\0`)
      .update(readFileSync(join(dir, file)))
      .update('\0');
  return hash.digest('hex');
}

function readStamp(root, ws) {
  try {
    return readJson(join(root, ws.dir, STAMP));
  } catch {
    return null;
  }
}

/** For each workspace: its input hash and why it must be built (null: it is up to date). */
export function planBuild(root, { force = false } = {}) {
  const hashes = new Map();
  return workspaces(root).map((ws) => {
    const hash = hashInputs(root, ws, hashes);
    hashes.set(ws.name, hash);
    if (!ws.build) return { ...ws, hash, reason: null };
    const stamp = readStamp(root, ws);
    let reason = null;
    if (force) reason = 'forced';
    else if (stamp === null) reason = 'never built';
    else if (stamp.hash !== hash) reason = 'inputs changed';
    else if (!Array.isArray(stamp.outputs) || stamp.outputs.some((file) => !existsSync(join(root, ws.dir, file))))
      reason = 'output missing';
    return { ...ws, hash, reason };
  });
}

function writeStamp(root, ws) {
  const dist = join(root, ws.dir, 'dist');
  const outputs = existsSync(dist) ? filesUnder(dist).map((file) => join('dist', file)) : [];
  writeFileSync(
    join(root, ws.dir, STAMP),
    `${JSON.stringify({ hash: ws.hash, outputs: outputs.filter((file) => file !== STAMP) }, null, 1)}\n`,
  );
}

/** Builds the stale workspaces one after the other; stops at the first failure (no stamp for it). */
export function buildStale(root, { force = false, dryRun = false, log = console.log } = {}) {
  const plan = planBuild(root, { force });
  const stale = plan.filter((ws) => ws.reason !== null);
  if (stale.length === 0) {
    log(`build: all ${plan.filter((ws) => ws.build).length} workspaces up to date`);
    return { built: [], status: 0 };
  }
  const built = [];
  for (const ws of stale) {
    log(`build: ${ws.name} (${ws.reason})`);
    if (dryRun) continue;
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = spawnSync(npm, ['run', 'build', '--workspace', ws.dir], { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) {
      log(`build: ${ws.name} failed`);
      return { built, status: result.status ?? 1 };
    }
    writeStamp(root, ws);
    built.push(ws.name);
  }
  return { built, status: 0 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = new Set(process.argv.slice(2));
  const root = resolve(process.cwd());
  const { status } = buildStale(root, { force: args.has('--force'), dryRun: args.has('--dry-run') });
  process.exit(status);
}
