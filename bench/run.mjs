// `npm run bench`: runs every bench/*.bench.mjs (or those named on the command line) and rewrites
// bench/RESULTS.md. Never part of `npm test`.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineDescription } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const sections = [];
for (const file of files) {
  const mod = await import(join(here, file));
  console.error(`[bench] ${file} …`);
  const body = await mod.run();
  sections.push(`## ${mod.title}\n\n_Source: \`bench/${file}\`_\n\n${body}\n`);
  console.log(`\n## ${mod.title}\n${body}`);
}

const report = [
  '# Benchmark results',
  '',
  'Written by `npm run bench` (mitata; averages over adaptive sample counts). Ratios compare cases measured in the same process and run; absolute numbers are only meaningful on the machine below.',
  '',
  machineDescription(),
  '',
  ...sections,
].join('\n');
const resultsPath = join(here, 'RESULTS.md');
if (only.length === 0 || !existsSync(resultsPath)) writeFileSync(resultsPath, report);
else {
  // A filtered run replaces only its own sections (matched by title) and the machine line.
  let existing = readFileSync(resultsPath, 'utf8');
  // The machine block describes the newest run.
  const machineStart = existing.indexOf('- date: ');
  const machineEnd = existing.indexOf('\n\n', machineStart);
  if (machineStart !== -1 && machineEnd !== -1)
    existing = `${existing.slice(0, machineStart)}${machineDescription()}${existing.slice(machineEnd)}`;
  for (const section of sections) {
    const heading = section.slice(0, section.indexOf('\n'));
    const start = existing.indexOf(`${heading}\n`);
    if (start === -1) {
      existing = `${existing.trimEnd()}\n\n${section}`;
      continue;
    }
    const next = existing.indexOf('\n## ', start + heading.length);
    existing = `${existing.slice(0, start)}${section}${next === -1 ? '' : existing.slice(next + 1)}`;
  }
  writeFileSync(resultsPath, existing);
  console.error('[bench] filtered run: replaced its sections of RESULTS.md');
}
