import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Installs the packed tarball of @gatehouse-auth/core into a scratch project, as a user would, and loads it
// through both module systems. This is what catches a broken `exports` map or a CJS build that cannot
// reach the ESM-only dependencies.
const repoRoot = resolve(import.meta.dirname, '../..');
const coreDir = join(repoRoot, 'packages/core');
let scratch: string;

function node(script: string, type: 'module' | 'commonjs'): unknown {
  const file = join(scratch, type === 'module' ? 'probe.mjs' : 'probe.cjs');
  writeFileSync(file, script);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: scratch, encoding: 'utf8' })) as unknown;
}

const probeBody = (load: string) => `
${load}
const cfg = core.parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: 'a'.repeat(31) + '1' });
let configError;
try { core.parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true' }); } catch (e) { configError = e; }
const codec = core.createTokenCodec({ secret: cfg.secret });
const token = await codec.sign('access', { jti: '1', sub: '2', expiresAt: Math.floor(Date.now() / 1000) + 60 });
const claims = await codec.verify(token, 'access');
console.log(JSON.stringify({
  enabled: cfg.enabled,
  frozen: Object.isFrozen(cfg),
  errorCode: configError && configError.code,
  guard: core.isGatehouseError(configError),
  sub: claims.sub,
  admin: core.can({ kind: 'session', userId: 1, role: 'ADMIN' }, 'list_users'),
  viewer: core.decideRest({ kind: 'session', userId: 1, role: 'VIEWER' }, 'POST', '/v1/projects').status,
  errorTag: String(new core.NotFoundError('x')[Symbol.for('gatehouse.error')]),
}));
`;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
  execFileSync('npm', ['pack', '--pack-destination', scratch, '--silent'], { cwd: coreDir, stdio: 'pipe' });
  const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  // Dependencies come from the npm cache that `npm ci` just filled; the network is a fallback only.
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', `./${tarball}`], {
    cwd: scratch,
    stdio: 'pipe',
  });
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('@gatehouse-auth/core tarball', () => {
  const expected = {
    enabled: true,
    frozen: true,
    errorCode: 'config_invalid',
    guard: true,
    sub: '2',
    admin: true,
    viewer: 403,
    errorTag: 'true',
  };

  it('loads with import()', () => {
    expect(node(`(async () => {${probeBody("const core = await import('@gatehouse-auth/core');")}})();`, 'module')).toEqual(
      expected,
    );
  });

  it('loads with require() (CJS reaching the ESM-only jose through require(esm))', () => {
    expect(node(`(async () => {${probeBody("const core = require('@gatehouse-auth/core');")}})();`, 'commonjs')).toEqual(
      expected,
    );
  });

  it('recognises an error thrown by the CJS copy with the ESM copy of the guard', () => {
    const script = `
      const cjs = require('@gatehouse-auth/core');
      import('@gatehouse-auth/core').then((esm) => {
        const fromCjs = new cjs.PermissionDeniedError('no');
        console.log(JSON.stringify({ sameClass: esm.PermissionDeniedError === cjs.PermissionDeniedError,
          guard: esm.isGatehouseError(fromCjs), instance: fromCjs instanceof esm.GatehouseError }));
      });`;
    const result = node(script, 'commonjs') as Record<string, boolean>;
    expect(result.guard).toBe(true);
    // Two builds, two classes: exactly the case `instanceof` gets wrong and the brand gets right.
    expect(result.sameClass).toBe(false);
    expect(result.instance).toBe(false);
  });
});
