// `npm run bench`: runs every bench/*.bench.mjs (or those named on the command line) and rewrites
// bench/RESULTS.md. Never part of `npm test`.
import { readdirSync, writeFileSync } from 'node:fs';
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
if (only.length === 0) writeFileSync(join(here, 'RESULTS.md'), report);
else console.error('[bench] filtered run: RESULTS.md left unchanged');
