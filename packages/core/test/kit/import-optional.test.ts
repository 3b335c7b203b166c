import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingDependencyError, isGatehouseError } from '../../src/errors/index.js';
import { importOptional, isMissingPackage } from '../../src/kit/import-optional.js';

// A scratch project with real packages on disk: one that loads, one whose own dependency is
// missing, one that throws while loading. Node's real resolver produces every error below.
let dir: string;
let requireThere: NodeJS.Require;
const importThere = (specifier: string): Promise<unknown> =>
  import(pathToFileURL(join(dir, 'node_modules', specifier, 'index.mjs')).href) as Promise<unknown>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-optional-'));
  const pkg = (name: string, body: string) => {
    mkdirSync(join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(
      join(dir, 'node_modules', name, 'package.json'),
      JSON.stringify({ name, exports: { import: './index.mjs', require: './index.cjs' } }),
    );
    writeFileSync(join(dir, 'node_modules', name, 'index.mjs'), body);
    writeFileSync(
      join(dir, 'node_modules', name, 'index.cjs'),
      body.replace(/^import '(.*)';$/m, "require('$1');").replace('export const', 'exports.'),
    );
  };
  pkg('present', 'export const value = 42;');
  pkg('broken-dep', "import 'absent-dep';\nexport const value = 1;");
  pkg('throws', "throw new Error('boom while loading');");
  writeFileSync(join(dir, 'entry.mjs'), 'export default async (name) => import(name);');
  requireThere = createRequire(join(dir, 'entry.cjs'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function esmImport(name: string): Promise<unknown> {
  const { default: load } = (await import(pathToFileURL(join(dir, 'entry.mjs')).href)) as {
    default: (n: string) => Promise<unknown>;
  };
  return load(name);
}

describe('importOptional', () => {
  it('returns the module when it is installed', async () => {
    await expect(importOptional('present', 'A feature', () => esmImport('present'))).resolves.toMatchObject({
      value: 42,
    });
  });

  it('turns an ESM "cannot find package" into a MissingDependencyError naming what to install', async () => {
    // (A name no node_modules above this checkout holds; the published-package test does the same with pg.)
    const name = 'gatehouse-absent-driver';
    const error: unknown = await importOptional(name, 'PostgreSQL', () => esmImport(name)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect(isGatehouseError(error) && error.code).toBe('dependency_missing');
    expect((error as MissingDependencyError).packageName).toBe(name);
    expect((error as Error).message).toBe(
      `PostgreSQL needs the package "${name}", which is not installed: run \`npm install ${name}\``,
    );
    expect((error as MissingDependencyError).status).toBe(500);
  });

  it('turns a CJS "cannot find module" into the same error (the CJS build loads with require)', async () => {
    const error: unknown = await importOptional('@gatehouse-auth/redis', 'Redis', () =>
      Promise.resolve().then((): unknown => requireThere('@gatehouse-auth/redis')),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect((error as MissingDependencyError).packageName).toBe('@gatehouse-auth/redis');
  });

  it('rethrows when the package is installed but one of its own dependencies is missing', async () => {
    const esm: unknown = await importOptional('broken-dep', 'X', () => esmImport('broken-dep')).catch(
      (e: unknown) => e,
    );
    expect(esm).not.toBeInstanceOf(MissingDependencyError);
    expect((esm as Error).message).toContain("'absent-dep'");
    const cjs: unknown = await importOptional('broken-dep', 'X', () =>
      Promise.resolve().then((): unknown => requireThere('broken-dep')),
    ).catch((e: unknown) => e);
    expect(cjs).not.toBeInstanceOf(MissingDependencyError);
    expect((cjs as Error).message).toContain("'absent-dep'");
  });

  it('rethrows an error the package throws while loading', async () => {
    await expect(importOptional('throws', 'X', () => importThere('throws'))).rejects.toThrow('boom while loading');
  });

  it('isMissingPackage does not match a package whose name only contains the wanted one', () => {
    const error = Object.assign(new Error("Cannot find package 'pg-native' imported from /x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(isMissingPackage(error, 'pg')).toBe(false);
    expect(isMissingPackage(error, 'pg-native')).toBe(true);
    expect(isMissingPackage(null, 'pg')).toBe(false);
  });
});
