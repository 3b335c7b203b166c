#!/usr/bin/env node
// Sets one version on every publishable package (the packages are released in lockstep while
// they are 0.x), pins their @gatehouse-auth/* dependencies and peers to it, and turns
// CHANGELOG.md's "## Unreleased" into "## <version> - <date>". docs/releasing.md is the procedure.
//   node scripts/release-version.mjs 0.2.0 [--root <dir>] [--date YYYY-MM-DD]
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args.splice(at, 2)[1];
};
const root = option('--root') ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const date = option('--date') ?? new Date().toISOString().slice(0, 10);
const [version] = args;

function fail(message) {
  console.error(`release-version: ${message}`);
  process.exit(2);
}
// 0.x only until the API is declared stable; no pre-release tags through this script.
if (!version || !/^0\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(version))
  fail(`expected a 0.x.y version, got ${JSON.stringify(version)}`);
if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) fail(`--date must be YYYY-MM-DD`);

const packagesDir = join(root, 'packages');
const manifests = readdirSync(packagesDir)
  .sort()
  .map((entry) => join(packagesDir, entry, 'package.json'))
  .filter((path) => existsSync(path))
  .map((path) => ({ path, json: JSON.parse(readFileSync(path, 'utf8')) }))
  .filter(({ json }) => !json.private);
const ours = new Set(manifests.map(({ json }) => json.name));

const changelogPath = join(root, 'CHANGELOG.md');
const changelog = readFileSync(changelogPath, 'utf8');
if (!changelog.includes('\n## Unreleased\n')) fail('CHANGELOG.md has no "## Unreleased" section to release');
if (changelog.includes(`\n## ${version} `)) fail(`CHANGELOG.md already has a ${version} section`);

for (const { path, json } of manifests) {
  json.version = version;
  for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
    for (const name of Object.keys(json[field] ?? {})) if (ours.has(name)) json[field][name] = version;
  }
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
}
writeFileSync(changelogPath, changelog.replace('\n## Unreleased\n', `\n## Unreleased\n\n## ${version} - ${date}\n`));
console.log(
  `release-version: ${manifests.length} packages at ${version}; next: npm install, commit, git tag v${version}`,
);
