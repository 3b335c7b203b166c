import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { readServerSettings, resolveAuthConfig, SECRET_FILE } from '../../src/server-env.js';

const root = mkdtempSync(join(tmpdir(), 'gatehouse-server-env-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `wd${++n}`);
const AUTH_ON = { PHOENIX_ENABLE_AUTH: 'true' };

describe('readServerSettings', () => {
  it('defaults: 127.0.0.1:6006, ./.data, phoenix.db in it, no Redis, no proxies', () => {
    const { settings, issues } = readServerSettings({}, '/srv/app');
    expect(issues).toEqual([]);
    expect(settings).toEqual({
      host: '127.0.0.1',
      port: 6006,
      workingDir: '/srv/app/.data',
      database: { kind: 'sqlite', filename: '/srv/app/.data/phoenix.db' },
      redisUrl: null,
      trustedProxies: [],
    });
  });

  it('reads SQLAlchemy-style URLs, PostgreSQL, Redis and the proxy list', () => {
    const env = {
      PHOENIX_HOST: '0.0.0.0',
      PHOENIX_PORT: '8080',
      PHOENIX_WORKING_DIR: 'state',
      PHOENIX_SQL_DATABASE_URL: 'sqlite:///db/x.db',
      GATEHOUSE_REDIS_URL: 'redis://cache:6379',
      GATEHOUSE_TRUSTED_PROXIES: ' 10.0.0.1 , ,10.0.0.2',
    };
    expect(readServerSettings(env, '/a').settings).toEqual({
      host: '0.0.0.0',
      port: 8080,
      workingDir: '/a/state',
      database: { kind: 'sqlite', filename: '/a/db/x.db' },
      redisUrl: 'redis://cache:6379',
      trustedProxies: ['10.0.0.1', '10.0.0.2'],
    });
    expect(readServerSettings({ PHOENIX_SQL_DATABASE_URL: 'sqlite:////abs/y.db' }, '/a').settings.database).toEqual({
      kind: 'sqlite',
      filename: '/abs/y.db',
    });
    const pg = 'postgresql://u:p@db/x';
    expect(readServerSettings({ PHOENIX_SQL_DATABASE_URL: pg }, '/a').settings.database).toEqual({
      kind: 'postgres',
      connectionString: pg,
    });
  });

  it('collects every problem, never echoing the database URL', () => {
    const { issues } = readServerSettings(
      { PHOENIX_SQL_DATABASE_URL: 'mysql://u:hunter2@db/x', GATEHOUSE_REDIS_URL: 'http://cache' },
      '/a',
    );
    expect(issues.map((i) => i.variable)).toEqual(['PHOENIX_SQL_DATABASE_URL', 'GATEHOUSE_REDIS_URL']);
    expect(JSON.stringify(issues)).not.toContain('hunter2');
    const memory = readServerSettings({ PHOENIX_SQL_DATABASE_URL: 'sqlite:///:memory:' }, '/a').issues;
    expect(memory).toEqual([
      {
        variable: 'PHOENIX_SQL_DATABASE_URL',
        message: 'PHOENIX_SQL_DATABASE_URL must name a file, not an in-memory database',
      },
    ]);
  });
});

describe('resolveAuthConfig', () => {
  it('auth off and no secret: source none; PHOENIX_SECRET set: source env', () => {
    expect(resolveAuthConfig({}, freshDir(), [], { createSecretFile: true }).secret).toEqual({ kind: 'none' });
    const env = { ...AUTH_ON, PHOENIX_SECRET: 'a-long-enough-secret-with-digits-1234567' };
    expect(resolveAuthConfig(env, freshDir(), [], { createSecretFile: true }).secret).toEqual({ kind: 'env' });
  });

  it('the server generates the secret file once (0600), then reads it', () => {
    const dir = freshDir();
    const first = resolveAuthConfig(AUTH_ON, dir, [], { createSecretFile: true });
    const path = join(dir, SECRET_FILE);
    expect(first.secret).toEqual({ kind: 'file', path, created: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.config.secret).toBe(readFileSync(path, 'utf8').trim());
    const second = resolveAuthConfig(AUTH_ON, dir, [], { createSecretFile: true });
    expect(second.secret).toEqual({ kind: 'file', path, created: false });
    expect(second.config.secret).toBe(first.config.secret);
  });

  it('tools never write the file: pending, with a stand-in secret', () => {
    const dir = freshDir();
    const resolved = resolveAuthConfig(AUTH_ON, dir, [], { createSecretFile: false });
    expect(resolved.secret).toEqual({ kind: 'pending', path: join(dir, SECRET_FILE) });
    expect(resolved.config.secret).not.toBeNull();
    expect(existsSync(dir)).toBe(false);
  });

  it('one ConfigError with the settings issues, a bad secret file and the other auth problems; nothing written', () => {
    const dir = freshDir();
    const issue = { variable: 'GATEHOUSE_REDIS_URL', message: 'bad' };
    expect(() => resolveAuthConfig(AUTH_ON, dir, [issue], { createSecretFile: true })).toThrow(ConfigError);
    expect(existsSync(join(dir, SECRET_FILE))).toBe(false);

    const withFile = freshDir();
    resolveAuthConfig(AUTH_ON, withFile, [], { createSecretFile: true });
    writeFileSync(join(withFile, SECRET_FILE), 'tooshort\n');
    let thrown: unknown;
    try {
      resolveAuthConfig({ ...AUTH_ON, PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: 'x' }, withFile, [issue], {
        createSecretFile: true,
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const variables = (thrown as ConfigError).issues.map((i) => i.variable);
    expect(variables.slice(0, 2)).toEqual(['GATEHOUSE_REDIS_URL', 'PHOENIX_SECRET']);
    expect((thrown as ConfigError).issues[1]?.message).toContain(join(withFile, SECRET_FILE));
    expect(variables.length).toBeGreaterThan(2);
  });
});
