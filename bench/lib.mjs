// Shared benchmark plumbing: measure with mitata, report ns/op, ops/s and the ratio to a baseline
// measured in the same run (absolute numbers drift between machines; ratios are what we compare).
import { bench, run } from 'mitata';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * @param {{ name: string, fn: () => unknown, baseline?: boolean }[]} cases
 * @returns {Promise<{ name: string, avgNs: number, p99Ns: number, opsPerSec: number, ratio: number | null }[]>}
 */
export async function measureGroup(cases) {
  for (const c of cases) bench(c.name, c.fn);
  const { benchmarks } = await run({ format: 'quiet', throw: true });
  const rows = benchmarks.map((b) => {
    const stats = b.runs[0].stats;
    return { name: b.alias, avgNs: stats.avg, p99Ns: stats.p99, opsPerSec: 1e9 / stats.avg };
  });
  const baselineName = cases.find((c) => c.baseline)?.name;
  const baseline = rows.find((r) => r.name === baselineName);
  return rows.map((r) => ({ ...r, ratio: baseline ? r.opsPerSec / baseline.opsPerSec : null }));
}

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function markdownTable(rows, { ratioLabel = 'ratio to baseline' } = {}) {
  const lines = [`| case | ns/op (avg) | p99 ns | ops/s | ${ratioLabel} |`, '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${fmt(r.avgNs, 1)} | ${fmt(r.p99Ns, 1)} | ${fmt(r.opsPerSec)} | ${r.ratio === null ? '' : `${fmt(r.ratio, 3)}×`} |`,
    );
  }
  return lines.join('\n');
}

const LIBRARIES = [
  'jose',
  'kysely',
  'better-sqlite3',
  'pg',
  'ioredis',
  'hono',
  '@hono/node-server',
  'fastify',
  'express',
  'better-auth',
  '@fastify/jwt',
  'express-jwt',
  'autocannon',
  'mitata',
];

function versionOf(name) {
  try {
    return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return '(not installed)';
  }
}

export function machineDescription() {
  const cpus = os.cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
    `- node: ${process.version} (V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl})`,
    `- libraries: ${LIBRARIES.map((name) => `${name} ${versionOf(name)}`).join(', ')}`,
  ].join('\n');
}

/**
 * The physical floor of HS256 verification: a raw node:crypto HMAC-SHA256 over exactly the token's
 * signing input, compared in constant time with its signature. Nothing decoded, nothing checked.
 */
export function hmacFloor(token, secret) {
  const [h, p, s] = token.split('.');
  const signingInput = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const key = Buffer.from(secret);
  const verify = () => {
    const mac = createHmac('sha256', key).update(signingInput).digest();
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  };
  if (!verify()) throw new Error('bench setup: the raw HMAC floor does not verify the token');
  return verify;
}
