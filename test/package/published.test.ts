import { execFile as execFileCallback, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The packages as a stranger gets them: every workspace package packed with `npm pack`, installed
 * from the tarballs into an empty project outside the monorepo next to frameworks from the
 * registry (through the npm cache `npm ci` filled). One install; the checks then run concurrently:
 * ESM import, CJS require, `tsc --noEmit` strict without skipLibCheck under node16, nodenext and
 * bundler, one live server per framework (Express 4 and 5, Fastify, Hono) that logs in, guards a
 * route and accepts an API key, and the optional-peer errors (no `pg`, no `@gatehouse-auth/redis`).
 */
const execFile = promisify(execFileCallback);
const repoRoot = resolve(import.meta.dirname, '../..');
const PACKAGES = ['core', 'db', 'express', 'fastify', 'hono', 'redis', 'cli'] as const;
const SECRET = 'published0package0test0secret0abcdefgh1';
const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;

let project: string;
let tarballs: Record<(typeof PACKAGES)[number], string>;
/** What the CLI and the db said before `@gatehouse-auth/redis` was installed (and with no `pg` ever). */
let withoutOptional: { cli: { code: number | null; stderr: string }; pgEsm: unknown; pgCjs: unknown };

function run(cmd: string, args: string[], cwd = project): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
}

async function node(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFile(process.execPath, args, {
      cwd: project,
      env: { ...process.env, ...env },
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : null, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const PG_PROBE = `
  .createPostgresStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' })
  .then(() => ({ resolved: true }), (e) => ({ name: e.name, code: e.code, packageName: e.packageName, message: e.message }))
  .then((r) => console.log(JSON.stringify(r)));`;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'gatehouse-published-'));
  const packDir = join(project, 'tarballs');
  mkdirSync(packDir);
  const packed = JSON.parse(
    run(
      'npm',
      ['pack', '--json', '--pack-destination', packDir, ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`])],
      repoRoot,
    ),
  ) as { name: string; filename: string; files: { path: string }[] }[];
  tarballs = Object.fromEntries(
    packed.map((p) => [p.name.replace('@gatehouse-auth/', ''), `file:./tarballs/${p.filename}`]),
  ) as typeof tarballs;
  for (const p of packed) {
    // What `files` promises: the build, the README, the LICENSE, the manifest (and the CLI's bin
    // launcher), nothing else.
    const paths = p.files.map((f) => f.path);
    const besidesDist = [
      'LICENSE',
      'README.md',
      'package.json',
      ...(p.name === '@gatehouse-auth/cli' ? ['bin/gatehouse.js'] : []),
    ];
    expect(paths, p.name).toEqual(expect.arrayContaining(besidesDist));
    expect(
      paths.filter((f) => !f.startsWith('dist/') && !besidesDist.includes(f)),
      p.name,
    ).toEqual([]);
  }
  const { redis: redisTarball, ...withoutRedis } = tarballs;
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'stranger',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(Object.entries(withoutRedis).map(([p, t]) => [`@gatehouse-auth/${p}`, t])),
        express: versionOf('express'),
        express4: `npm:express@${versionOf('express4')}`,
        fastify: versionOf('fastify'),
        hono: versionOf('hono'),
        '@hono/node-server': versionOf('@hono/node-server'),
      },
      devDependencies: {
        typescript: versionOf('typescript'),
        '@types/node': versionOf('@types/node'),
        '@types/express': versionOf('@types/express'),
        // Express 4's types beside 5's, for the Express 4 type check below (npm alias, as in the workspace).
        '@types/express4': `npm:@types/express@${versionOf('@types/express4')}`,
      },
    }),
  );
  // --ignore-scripts: better-sqlite3's install script compiles it from source (~60 s here, its
  // prebuilt download being unreachable). The workspace holds the same version built for this very
  // Node; its binary is copied instead. Nothing of ours runs at install time.
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts']);
  const sqliteHere = join(project, 'node_modules/better-sqlite3');
  expect(versionOf('better-sqlite3')).toBe(
    (JSON.parse(readFileSync(join(sqliteHere, 'package.json'), 'utf8')) as { version: string }).version,
  );
  cpSync(
    join(repoRoot, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
    join(sqliteHere, 'build/Release/better_sqlite3.node'),
  );

  // A SQLite user never installs pg; a CLI user without Redis never installs @gatehouse-auth/redis.
  const dataDir = join(project, 'cli-data');
  await node([
    '-e',
    `import('@gatehouse-auth/db').then(async (db) => (await db.createSqliteStore({ filename: '${join(dataDir, 'phoenix.db')}' })).close())`,
  ]);
  const [cli, pgEsm, pgCjs] = await Promise.all([
    // The bin link npm made from the packed package.json: what `npx @gatehouse-auth/cli` runs.
    node([join(project, 'node_modules/.bin/gatehouse'), 'list-users'], {
      PHOENIX_WORKING_DIR: dataDir,
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      GATEHOUSE_REDIS_URL: 'redis://127.0.0.1:1',
    }),
    node(['--input-type=module', '-e', `import * as db from '@gatehouse-auth/db'; db${PG_PROBE}`]),
    node(['--input-type=commonjs', '-e', `require('@gatehouse-auth/db')${PG_PROBE}`]),
  ]);
  withoutOptional = { cli, pgEsm: JSON.parse(pgEsm.stdout) as unknown, pgCjs: JSON.parse(pgCjs.stdout) as unknown };
  run('npm', [
    'install',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    `@gatehouse-auth/redis@${redisTarball}`,
  ]);
}, 240_000);

afterAll(() => {
  if (project && !process.env.KEEP_PUBLISHED_PROJECT) rmSync(project, { recursive: true, force: true });
});

describe('optional peers, as a user without them', () => {
  it('@gatehouse-auth/db without pg: createPostgresStore says to install pg (ESM and CJS)', () => {
    const expected = {
      name: 'MissingDependencyError',
      code: 'dependency_missing',
      packageName: 'pg',
      message: 'PostgreSQL (createPostgresStore) needs the package "pg", which is not installed: run `npm install pg`',
    };
    expect(withoutOptional.pgEsm).toEqual(expected);
    expect(withoutOptional.pgCjs).toEqual(expected);
  });

  it('@gatehouse-auth/cli without @gatehouse-auth/redis: GATEHOUSE_REDIS_URL says to install it', () => {
    expect(withoutOptional.cli.code).toBe(1);
    expect(withoutOptional.cli.stderr).toContain('npm install @gatehouse-auth/redis');
  });

  it('neither pg nor @types/pg was installed by any of our packages', () => {
    const installed = readdirSync(join(project, 'node_modules'));
    expect(installed).not.toContain('pg');
    expect(readdirSync(join(project, 'node_modules/@types'))).not.toContain('pg');
  });
});

// ---------------------------------------------------------------------------------------------
// Loading and types

const ENTRIES = [
  '@gatehouse-auth/core',
  '@gatehouse-auth/core/adapter-kit',
  '@gatehouse-auth/core/internal',
  '@gatehouse-auth/core/server-env',
  '@gatehouse-auth/db',
  '@gatehouse-auth/express',
  '@gatehouse-auth/fastify',
  '@gatehouse-auth/hono',
  '@gatehouse-auth/redis',
];

describe.concurrent('module systems', () => {
  it('every entry loads with import() (and the CLI, ESM only)', async () => {
    const script = `const names = {};
      for (const e of ${JSON.stringify([...ENTRIES, '@gatehouse-auth/cli'])}) names[e] = Object.keys(await import(e)).length;
      console.log(JSON.stringify(names));`;
    const { stdout, stderr } = await node(['--input-type=module', '-e', script]);
    const counts = JSON.parse(stdout || '{}') as Record<string, number>;
    expect(stderr).toBe('');
    for (const e of [...ENTRIES, '@gatehouse-auth/cli']) expect(counts[e], e).toBeGreaterThan(0);
  });

  it('every dual entry loads with require() (CJS reaching the ESM-only jose through require(esm))', async () => {
    const script = `const names = {};
      for (const e of ${JSON.stringify(ENTRIES)}) names[e] = Object.keys(require(e)).length;
      console.log(JSON.stringify(names));`;
    const { stdout } = await node(['--input-type=commonjs', '-e', script]);
    const counts = JSON.parse(stdout || '{}') as Record<string, number>;
    for (const e of ENTRIES) expect(counts[e], e).toBeGreaterThan(0);
  });

  // Each probe also exits on its own after hashing: idle argon2 workers never hold a process open.
  it('core works the same through both (argon2 worker included), and the error brand crosses the two copies', async () => {
    const probe = (load: string) => `${load}
      const cfg = core.parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: '${SECRET}' });
      let configError; try { core.parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true' }); } catch (e) { configError = e; }
      const codec = core.createTokenCodec({ secret: cfg.secret });
      const token = await codec.sign('access', { jti: '1', sub: '2', expiresAt: Math.floor(Date.now() / 1000) + 60 });
      // Argon2 in a worker thread: its script is found inside the installed tarball, in this build's format.
      const argon = core.createArgon2Hasher({ memoryCost: 1024, timeCost: 1 });
      const hashed = await argon.hash('pw');
      const onPool = core.createArgon2Hasher({ memoryCost: 1024, timeCost: 1 }, { threads: 'pool' });
      const argon2 = [await argon.verify(hashed, 'pw'), await onPool.verify(hashed, 'pw'), await argon.verify(await onPool.hash('pw'), 'pw'), await argon.verify(hashed, 'px')];
      const other = ${load.includes('require') ? "await import('@gatehouse-auth/core')" : "(await import('node:module')).createRequire(import.meta.url)('@gatehouse-auth/core')"};
      console.log(JSON.stringify({ enabled: cfg.enabled, frozen: Object.isFrozen(cfg), errorCode: configError.code,
        sub: (await codec.verify(token, 'access')).sub, viewer: core.decideRest({ kind: 'session', userId: 1, role: 'VIEWER' }, 'POST', '/v1/projects').status,
        crossGuard: other.isGatehouseError(configError), sameClass: other.ConfigError === core.ConfigError, argon2 }));`;
    const [esm, cjs] = await Promise.all([
      node(['--input-type=module', '-e', probe("const core = await import('@gatehouse-auth/core');")]),
      node([
        '--input-type=commonjs',
        '-e',
        `(async () => { ${probe("const core = require('@gatehouse-auth/core');")} })()`,
      ]),
    ]);
    // Two builds, two classes: exactly the case `instanceof` gets wrong and the brand gets right.
    const expected = {
      enabled: true,
      frozen: true,
      errorCode: 'config_invalid',
      sub: '2',
      viewer: 403,
      crossGuard: true,
      sameClass: false,
      argon2: [true, true, true, false],
    };
    expect(JSON.parse(esm.stdout || '{}')).toEqual(expected);
    expect(JSON.parse(cjs.stdout || '{}')).toEqual(expected);
  });
});

/** Uses every package's main types the way a host does; compiled, never run. */
const TYPES_PROBE = `
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { createGatehouse, parseAuthEnv, isGatehouseError, type GuardResult, type Role } from '@gatehouse-auth/core';
import { nodeAuthorization } from '@gatehouse-auth/core/adapter-kit';
import { createSqliteStore, createPostgresStore, type PostgresStoreOptions } from '@gatehouse-auth/db';
import * as ex from '@gatehouse-auth/express';
import * as fa from '@gatehouse-auth/fastify';
import * as ho from '@gatehouse-auth/hono';
import { createRedisRateLimitStore } from '@gatehouse-auth/redis';

export async function main(): Promise<void> {
  const store = await createSqliteStore({ filename: 'x.sqlite' });
  const pgOptions: PostgresStoreOptions = { connectionString: 'postgres://x', poolConfig: { max: 4 } };
  void createPostgresStore;
  const gh = await createGatehouse({ config: parseAuthEnv(process.env), store, rateLimits: createRedisRateLimitStore(new Redis()) });
  const roles: readonly Role[] = ['ADMIN'];
  const app = express();
  app.use(ex.gatehouse(gh));
  app.get('/v1/x', ex.authenticate(gh), ex.requireRole(roles), (_req, res) => { res.json({ role: ex.principalOf(res).role }); });
  const f = Fastify({ frameworkErrors: fa.frameworkErrors });
  await f.register(fa.gatehousePlugin, { gatehouse: gh });
  f.get('/v1/x', { onRequest: [fa.authenticate(gh), fa.requireRole(roles)] }, async (request) => ({ id: request.gatehousePrincipal?.userId }));
  const h = new Hono<ho.GatehouseEnv>();
  h.use(ho.gatehouse(gh));
  h.get('/v1/x', ho.authenticate(gh), (c) => c.json({ role: c.get('principal').role }));
  ho.mountGatehouse(h, gh);
  const result: GuardResult = await gh.guard({ method: 'GET', path: '/v1/x', authorization: nodeAuthorization({}, []), cookie: null, origin: null, referer: null, host: null });
  console.log(result.ok, isGatehouseError(new Error()), pgOptions);
}
`;

describe.concurrent('types compile for a user: strict, no skipLibCheck', () => {
  const modes = [
    { name: 'node16', module: 'node16', moduleResolution: 'node16' },
    { name: 'nodenext', module: 'nodenext', moduleResolution: 'nodenext' },
    { name: 'bundler', module: 'esnext', moduleResolution: 'bundler' },
  ];
  for (const mode of modes) {
    it(`tsc --noEmit under module ${mode.module} / moduleResolution ${mode.moduleResolution} (ESM and CJS files)`, async () => {
      const dir = join(project, `types-${mode.name}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'probe.ts'), TYPES_PROBE);
      // The CJS view of the same declarations (.d.cts), where the mode has one.
      writeFileSync(
        join(dir, 'probe-cjs.cts'),
        `import core = require('@gatehouse-auth/core');\nimport db = require('@gatehouse-auth/db');\nimport ex = require('@gatehouse-auth/express');\nexport const used = [core.parseAuthEnv, db.createSqliteStore, ex.authenticate];\n`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            target: 'es2022',
            module: mode.module,
            moduleResolution: mode.moduleResolution,
            types: ['node'],
          },
          files: mode.name === 'bundler' ? ['probe.ts'] : ['probe.ts', 'probe-cjs.cts'],
        }),
      );
      const result = await node([join(project, 'node_modules/typescript/bin/tsc'), '-p', dir]);
      expect(result.stdout + result.stderr).toBe('');
      expect(result.code).toBe(0);
    }, 240_000);
  }
});

describe('types compile for an Express 4 user', () => {
  it('the express adapter and an Express 4 app with @types/express 4 (strict, no skipLibCheck)', async () => {
    const dir = join(project, 'types-express4');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'probe.ts'),
      `import express from 'express';
import { createGatehouse, parseAuthEnv } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import { authenticate, gatehouse, principalOf, requireRole } from '@gatehouse-auth/express';
export async function main(): Promise<void> {
  const gh = await createGatehouse({ config: parseAuthEnv(process.env), store: await createSqliteStore({ filename: 'x.sqlite' }) });
  const app: express.Express = express();
  app.use(express.json());
  app.use(gatehouse(gh));
  app.get('/v1/x', authenticate(gh), requireRole(['ADMIN']), (_req: express.Request, res: express.Response) => { res.json({ role: principalOf(res).role }); });
}
`,
    );
    // Every import of 'express', ours included, resolves to @types/express 4.17 (whose own
    // dependencies npm nested under it), as in a project that installed only that version.
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          paths: { express: ['../node_modules/@types/express4/index.d.ts'] },
        },
        files: ['probe.ts'],
      }),
    );
    const result = await node([join(project, 'node_modules/typescript/bin/tsc'), '-p', dir, '--listFilesOnly']);
    // The program holds Express 4's types and not 5's: the adapter's declarations met 4's.
    expect(result.stdout).toMatch(/@types\/express4\/index\.d\.ts/);
    expect(result.stdout).toMatch(/@types\/express4\/node_modules\/@types\/express-serve-static-core\/index\.d\.ts/);
    expect(result.stdout).not.toMatch(/node_modules\/@types\/express\/index\.d\.ts/);
    const checked = await node([join(project, 'node_modules/typescript/bin/tsc'), '-p', dir]);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);
  }, 240_000);
});

// ---------------------------------------------------------------------------------------------
// One live server per framework

const SERVERS: Record<string, { file: string; source: string }> = {
  'express 5': {
    file: 'express5.mjs',
    source: `import express from 'express';
import { createGatehouse, parseAuthEnv } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import { authenticate, gatehouse, principalOf } from '@gatehouse-auth/express';
const gh = await createGatehouse({ config: parseAuthEnv(process.env), store: await createSqliteStore({ filename: process.env.DB_FILE }) });
const app = express();
app.use(express.json());
app.use(gatehouse(gh));
app.get('/v1/notes', authenticate(gh), (_req, res) => { res.json({ role: principalOf(res).role }); });
const server = app.listen(0, '127.0.0.1', () => console.log('PORT=' + server.address().port));`,
  },
  'express 4 (CommonJS)': {
    file: 'express4.cjs',
    source: `const express = require('express4');
const { createGatehouse, parseAuthEnv } = require('@gatehouse-auth/core');
const { createSqliteStore } = require('@gatehouse-auth/db');
const { authenticate, gatehouse, principalOf } = require('@gatehouse-auth/express');
(async () => {
  const gh = await createGatehouse({ config: parseAuthEnv(process.env), store: await createSqliteStore({ filename: process.env.DB_FILE }) });
  const app = express();
  app.use(express.json());
  app.use(gatehouse(gh));
  app.get('/v1/notes', authenticate(gh), (_req, res) => { res.json({ role: principalOf(res).role }); });
  const server = app.listen(0, '127.0.0.1', () => console.log('PORT=' + server.address().port));
})();`,
  },
  fastify: {
    file: 'fastify.mjs',
    source: `import Fastify from 'fastify';
import { createGatehouse, parseAuthEnv } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import { authenticate, frameworkErrors, gatehousePlugin } from '@gatehouse-auth/fastify';
const gh = await createGatehouse({ config: parseAuthEnv(process.env), store: await createSqliteStore({ filename: process.env.DB_FILE }) });
const app = Fastify({ frameworkErrors });
await app.register(gatehousePlugin, { gatehouse: gh });
app.get('/v1/notes', { onRequest: authenticate(gh) }, async (request) => ({ role: request.gatehousePrincipal.role }));
await app.listen({ port: 0, host: '127.0.0.1' });
console.log('PORT=' + app.server.address().port);`,
  },
  hono: {
    file: 'hono.mjs',
    source: `import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { createGatehouse, parseAuthEnv } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import { authenticate, gatehouse } from '@gatehouse-auth/hono';
const gh = await createGatehouse({ config: parseAuthEnv(process.env), store: await createSqliteStore({ filename: process.env.DB_FILE }) });
const app = new Hono();
app.use(gatehouse(gh));
app.use('/v1/*', authenticate(gh));
app.get('/v1/notes', (c) => c.json({ role: c.get('principal').role }));
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log('PORT=' + info.port));`,
  },
};

/** Starts `file` with auth on and a fresh SQLite file; resolves with its base URL and a stop function. */
function startServer(name: string, file: string, source: string): Promise<{ url: string; stop: () => void }> {
  writeFileSync(join(project, file), source);
  const child = spawn(process.execPath, [file], {
    cwd: project,
    env: {
      ...process.env,
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      DB_FILE: join(project, `${file}.sqlite`),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /PORT=(\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolvePort({ url: `http://127.0.0.1:${port}`, stop: () => child.kill() });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
  });
}

describe.concurrent('a live server per framework, from the tarballs', () => {
  for (const [name, { file, source }] of Object.entries(SERVERS)) {
    it(`${name}: logs in, guards a route, accepts an API key`, async () => {
      const server = await startServer(name, file, source);
      try {
        const json = { 'content-type': 'application/json' };
        const login = await fetch(`${server.url}/auth/login`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ email: 'admin@localhost', password: 'admin' }),
        });
        expect(login.status).toBe(204);
        const cookie = login.headers
          .getSetCookie()
          .map((c) => c.split(';')[0])
          .join('; ');

        const anonymous = await fetch(`${server.url}/v1/notes`);
        expect(anonymous.status).toBe(401);
        expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');

        const bySession = await fetch(`${server.url}/v1/notes`, { headers: { cookie } });
        expect(bySession.status).toBe(200);
        expect(await bySession.json()).toMatchObject({ role: 'ADMIN' });

        const created = await fetch(`${server.url}/v1/user/api_keys`, {
          method: 'POST',
          headers: { ...json, cookie },
          body: JSON.stringify({ data: { name: 'ci' } }),
        });
        expect(created.status).toBe(201);
        const { key } = ((await created.json()) as { data: { key: string } }).data;

        const byKey = await fetch(`${server.url}/v1/notes`, { headers: { authorization: `Bearer ${key}` } });
        expect(byKey.status).toBe(200);
        expect(await byKey.json()).toMatchObject({ role: 'ADMIN' });
        const wrongKey = await fetch(`${server.url}/v1/notes`, {
          headers: { authorization: `Bearer ${key.slice(0, -2)}xx` },
        });
        expect(wrongKey.status).toBe(401);
      } finally {
        server.stop();
      }
    }, 90_000);
  }
});
