/**
 * One answer from the CLI and the library: `check-env` parses with core's defaults (auth off unless
 * PHOENIX_ENABLE_AUTH=true), flags misspelt variables, refuses what the server refuses, and the
 * command has a `--version`.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createGatehouse, parseAuthEnv, silentLogger } from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import { describe, expect, it } from 'vitest';
import { run } from '../src/index.js';
import { tempDirs, type CliJson, type Env } from './support/fixtures.js';

const SECRET = 'cli-test-secret-0123456789-abcdefghijklmnop';
const CLI_JS = resolve(import.meta.dirname, '../dist/cli.js');
const VERSION = (
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }
).version;
const tempDir = tempDirs('gatehouse-failloud-');

/** In-process, with exactly `env`: no default of the other suites' helpers. */
async function cli(args: string[], env: Env, cwd: string) {
  let out = '';
  let err = '';
  const code = await run(args, {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    env,
    cwd,
  });
  return {
    code,
    out,
    err,
    json: () => JSON.parse(out.trim().split('\n').at(-1)!) as CliJson & Record<string, unknown>,
  };
}

describe('check-env reports what the server will do', () => {
  it('auth is off without PHOENIX_ENABLE_AUTH, as the library decides for the same environment', async () => {
    const dir = tempDir();
    const env: Env = { PHOENIX_WORKING_DIR: dir };
    const report = await cli(['check-env', '--json'], env, dir);
    expect(report.code).toBe(0);
    expect(report.json()).toMatchObject({ ok: true, auth: { enabled: false }, secret: { source: 'none' } });
    expect(parseAuthEnv(env).enabled).toBe(false);
    // And the server built on the library with it really serves an admin-only route anonymously.
    const store = await createSqliteStore({ filename: join(dir, 'phoenix.db') });
    const gh = await createGatehouse({ config: parseAuthEnv(env), store, logger: silentLogger, sweepIntervalMs: 0 });
    expect(gh.guardCached({ method: 'DELETE', path: '/v1/projects/1' })).toMatchObject({
      ok: true,
      principal: { kind: 'anonymous' },
    });
    await gh.close();
    await store.close();

    const human = await cli(['check-env'], env, dir);
    expect(human.out).toContain(
      'auth          off: every request is allowed as anonymous (set PHOENIX_ENABLE_AUTH=true to require sign-in)',
    );
    expect(
      (await cli(['check-env', '--json'], { ...env, PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET }, dir)).json(),
    ).toMatchObject({ auth: { enabled: true } });
  });

  it('warns about misspelt PHOENIX_ and GATEHOUSE_ variables with a "did you mean"', async () => {
    const dir = tempDir();
    const env: Env = {
      PHOENIX_WORKING_DIR: dir,
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      PHOENIX_SECERT: 'x',
      GATEHOUSE_REDIS_URI: 'redis://r',
    };
    const human = await cli(['check-env'], env, dir);
    expect(human.code).toBe(0);
    expect(human.err).toContain(
      'warning: PHOENIX_SECERT is not a setting Gatehouse reads; did you mean PHOENIX_SECRET?',
    );
    expect(human.err).toContain(
      'warning: GATEHOUSE_REDIS_URI is not a setting Gatehouse reads; did you mean GATEHOUSE_REDIS_URL?',
    );
    expect(human.err).not.toContain('PHOENIX_WORKING_DIR');
    expect((await cli(['check-env', '--json'], env, dir)).json().unknownVariables).toEqual([
      { variable: 'GATEHOUSE_REDIS_URI', suggestion: 'GATEHOUSE_REDIS_URL' },
      { variable: 'PHOENIX_SECERT', suggestion: 'PHOENIX_SECRET' },
    ]);
  });

  it('refuses a non-http root URL and a weak initial admin password, as the server does', async () => {
    const dir = tempDir();
    const env: Env = {
      PHOENIX_WORKING_DIR: dir,
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      PHOENIX_ROOT_URL: 'ftp://x',
      PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'a',
    };
    const report = await cli(['check-env', '--json'], env, dir);
    expect(report.code).toBe(1);
    expect(report.json().issues).toEqual([
      { variable: 'PHOENIX_ROOT_URL', message: expect.stringContaining('only http:// and https://') },
      { variable: 'PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD', message: expect.stringContaining('password policy') },
    ]);
    expect(() => parseAuthEnv(env)).toThrow(/PHOENIX_ROOT_URL[\s\S]*only http/);
  });

  it('--env-file reads a dotenv file first; the environment wins, as with node --env-file', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'server.env'),
      `PHOENIX_ENABLE_AUTH=true\nPHOENIX_SECRET=${SECRET}\nPHOENIX_COOKIE_NAME_PREFIX=fromfile\n`,
    );
    const report = await cli(
      ['--env-file', 'server.env', 'check-env', '--json'],
      { PHOENIX_WORKING_DIR: dir, PHOENIX_COOKIE_NAME_PREFIX: 'fromenv' },
      dir,
    );
    expect(report.json()).toMatchObject({
      auth: { enabled: true },
      secret: { source: 'env' },
      cookies: { accessToken: 'fromenv-access-token' },
    });
    expect((await cli(['--env-file=missing.env', 'check-env'], {}, dir)).code).toBe(1);
    expect((await cli(['--env-file'], {}, dir)).code).toBe(2);
  });

  it('the demo’s env file turns auth on for npm start, and check-env reads the same file', async () => {
    const dir = tempDir();
    const demoEnv = resolve(import.meta.dirname, '../../../examples/demo/demo.env');
    const report = await cli(['--env-file', demoEnv, 'check-env', '--json'], { PHOENIX_WORKING_DIR: dir }, dir);
    expect(report.json()).toMatchObject({ ok: true, auth: { enabled: true }, secret: { source: 'pending' } });
  });
});

describe('--version', () => {
  it('prints the package version, in-process and from the built bin', async () => {
    const dir = tempDir();
    for (const flag of ['--version', '-v', 'version']) {
      const result = await cli([flag], {}, dir);
      expect(result).toMatchObject({ code: 0, out: `gatehouse ${VERSION}\n` });
    }
    const { stdout } = await promisify(execFile)(process.execPath, [CLI_JS, '--version'], {
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(stdout).toBe(`gatehouse ${VERSION}\n`);
  });
});
