import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createUser, adminSecretPrincipal, login, refreshSession } from '@gatehouse-auth/core';
import { createPostgresRevocationChannel, createPostgresStore } from '@gatehouse-auth/db';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisRevocationChannel } from '@gatehouse-auth/redis';
import { createTestDatabase, type TestDatabase } from '../../db/test/support/postgres.js';
import { startRedisServer } from '../../redis/test/redis-server.js';
import { startDemo } from '../../../test/support/demo-process.js';
import { run } from '../src/index.js';
import {
  CORP_IDP_ENV,
  decodeGlobalId,
  GOOD_ENV,
  startServer,
  startSqliteServer,
  tempDirs,
  useDiscoveryServer,
  type CliJson,
  type Env,
  type RunningServer,
} from './support/fixtures.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

const SECRET = 'cli-test-secret-0123456789-abcdefghijklmnop';
const cliJs = resolve(import.meta.dirname, '../dist/cli.js');
const runFile = promisify(execFile);

const tempDir = tempDirs('gatehouse-cli-');

/**
 * `gatehouse …` in-process, with nothing in its environment but `env`, plus PHOENIX_ENABLE_AUTH=true
 * as the servers these tests start have it (fail-loud.test.ts covers the default, off).
 */
async function cli(args: string[], env: Env, cwd: string) {
  let out = '';
  let err = '';
  const code = await run(args, {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    env: { PHOENIX_ENABLE_AUTH: 'true', ...env },
    cwd,
  });
  return {
    code,
    out,
    err,
    /** stdout parsed as the one JSON line `--json` promises. */
    json() {
      const lines = out.split('\n').filter((line) => line !== '');
      expect(lines).toHaveLength(1);
      return JSON.parse(lines[0]!) as CliJson;
    },
  };
}

/** A working directory the server has started on once: `phoenix.db` exists, bootstrapped. */
async function serverDir(extra: Env = {}): Promise<{ dir: string; env: Env; server: RunningServer }> {
  const dir = tempDir();
  const env: Env = { PHOENIX_WORKING_DIR: dir, PHOENIX_SECRET: SECRET, ...extra };
  const server = await startSqliteServer(dir, env);
  return { dir, env, server };
}

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function openServer(extra: Env = {}) {
  const opened = await serverDir(extra);
  servers.push(opened.server);
  return opened;
}

describe('the command line', () => {
  it('prints the overview on stderr and exits 2 without a command', async () => {
    const result = await cli([], {}, tempDir());
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toContain('Usage: gatehouse <command>');
    for (const name of [
      'check-env',
      'explain-claims',
      'reset-password',
      'create-system-key',
      'list-users',
      'revoke-sessions',
    ]) {
      expect(result.err).toContain(name);
    }
  });

  it('answers --help and help <command> on stdout with 0', async () => {
    const overview = await cli(['--help'], {}, tempDir());
    expect(overview.code).toBe(0);
    expect(overview.out).toContain('Exit codes: 0 ok, 1 the operation failed, 2 usage error.');
    const one = await cli(['help', 'reset-password'], {}, tempDir());
    expect(one.code).toBe(0);
    expect(one.out).toContain('Usage: gatehouse reset-password --email E [--password P] [--json]');
    const flag = await cli(['create-system-key', '-h'], {}, tempDir());
    expect(flag.code).toBe(0);
    expect(flag.out).toContain('Usage: gatehouse create-system-key --name N');
  });

  it('exits 2 with the usage on stderr for an unknown command, an unknown flag, a missing argument or a positional', async () => {
    const dir = tempDir();
    const unknown = await cli(['frobnicate'], {}, dir);
    expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining("error: unknown command 'frobnicate'")]);
    const flag = await cli(['list-users', '--verbose'], {}, dir);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/^error: Unknown option '--verbose'/);
    expect(flag.err).toContain('Usage: gatehouse list-users [--json]');
    const missing = await cli(['reset-password', '--json'], {}, dir);
    expect([missing.code, missing.out]).toEqual([2, '']);
    expect(missing.err).toContain('error: --email is required');
    const positional = await cli(['revoke-sessions', 'someone@example.com'], {}, dir);
    expect(positional.code).toBe(2);
    const noValue = await cli(['explain-claims', '--idp'], {}, dir);
    expect(noValue.code).toBe(2);
  });
});

describe('check-env', () => {
  it('summarises a good environment without printing the secret', async () => {
    const dir = tempDir();
    const env: Env = {
      PHOENIX_WORKING_DIR: dir,
      PHOENIX_SECRET: SECRET,
      PHOENIX_COOKIE_NAME_PREFIX: 'acme',
      ...GOOD_ENV,
    };
    const human = await cli(['check-env'], env, dir);
    expect(human.code).toBe(0);
    expect(human.out).toContain('environment ok');
    expect(human.out).toMatch(/auth\s+on \(password login on, strong passwords off\)/);
    expect(human.out).toMatch(/secret\s+PHOENIX_SECRET/);
    expect(human.out).toContain('acme-access-token, acme-refresh-token');
    expect(human.out).toContain('corp (Corp)');
    expect(human.out).toContain('smtp.example.com:587');
    expect(human.out).toContain(`sqlite ${join(dir, 'phoenix.db')}`);

    const json = (await cli(['check-env', '--json'], env, dir)).json();
    expect(json).toMatchObject({
      ok: true,
      auth: { enabled: true, basicAuth: true, strongPasswords: false, accessTokenMinutes: 10 },
      secret: { source: 'env' },
      adminSecret: true,
      database: { kind: 'sqlite', filename: join(dir, 'phoenix.db') },
      revocations: 'none',
      idps: [{ name: 'corp', displayName: 'Corp', oidcConfigUrl: env.PHOENIX_OAUTH2_CORP_OIDC_CONFIG_URL }],
      smtp: { hostname: 'smtp.example.com', port: 587 },
      cookies: { accessToken: 'acme-access-token', refreshToken: 'acme-refresh-token', secure: false, path: '/' },
    });
    for (const output of [human.out, human.err, JSON.stringify(json)]) {
      for (const secret of [
        SECRET,
        env.PHOENIX_ADMIN_SECRET!,
        env.PHOENIX_SMTP_PASSWORD!,
        env.PHOENIX_OAUTH2_CORP_CLIENT_SECRET!,
      ]) {
        expect(output).not.toContain(secret);
      }
    }
  });

  it('lists every problem at once, exits 1, and never echoes a secret or the database URL', async () => {
    const dir = tempDir();
    const badSecret = 'only-letters-and-dashes-but-long-enough-to-count';
    const env: Env = {
      PHOENIX_WORKING_DIR: dir,
      PHOENIX_SECRET: badSecret,
      PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: '-3',
      PHOENIX_SMTP_HOSTNAME: 'smtp.example.com',
      PHOENIX_SMTP_PASSWORD: 'smtp-password-value',
      PHOENIX_OAUTH2_CORP_CLIENT_SECRET: 'corp-client-secret-value',
      PHOENIX_SQL_DATABASE_URL: 'mysql://root:db-password-value@db.internal/phoenix',
    };
    const human = await cli(['check-env'], env, dir);
    expect(human.code).toBe(1);
    expect(human.out).toBe('');
    const problems = human.err.split('\n').filter((line) => line.startsWith('  - '));
    expect(problems.length).toBeGreaterThanOrEqual(5);
    expect(human.err).toMatch(/^error: the environment has \d+ problems:/);
    for (const variable of [
      'PHOENIX_SECRET',
      'PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES',
      'PHOENIX_SMTP_USERNAME',
      'PHOENIX_SQL_DATABASE_URL',
      'PHOENIX_OAUTH2_CORP_CLIENT_ID',
    ]) {
      expect(human.err).toContain(`  - ${variable}: `);
    }

    const failure = await cli(['check-env', '--json'], env, dir);
    expect(failure.code).toBe(1);
    const json = failure.json();
    expect(json.ok).toBe(false);
    expect(json.error).toEqual({ code: 'config_invalid', message: `the environment has ${problems.length} problems` });
    expect(json.issues).toHaveLength(problems.length);
    expect(json.issues).toContainEqual({
      variable: 'PHOENIX_SECRET',
      message: expect.stringContaining('at least one digit'),
    });

    for (const output of [human.out, human.err, failure.out, failure.err]) {
      for (const secret of [badSecret, 'smtp-password-value', 'corp-client-secret-value', 'db-password-value']) {
        expect(output).not.toContain(secret);
      }
    }
  });

  it('resolves the secret like the demo: PHOENIX_SECRET, else <working dir>/demo-secret, which it never writes', async () => {
    const dir = tempDir();
    const env: Env = { PHOENIX_WORKING_DIR: dir };
    const pending = (await cli(['check-env', '--json'], env, dir)).json();
    expect(pending).toMatchObject({
      ok: true,
      auth: { enabled: true },
      secret: { source: 'pending', path: join(dir, 'demo-secret') },
    });
    expect(existsSync(join(dir, 'demo-secret'))).toBe(false);

    writeFileSync(join(dir, 'demo-secret'), `${SECRET}\n`);
    const fromFile = await cli(['check-env', '--json'], env, dir);
    expect(fromFile.json()).toMatchObject({ ok: true, secret: { source: 'file', path: join(dir, 'demo-secret') } });
    expect(fromFile.out).not.toContain(SECRET);

    writeFileSync(join(dir, 'demo-secret'), 'tooshort\n');
    const broken = await cli(['check-env', '--json'], env, dir);
    expect(broken.code).toBe(1);
    expect(broken.json().issues).toEqual([
      { variable: 'PHOENIX_SECRET', message: expect.stringContaining(join(dir, 'demo-secret')) },
    ]);
    expect(broken.out + broken.err).not.toContain('tooshort');

    // Relative to the current directory, as the demo: ./.data by default.
    const relative = (await cli(['check-env', '--json'], {}, dir)).json();
    expect(relative.database).toEqual({ kind: 'sqlite', filename: join(dir, '.data', 'phoenix.db') });

    const off = (await cli(['check-env', '--json'], { PHOENIX_ENABLE_AUTH: 'false' }, dir)).json();
    expect(off).toMatchObject({ ok: true, auth: { enabled: false }, secret: { source: 'none' } });
  });

  describe('--online', () => {
    const discovery = useDiscoveryServer();

    it("fetches each IdP's discovery document and exits 1 when one fails", async () => {
      const dir = tempDir();
      const env: Env = {
        PHOENIX_WORKING_DIR: dir,
        PHOENIX_SECRET: SECRET,
        ...discovery.idpEnv('good'),
        ...discovery.idpEnv('bad'),
      };
      const result = await cli(['check-env', '--online', '--json'], env, dir);
      expect(result.code).toBe(1);
      const json = result.json();
      expect(json.ok).toBe(false);
      expect(json.online).toEqual([
        { idp: 'bad', ok: false, error: expect.stringContaining('IdP bad: discovery failed') },
        { idp: 'good', ok: true, issuer: `${discovery.base}/good` },
      ]);
      expect(result.err).toContain('error: discovery failed for bad');

      const human = await cli(['check-env', '--online'], env, dir);
      expect(human.code).toBe(1);
      expect(human.out).toMatch(/good\s+ok \(issuer http:\/\/127\.0\.0\.1:\d+\/good\)/);
      expect(human.out).toMatch(/bad\s+failed: IdP bad: discovery failed: discovery answered 404/);
    });

    it('exits 0 when every IdP answers', async () => {
      const dir = tempDir();
      const result = await cli(
        ['check-env', '--online'],
        { PHOENIX_WORKING_DIR: dir, PHOENIX_SECRET: SECRET, ...discovery.idpEnv('good') },
        dir,
      );
      expect(result.code).toBe(0);
      expect(result.err).toBe('');
    });
  });
});

describe('explain-claims', () => {
  const idpEnv: Env = { PHOENIX_SECRET: SECRET, ...CORP_IDP_ENV };

  async function explain(claims: unknown, extra: string[] = [], env: Env = idpEnv) {
    const dir = tempDir();
    writeFileSync(join(dir, 'claims.json'), JSON.stringify(claims));
    return cli(
      ['explain-claims', '--idp', 'corp', '--claims', 'claims.json', ...extra],
      { PHOENIX_WORKING_DIR: dir, ...env },
      dir,
    );
  }

  it('allows a member of an allowed group, with the role the conditional path and the mapping give', async () => {
    const claims = { sub: 'u-1', email: ' Alice@Example.com ', name: 'Alice', groups: ['eng', 'admins'], empty: '' };
    const result = await explain(claims, ['--json']);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      ok: true,
      idp: { name: 'corp', displayName: 'Corp' },
      allowed: true,
      role: 'ADMIN',
      reason: "group 'eng' is in ALLOWED_GROUPS; IdP role 'admin' maps to ADMIN through ROLE_MAPPING",
      userInfo: { ok: true, sub: 'u-1', email: 'alice@example.com', username: 'Alice' },
      groups: { path: 'groups', found: ['eng', 'admins'], allowedGroups: ['eng', 'admins'], passed: true },
      roleClaim: { path: "contains(groups, 'admins') && 'admin' || 'viewer'", value: 'admin', strict: false },
      access: {
        allowed: true,
        role: 'ADMIN',
        reason: "group 'eng' is in ALLOWED_GROUPS; IdP role 'admin' maps to ADMIN through ROLE_MAPPING",
      },
      idTokenSufficient: true,
    });

    const viewer = (await explain({ ...claims, groups: ['eng'] }, ['--json'])).json();
    expect(viewer).toMatchObject({ allowed: true, role: 'VIEWER', roleClaim: { value: 'viewer' } });
    expect(viewer.reason).toContain("IdP role 'viewer' maps to VIEWER through ROLE_MAPPING");

    const human = await explain(claims);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/user info\s+sub 'u-1', email alice@example\.com, username 'Alice'/);
    expect(human.out).toMatch(
      /groups gate\s+passes: found 'eng', 'admins'; ALLOWED_GROUPS 'eng', 'admins'; GROUPS_ATTRIBUTE_PATH: groups\n/,
    );
    expect(human.out).toContain(
      "role claim   found 'admin'; ROLE_ATTRIBUTE_PATH: contains(groups, 'admins') && 'admin' || 'viewer'\n",
    );
    expect(human.out).toMatch(/decision\s+allowed as ADMIN/);
    expect(human.out).toMatch(/why\s+group 'eng' is in ALLOWED_GROUPS; IdP role 'admin' maps to ADMIN/);
  });

  it('denies someone outside the allowed groups and says why, still exiting 0', async () => {
    const result = await explain({ sub: 'u-2', email: 'bob@example.com', groups: ['sales'] }, ['--json']);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      ok: true,
      allowed: false,
      role: null,
      reason: "Access denied: none of the user's groups ('sales') is in ALLOWED_GROUPS",
      groups: { found: ['sales'], passed: false },
      access: { allowed: false },
    });
    const human = await explain({ sub: 'u-2', email: 'bob@example.com', groups: ['sales'] });
    expect(human.out).toMatch(/decision\s+denied/);
    expect(human.out).toMatch(/groups gate\s+fails: found 'sales'/);
    expect(human.out).toMatch(/why\s+Access denied: none of the user's groups \('sales'\) is in ALLOWED_GROUPS/);
  });

  it('denies an unmapped role in strict mode, and refuses claims without an e-mail whatever the groups say', async () => {
    const strict = await explain({ sub: 'u-3', email: 'carol@example.com', groups: ['eng'] }, ['--json'], {
      ...idpEnv,
      PHOENIX_OAUTH2_CORP_ROLE_MAPPING: 'admin:ADMIN',
      PHOENIX_OAUTH2_CORP_ROLE_ATTRIBUTE_STRICT: 'true',
    });
    expect(strict.json()).toMatchObject({
      allowed: false,
      reason: "Access denied: IdP role 'viewer' is not in ROLE_MAPPING and ROLE_ATTRIBUTE_STRICT is on",
      roleClaim: { value: 'viewer', strict: true },
    });

    const noEmail = (await explain({ sub: 'u-4', groups: ['admins'] }, ['--json'])).json();
    expect(noEmail).toMatchObject({
      allowed: false,
      role: null,
      userInfo: { ok: false, code: 'missing_email_scope', reason: expect.stringContaining('EMAIL_ATTRIBUTE_PATH') },
      access: { allowed: true, role: 'ADMIN' },
      idTokenSufficient: false,
    });
  });

  it('exits 1 for an unknown IdP, a missing file or a file that is not a JSON object', async () => {
    const dir = tempDir();
    const env = { PHOENIX_WORKING_DIR: dir, ...idpEnv };
    writeFileSync(join(dir, 'ok.json'), '{"sub":"x","email":"x@example.com"}');
    writeFileSync(join(dir, 'bad.json'), '{"sub":');
    writeFileSync(join(dir, 'list.json'), '[]');

    const unknown = await cli(['explain-claims', '--idp', 'nope', '--claims', 'ok.json', '--json'], env, dir);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe("error: No IdP named 'nope'; configured: corp\n");
    expect(unknown.json()).toEqual({
      ok: false,
      error: { code: 'not_found', message: "No IdP named 'nope'; configured: corp" },
    });

    const missing = await cli(['explain-claims', '--idp', 'corp', '--claims', 'missing.json'], env, dir);
    expect([missing.code, missing.err]).toEqual([1, `error: Cannot read ${join(dir, 'missing.json')}: ENOENT\n`]);
    const bad = await cli(['explain-claims', '--idp', 'corp', '--claims', 'bad.json', '--json'], env, dir);
    expect([bad.code, bad.json().error!.code]).toEqual([1, 'malformed_json']);
    const list = await cli(['explain-claims', '--idp', 'corp', '--claims', 'list.json'], env, dir);
    expect(list.code).toBe(1);
    expect(list.err).toContain('must hold one JSON object');
    const noClaims = await cli(['explain-claims', '--idp', 'corp'], env, dir);
    expect(noClaims.code).toBe(2);
  });
});

describe('reset-password', () => {
  it('sets a generated password, flags must-reset and logs the user out everywhere', async () => {
    const { dir, env, server } = await openServer();
    const before = await login(server.deps, { email: 'admin@localhost', password: 'admin' });

    const result = await cli(['reset-password', '--email', 'Admin@Localhost', '--json'], env, dir);
    expect(result.code).toBe(0);
    const json = result.json();
    expect(json).toMatchObject({
      ok: true,
      user: {
        email: 'admin@localhost',
        username: 'admin',
        role: 'ADMIN',
        auth_method: 'LOCAL',
        password_needs_reset: true,
      },
      sessionsEnded: true,
      revocations: 'none',
    });
    expect(decodeGlobalId(json.user!.id)).toBe(`User:${before.user.id}`);
    expect(json.password).toMatch(/^[A-Za-z0-9_]{20}$/);
    expect(result.err).toContain('note: a server already running on this SQLite database');

    // The session from before is gone: its access token (never cached here) and its refresh token are refused.
    expect(
      await internalsOf(server.gh).authenticator!.authenticate({ authorization: `Bearer ${before.accessToken}` }),
    ).toEqual({
      ok: false,
      reason: 'revoked',
    });
    await expect(refreshSession(server.deps, before.refreshToken)).rejects.toMatchObject({ code: 'invalid_token' });

    await expect(login(server.deps, { email: 'admin@localhost', password: 'admin' })).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    const after = await login(server.deps, { email: 'admin@localhost', password: json.password });
    expect(after.user.resetPassword).toBe(true);
  });

  it('prints a generated password exactly once, and a chosen one never', async () => {
    const { dir, env, server } = await openServer();
    const human = await cli(['reset-password', '--email', 'admin@localhost'], env, dir);
    expect(human.code).toBe(0);
    const password = /^password: (\S+)$/m.exec(human.out)?.[1];
    expect(password).toBeDefined();
    expect(human.out.split(password!).length - 1).toBe(1);
    expect(human.out).toMatch(/^reset the password of admin@localhost \(VXNlcjo[A-Za-z0-9+/=]+\)$/m);

    const chosen = await cli(
      ['reset-password', '--email', 'admin@localhost', '--password', 'Chosen-pass-1', '--json'],
      env,
      dir,
    );
    expect(chosen.code).toBe(0);
    expect(chosen.json()).not.toHaveProperty('password');
    expect(chosen.out).not.toContain('Chosen-pass-1');
    expect((await login(server.deps, { email: 'admin@localhost', password: 'Chosen-pass-1' })).user.email).toBe(
      'admin@localhost',
    );
  });

  it('exits 1 for an unknown e-mail, a password the policy refuses, an OAuth2 user and the system user', async () => {
    const { dir, env, server } = await openServer({ PHOENIX_ENABLE_STRONG_PASSWORD_POLICY: 'true' });
    await createUser(server.deps, adminSecretPrincipal(internalsOf(server.gh).systemUserId!), {
      email: 'sso@example.com',
      username: 'sso',
      role: 'MEMBER',
      authMethod: 'OAUTH2',
    });

    const unknown = await cli(['reset-password', '--email', 'nobody@example.com', '--json'], env, dir);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('error: No user with the e-mail nobody@example.com\n');
    expect(unknown.json()).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'No user with the e-mail nobody@example.com' },
    });

    const weak = await cli(['reset-password', '--email', 'admin@localhost', '--password', 'short', '--json'], env, dir);
    expect(weak.code).toBe(1);
    expect(weak.json().error!.code).toBe('password_policy');

    // The generated password satisfies the strong policy.
    expect((await cli(['reset-password', '--email', 'admin@localhost'], env, dir)).code).toBe(0);

    const sso = await cli(['reset-password', '--email', 'sso@example.com'], env, dir);
    expect([sso.code, sso.err]).toEqual([1, 'error: Cannot modify password for non-local user\n']);
    const system = await cli(['reset-password', '--email', 'system@localhost'], env, dir);
    expect([system.code, system.err]).toEqual([1, 'error: The system user cannot be modified\n']);
  });
});

describe('create-system-key', () => {
  it('mints a key the server accepts, printed once, with its GlobalID', async () => {
    const { dir, env, server } = await openServer();
    const result = await cli(
      ['create-system-key', '--name', ' ci ', '--description', 'deploys', '--expires', '2999-01-01T00:00:00', '--json'],
      env,
      dir,
    );
    expect(result.code).toBe(0);
    const { apiKey, ...rest } = result.json();
    if (!apiKey) throw new Error('no apiKey in the output');
    expect(rest).toEqual({ ok: true });
    expect(apiKey).toEqual({
      id: expect.any(String),
      name: 'ci',
      description: 'deploys',
      created_at: expect.any(String),
      expires_at: '2999-01-01T00:00:00.000Z',
      key: expect.any(String),
    });
    expect(decodeGlobalId(apiKey.id)).toMatch(/^SystemApiKey:\d+$/);

    const verdict = await internalsOf(server.gh).authenticator!.authenticate({ authorization: `Bearer ${apiKey.key}` });
    expect(verdict).toMatchObject({
      ok: true,
      principal: { kind: 'system_api_key', role: 'SYSTEM', userId: internalsOf(server.gh).systemUserId },
    });

    const human = await cli(['create-system-key', '--name', 'nightly'], env, dir);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(
      /^created the system key 'nightly' \(U3lzdGVtQXBpS2V5O[A-Za-z0-9+/=]+\), never expires$/m,
    );
    const key = /^key: (\S+)$/m.exec(human.out)?.[1];
    expect(human.out.split(key!).length - 1).toBe(1);
    expect((await internalsOf(server.gh).authenticator!.authenticate({ authorization: `Bearer ${key!}` })).ok).toBe(
      true,
    );
  });

  it('exits 1 for an expiry in the past and 2 without --name', async () => {
    const { dir, env } = await openServer();
    const past = await cli(
      ['create-system-key', '--name', 'old', '--expires', '2001-01-01T00:00:00Z', '--json'],
      env,
      dir,
    );
    expect(past.code).toBe(1);
    expect(past.json().error).toEqual({ code: 'invalid_input', message: 'expires_at must be in the future' });
    const garbage = await cli(['create-system-key', '--name', 'old', '--expires', 'tomorrow'], env, dir);
    expect([garbage.code, garbage.err]).toEqual([1, 'error: expires_at must be a valid date-time\n']);
    expect((await cli(['create-system-key', '--json'], env, dir)).code).toBe(2);
  });

  it("refuses to sign while the server's generated secret does not exist yet", async () => {
    const { dir, env } = await openServer();
    const { PHOENIX_SECRET: _unset, ...withoutSecret } = env;
    const result = await cli(['create-system-key', '--name', 'ci', '--json'], withoutSecret, dir);
    expect(result.code).toBe(1);
    expect(result.json()).toMatchObject({
      ok: false,
      error: { code: 'config_invalid' },
      issues: [{ variable: 'PHOENIX_SECRET' }],
    });
    expect(result.err).toContain(`${join(dir, 'demo-secret')} does not exist`);
  });
});

describe('list-users', () => {
  it('lists users newest first with GlobalIDs, leaving the system user out', async () => {
    const { dir, env, server } = await openServer();
    const admin = adminSecretPrincipal(internalsOf(server.gh).systemUserId!);
    const member = await createUser(server.deps, admin, { email: 'mia@example.com', username: 'mia', role: 'MEMBER' });
    await createUser(server.deps, admin, {
      email: 'oli@example.com',
      username: 'oli',
      role: 'VIEWER',
      authMethod: 'OAUTH2',
    });

    const result = await cli(['list-users', '--json'], env, dir);
    expect(result.code).toBe(0);
    const { ok, users = [] } = result.json();
    expect(ok).toBe(true);
    expect(users.map((user) => user.email)).toEqual(['oli@example.com', 'mia@example.com', 'admin@localhost']);
    expect(users[1]).toMatchObject({
      email: 'mia@example.com',
      username: 'mia',
      role: 'MEMBER',
      auth_method: 'LOCAL',
      password_needs_reset: true,
    });
    expect(decodeGlobalId(users[1]!.id)).toBe(`User:${member.id}`);
    expect(users[0]).toMatchObject({ auth_method: 'OAUTH2' });

    const human = await cli(['list-users'], env, dir);
    const lines = human.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+EMAIL\s+USERNAME\s+ROLE\s+AUTH$/);
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(
      new RegExp(`^${users[1]!.id.replace(/[+/=]/g, '\\$&')}\\s+mia@example\\.com\\s+mia\\s+MEMBER\\s+LOCAL$`),
    );
    expect(human.out).not.toContain('system@localhost');
  });

  it('exits 1 when there is no database where the server keeps it, creating none', async () => {
    const dir = tempDir();
    const result = await cli(['list-users', '--json'], { PHOENIX_SECRET: SECRET }, dir);
    expect(result.code).toBe(1);
    expect(result.json().error).toEqual({
      code: 'not_found',
      message: `No database at ${join(dir, '.data', 'phoenix.db')}: start the server once, or set PHOENIX_WORKING_DIR or PHOENIX_SQL_DATABASE_URL as the server has them`,
    });
    expect(existsSync(join(dir, '.data'))).toBe(false);
  });

  it('exits 1 when authentication is off', async () => {
    const { dir, env } = await openServer();
    const result = await cli(['list-users', '--json'], { ...env, PHOENIX_ENABLE_AUTH: 'false' }, dir);
    expect(result.code).toBe(1);
    expect(result.json().error!.code).toBe('auth_disabled');
  });
});

describe('secret rotation: list-api-keys and check-env', () => {
  const NEW_SECRET = 'cli-new-secret-0123456789-abcdefghijklmnopq';

  it('lists the keys signed by a previous secret, which then still work; retiring it breaks exactly those', async () => {
    const { dir, env, server } = await openServer();
    const old = (await cli(['create-system-key', '--name', 'old-ci', '--json'], env, dir)).json().apiKey!;
    await server.close();
    servers.splice(servers.indexOf(server), 1);

    // Switched: the new secret signs, the old one is only accepted.
    const rotated: Env = { ...env, PHOENIX_SECRET: NEW_SECRET, GATEHOUSE_PREVIOUS_SECRETS: SECRET };
    const after = await startSqliteServer(dir, rotated);
    servers.push(after);
    expect((await internalsOf(after.gh).authenticator!.authenticate({ authorization: `Bearer ${old.key}` })).ok).toBe(
      true,
    );
    const fresh = (await cli(['create-system-key', '--name', 'new-ci', '--json'], rotated, dir)).json().apiKey!;

    const all = (await cli(['list-api-keys', '--json'], rotated, dir)).json() as CliJson & {
      keys: { id: string; name: string; secret: { status: string; position?: number } }[];
      previous: string[];
    };
    expect(all.ok).toBe(true);
    expect(all.previous).toHaveLength(1);
    expect(all.keys.map((key) => [key.name, key.secret])).toEqual([
      ['new-ci', { status: 'current' }],
      ['old-ci', { status: 'previous', position: 1 }],
    ]);
    const dependent = (await cli(['list-api-keys', '--old-secrets', '--json'], rotated, dir)).json() as CliJson & {
      keys: { id: string }[];
    };
    expect(dependent.keys.map((key) => key.id)).toEqual([old.id]);
    const human = await cli(['list-api-keys', '--old-secrets'], rotated, dir);
    expect(human.out).toMatch(/old-ci\s+previous #1/);
    expect(human.out).not.toContain('new-ci');
    for (const output of [human.out, JSON.stringify(all)]) {
      for (const secret of [SECRET, NEW_SECRET, old.key, fresh.key]) expect(output).not.toContain(secret);
    }

    // check-env shows the fingerprints and the procedure, never a secret.
    const check = await cli(['check-env'], rotated, dir);
    expect(check.code).toBe(0);
    expect(check.out).toMatch(/previous\s+#1 [A-Za-z0-9_-]{12}: still accepted, never used to sign/);
    expect(check.out).toContain('secret rotation (docs/secret-rotation.md)');
    expect(check.out).toMatch(/6\. Retire: remove the old secret/);
    const checkJson = (await cli(['check-env', '--json', '--rotation'], rotated, dir)).json();
    expect(checkJson).toMatchObject({ previousSecrets: all.previous, auth: { sessionMaxLifetimeMinutes: 43_200 } });
    expect((checkJson.secretRotation as string[]).length).toBe(6);
    for (const output of [check.out, JSON.stringify(checkJson)])
      for (const secret of [SECRET, NEW_SECRET]) expect(output).not.toContain(secret);

    // Retired: the old key is refused, the new one works, and the listing says so.
    await after.close();
    servers.splice(servers.indexOf(after), 1);
    const retiredEnv: Env = { ...env, PHOENIX_SECRET: NEW_SECRET };
    const retired = await startSqliteServer(dir, retiredEnv);
    servers.push(retired);
    expect(
      await internalsOf(retired.gh).authenticator!.authenticate({ authorization: `Bearer ${old.key}` }),
    ).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(
      (await internalsOf(retired.gh).authenticator!.authenticate({ authorization: `Bearer ${fresh.key}` })).ok,
    ).toBe(true);
    expect((await cli(['list-api-keys'], retiredEnv, dir)).out).toMatch(/old-ci\s+retired \(already invalid\)/);
    expect((await cli(['list-api-keys', '--old-secrets'], retiredEnv, dir)).out).toContain(
      'no API key depends on a previous secret',
    );
  });

  it('refuses bad previous secrets at once, naming the entry and never its value', async () => {
    const dir = tempDir();
    const weak = 'short1a';
    const result = await cli(
      ['check-env', '--json'],
      {
        PHOENIX_WORKING_DIR: dir,
        PHOENIX_ENABLE_AUTH: 'true',
        PHOENIX_SECRET: SECRET,
        GATEHOUSE_PREVIOUS_SECRETS: `${NEW_SECRET},${weak},${SECRET},${NEW_SECRET}`,
      },
      dir,
    );
    expect(result.code).toBe(1);
    const messages = (result.json().issues ?? []).map((issue) => `${issue.variable}: ${issue.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^GATEHOUSE_PREVIOUS_SECRETS: GATEHOUSE_PREVIOUS_SECRETS entry 2 must be at least 32 characters long \(got 7 characters\)$/,
        ),
        expect.stringMatching(/entry 4 repeats entry 1/),
      ]),
    );
    expect(result.out + result.err).not.toContain(weak);
    expect(result.out + result.err).not.toContain(NEW_SECRET);
  });
});

describe('revoke-sessions', () => {
  it("ends every session of the user: the old tokens are refused, other users' sessions live on", async () => {
    const { dir, env, server } = await openServer();
    await createUser(server.deps, adminSecretPrincipal(internalsOf(server.gh).systemUserId!), {
      email: 'mia@example.com',
      username: 'mia',
      role: 'MEMBER',
      password: 'mia-pass',
    });
    const first = await login(server.deps, { email: 'admin@localhost', password: 'admin' });
    const second = await login(server.deps, { email: 'admin@localhost', password: 'admin' });
    const other = await login(server.deps, { email: 'mia@example.com', password: 'mia-pass' });

    const result = await cli(['revoke-sessions', '--email', 'admin@localhost', '--json'], env, dir);
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      ok: true,
      user: { email: 'admin@localhost', role: 'ADMIN' },
      revocations: 'none',
    });

    const authenticate = (token: string) =>
      internalsOf(server.gh).authenticator!.authenticate({ authorization: `Bearer ${token}` });
    expect(await authenticate(first.accessToken)).toEqual({ ok: false, reason: 'revoked' });
    expect(await authenticate(second.accessToken)).toEqual({ ok: false, reason: 'revoked' });
    await expect(refreshSession(server.deps, second.refreshToken)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(await authenticate(other.accessToken)).toMatchObject({ ok: true, principal: { kind: 'session' } });

    const human = await cli(['revoke-sessions', '--email', 'mia@example.com'], env, dir);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/^ended every session of mia@example\.com \(VXNlcjo[A-Za-z0-9+/=]+\)$/m);
    expect(human.err).toContain('their refresh tokens are refused now');
  });

  it('exits 1 for an unknown e-mail', async () => {
    const { dir, env } = await openServer();
    const result = await cli(['revoke-sessions', '--email', 'ghost@example.com'], env, dir);
    expect([result.code, result.out, result.err]).toEqual([
      1,
      '',
      'error: No user with the e-mail ghost@example.com\n',
    ]);
  });
});

describe('audit', () => {
  it('shows what the CLI and the server did, newest first, filtered by user, type and time, as lines or --json', async () => {
    const { dir, env, server } = await openServer();
    await createUser(server.deps, adminSecretPrincipal(internalsOf(server.gh).systemUserId!), {
      email: 'ava@example.com',
      username: 'ava',
      role: 'MEMBER',
      password: 'ava-pass-1',
    });
    await login(server.deps, { email: 'ava@example.com', password: 'ava-pass-1' });
    await expect(login(server.deps, { email: 'ava@example.com', password: 'wrong-pass' })).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    await server.gh.audit.flush();
    expect((await cli(['reset-password', '--email', 'ava@example.com', '--json'], env, dir)).code).toBe(0);
    expect((await cli(['revoke-sessions', '--email', 'ava@example.com'], env, dir)).code).toBe(0);

    const result = await cli(['audit', '--user', 'ava@example.com', '--json'], env, dir);
    expect(result.code).toBe(0);
    const events = result.json().events as {
      type: string;
      actor: { kind: string };
      user_agent: string | null;
      details: Record<string, unknown>;
    }[];
    expect(events.map((e) => e.type)).toEqual([
      'session.ended',
      'password.changed',
      'sign_in.failed',
      'sign_in.succeeded',
      'user.created',
    ]);
    expect(events[0]).toMatchObject({
      actor: { kind: 'cli' },
      user_agent: 'gatehouse-cli',
      details: { by: 'admin', reason: 'revoked', session_id: null },
    });
    expect(events[1]).toMatchObject({ actor: { kind: 'cli' }, details: { by: 'admin', sessions_ended: true } });
    // The generated password of reset-password is nowhere in the trail.
    const password = (await cli(['reset-password', '--email', 'ava@example.com', '--json'], env, dir)).json().password!;
    expect((await cli(['audit', '--json', '--limit', '0'], env, dir)).out).not.toContain(password);

    const failed = await cli(['audit', '--type', 'sign_in.failed', '--since', '1h'], env, dir);
    expect(failed.code).toBe(0);
    expect(failed.out.trimEnd().split('\n')).toHaveLength(1);
    expect(failed.out).toMatch(
      /^\d{4}-\d{2}-\d{2}T[\d:.]+Z {2}sign_in\.failed {2}actor=anonymous {2}subject=VXNlcjo\S+ {2}from=- {2}method="password" reason="invalid_password" login="ava@example.com"$/m,
    );
    const future = await cli(['audit', '--since', '2999-01-01T00:00:00Z'], env, dir);
    expect([future.code, future.out, future.err]).toEqual([0, '', 'no audit events match\n']);
  });

  it('exits 2 for a bad --since, --type or --limit and 1 for an unknown user', async () => {
    const { dir, env } = await openServer();
    for (const args of [
      ['--since', 'yesterday'],
      ['--type', 'sign_in.nope'],
      ['--limit', '-1'],
      ['--since', '1h', '--until', '2h'],
    ]) {
      const result = await cli(['audit', ...args], env, dir);
      expect(result.code, args.join(' ')).toBe(2);
    }
    const unknown = await cli(['audit', '--user', 'ghost@example.com'], env, dir);
    expect([unknown.code, unknown.err]).toEqual([1, 'error: No user with the e-mail ghost@example.com\n']);
  });
});

describe('on PostgreSQL', () => {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("reaches a running server's cache through NOTIFY: a token it already accepted is refused", async () => {
    const url = database!.url;
    const env: Env = { PHOENIX_SECRET: SECRET, PHOENIX_SQL_DATABASE_URL: url };
    const channel = await createPostgresRevocationChannel({ connectionString: url });
    const server = await startServer(await createPostgresStore({ connectionString: url }), env, channel);
    try {
      const session = await login(server.deps, { email: 'admin@localhost', password: 'admin' });
      const authenticate = () =>
        internalsOf(server.gh).authenticator!.authenticate({ authorization: `Bearer ${session.accessToken}` });
      expect((await authenticate()).ok).toBe(true);
      expect(internalsOf(server.gh).authenticator!.size).toBe(1);

      const dir = tempDir();
      const result = await cli(['revoke-sessions', '--email', 'admin@localhost', '--json'], env, dir);
      expect(result.code).toBe(0);
      expect(result.json()).toMatchObject({ ok: true, revocations: 'postgresql' });
      expect(result.err).toBe('');
      expect(result.out).not.toContain(url);

      const deadline = Date.now() + 5_000;
      while (internalsOf(server.gh).authenticator!.size > 0 && Date.now() < deadline)
        await new Promise((wait) => setTimeout(wait, 20));
      expect(await authenticate()).toEqual({ ok: false, reason: 'revoked' });

      const check = (await cli(['check-env', '--json'], env, dir)).json();
      expect(check.database).toEqual({ kind: 'postgresql' });
      expect(JSON.stringify(check)).not.toContain(url);
    } finally {
      await server.close();
      await channel.close();
    }
  });
});

describe('with GATEHOUSE_REDIS_URL', () => {
  it("reaches a running server's cache through Redis: a token it already accepted is refused", async () => {
    const redis = await startRedisServer();
    const channel = await createRedisRevocationChannel({ url: redis.url });
    const { dir, env } = await serverDir({ GATEHOUSE_REDIS_URL: redis.url });
    const server = await startSqliteServer(dir, env, channel);
    try {
      const session = await login(server.deps, { email: 'admin@localhost', password: 'admin' });
      const authenticate = () =>
        internalsOf(server.gh).authenticator!.authenticate({ authorization: `Bearer ${session.accessToken}` });
      expect((await authenticate()).ok).toBe(true);
      expect(internalsOf(server.gh).authenticator!.size).toBe(1);

      const result = await cli(['revoke-sessions', '--email', 'admin@localhost', '--json'], env, dir);
      expect(result.code).toBe(0);
      expect(result.json()).toMatchObject({ ok: true, revocations: 'redis' });
      expect(result.err).toBe('');

      const deadline = Date.now() + 5_000;
      while (internalsOf(server.gh).authenticator!.size > 0 && Date.now() < deadline)
        await new Promise((wait) => setTimeout(wait, 20));
      expect(await authenticate()).toEqual({ ok: false, reason: 'revoked' });
    } finally {
      await server.close();
      await channel.close();
      await redis.stop();
    }
  });
});

describe('the built bin', () => {
  function bin(args: string[], env: Env, cwd: string) {
    if (!existsSync(cliJs)) throw new Error(`${cliJs} is missing: run \`npm run build -w @gatehouse-auth/cli\` first`);
    // The servers these commands act on run with auth on; the CLI, like the library, defaults to off.
    return runFile(process.execPath, [cliJs, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', PHOENIX_ENABLE_AUTH: 'true', ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );
  }

  it('runs as `node dist/cli.js` with its exit codes', async () => {
    const { dir, env } = await openServer();
    const listed = await bin(['list-users', '--json'], env, dir);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ ok: true, users: [{ email: 'admin@localhost' }] });
    expect(await bin(['revoke-sessions', '--email', 'ghost@example.com'], env, dir)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: No user with the e-mail ghost@example.com\n',
    });
    const usage = await bin(['nope'], env, dir);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: gatehouse <command>');
  });

  it("works on the demo server's own directory: its generated secret signs keys the demo accepts", async () => {
    const dir = tempDir();
    const demo = await startDemo(dir);
    try {
      const env: Env = { PHOENIX_WORKING_DIR: dir, PHOENIX_ENABLE_AUTH: 'true' };
      const created = await bin(['create-system-key', '--name', 'ci', '--json'], env, dir);
      expect(created.code).toBe(0);
      const { key } = (JSON.parse(created.stdout) as { apiKey: { key: string } }).apiKey;
      expect((await fetch(`${demo.url}/v1/projects`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(
        200,
      );
      expect((await fetch(`${demo.url}/v1/projects`, { headers: { authorization: 'Bearer not-a-key' } })).status).toBe(
        401,
      );

      const listed = await bin(['list-users'], env, dir);
      expect(listed.stdout).toMatch(/admin@localhost\s+admin\s+ADMIN\s+LOCAL/);
    } finally {
      await demo.stop();
    }
  });
});
