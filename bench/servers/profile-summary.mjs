// Where a bench server's time went: `node bench/servers/profile-summary.mjs <file.cpuprofile> [top]`
// prints self time by package and by function, and inclusive time by function (FILTER=<regex> to
// narrow that list). Profiles come from BENCH_HTTP_CPU_PROF=<dir>.
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/servers/profile-summary.mjs <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

// Sample counts per node, weighted by the time delta that follows each sample.
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}

function where(url) {
  if (!url) return '(native / V8)';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return nm[1];
  const pkg = url.match(/\/packages\/([^/]+)\//);
  if (pkg) return `@gatehouse-auth/${pkg[1]}`;
  if (url.startsWith('node:')) return `node core (${url.slice(5)})`;
  if (url.includes('/bench/')) return 'bench server';
  return url;
}

const label = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'}  ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
};

const byPackage = new Map();
const byFunction = new Map();
let total = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  total += us;
  const pkg = where(node.callFrame.url);
  const group = pkg.startsWith('node core') ? 'node core' : pkg;
  byPackage.set(group, (byPackage.get(group) ?? 0) + us);
  const key = label(node);
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
}

// Inclusive time: a node's own samples plus its descendants', counted once per function per stack
// (recursion must not count twice).
const children = new Map(profile.nodes.map((n) => [n.id, n.children ?? []]));
const nodesById = new Map(profile.nodes.map((n) => [n.id, n]));
const root = profile.nodes[0];
const inclusive = new Map();
(function walk(id, onStack) {
  const node = nodesById.get(id);
  const key = label(node);
  const fresh = !onStack.has(key);
  if (fresh) onStack.add(key);
  let sum = selfUs.get(id) ?? 0;
  for (const child of children.get(id)) sum += walk(child, onStack);
  if (fresh) {
    inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
    onStack.delete(key);
  }
  return sum;
})(root.id, new Set());
const only = process.env.FILTER ? new RegExp(process.env.FILTER) : null;
const inclusiveShown = new Map([...inclusive].filter(([k]) => !k.startsWith('(root)') && (!only || only.test(k))));

const rows = (map) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([name, us]) =>
        `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    )
    .join('\n');

console.log(
  `${file}: ${(total / 1000).toFixed(0)} ms sampled\n\nself time by package\n${rows(byPackage)}\n\nself time by function\n${rows(byFunction)}` +
    `\n\ntotal (inclusive) time by function${only ? ` matching ${only}` : ''}\n${rows(inclusiveShown)}`,
);
