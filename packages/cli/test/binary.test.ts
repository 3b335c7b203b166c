/**
 * Every `gatehouse` command through the built bin: `node packages/cli/dist/cli.js …` in a child
 * process with nothing in its environment but what each test gives it. cli.test.ts covers the
 * behaviour in-process; this file proves the shipped entry point wires argv, the streams, the
 * exit code and the environment the same way, and that what it writes is what a server reads.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { adminSecretPrincipal, createUser, login, refreshSession } from '@gatehouse-auth/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CORP_IDP_ENV,
  decodeGlobalId,
  GOOD_ENV,
  startSqliteServer,
  tempDirs,
  useDiscoveryServer,
  type CliJson,
  type Env,
  type RunningServer,
} from './support/fixtures.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

const SECRET = 'cli-bin-test-secret-0123456789-abcdefghijk';
const CLI_JS = resolve(import.meta.dirname, '../dist/cli.js');
const COMMAND_NAMES = [
  'check-env',
  'explain-claims',
  'reset-password',
  'create-system-key',
  'list-users',
  'revoke-sessions',
];

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

beforeAll(() => {
  // A clear failure instead of ENOENT from the child: `npm test` builds before it runs vitest.
  if (!existsSync(CLI_JS)) {
    throw new Error(
      `${CLI_JS} is missing: build the CLI first (\`npm run build -w @gatehouse-auth/cli\`, or \`npm test\`, which builds)`,
    );
  }
});

/**
 * `node dist/cli.js …` with exactly `env` (plus PATH) and `cwd`: no variable of the test runner
 * leaks in, so a PHOENIX_* set on the developer's machine cannot change the answer.
 */
function gatehouse(args: readonly string[], env: Env, cwd: string): Promise<Outcome> {
  return new Promise((done, fail) => {
    // Auth on, as the servers these tests start (fail-loud.test.ts covers the default, off).
    execFile(
      process.execPath,
      [CLI_JS, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', PHOENIX_ENABLE_AUTH: 'true', ...env }, timeout: 15_000 },
      (error, stdout, stderr) => {
        if (error === null) return done({ code: 0, stdout, stderr });
        // A number is the child's exit code; anything else (spawn failure, timeout kill) is the test's problem.
        if (typeof error.code === 'number') return done({ code: error.code, stdout, stderr });
        fail(new Error(`gatehouse ${args.join(' ')} did not run: ${error.message}\n${stderr}`));
      },
    );
  });
}

/** stdout as the single JSON line `--json` promises. */
function jsonLine(outcome: Outcome): CliJson {
  const lines = outcome.stdout.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(outcome.stdout.endsWith('\n')).toBe(true);
  return JSON.parse(lines[0]!) as CliJson;
}

const tempDir = tempDirs('gatehouse-bin-');

/** A working directory a server has started on once (bootstrapped `phoenix.db`), open for the test's body. */
async function withServer(
  extra: Env,
  body: (server: RunningServer, env: Env, dir: string) => Promise<void>,
): Promise<void> {
  const dir = tempDir();
  const env: Env = { PHOENIX_WORKING_DIR: dir, PHOENIX_SECRET: SECRET, ...extra };
  // What a running server holds on the same working directory: its own connection to `phoenix.db`.
  const server = await startSqliteServer(dir, env);
  try {
    await body(server, env, dir);
  } finally {
    await server.close();
  }
}

/**
 * Whether a token is good, asked of a separate server instance that is then closed: asking the
 * main one would put the token in its cache, which (with no revocation channel on SQLite) would
 * keep accepting it after the CLI revokes it, as the CLI's own note says.
 */
async function acceptedByFreshServer(dir: string, env: Env, token: string): Promise<boolean> {
  const probe = await startSqliteServer(dir, env);
  try {
    return (await probe.authenticate(token)).ok;
  } finally {
    await probe.close();
  }
}

describe('gatehouse (built bin): the command line', () => {
  it('exits 2 with the overview on stderr and nothing on stdout without a command', async () => {
    const result = await gatehouse([], {}, tempDir());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: gatehouse <command> [options]');
    for (const name of COMMAND_NAMES) expect(result.stderr).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'));
  });

  it('answers --help, help <command> and <command> --help on stdout with 0', async () => {
    const dir = tempDir();
    const [overview, short, topic, flag] = await Promise.all([
      gatehouse(['--help'], {}, dir),
      gatehouse(['-h'], {}, dir),
      gatehouse(['help', 'reset-password'], {}, dir),
      gatehouse(['list-users', '--help'], {}, dir),
    ]);
    expect(overview).toMatchObject({ code: 0, stderr: '' });
    expect(overview.stdout).toContain('Usage: gatehouse <command> [options]');
    expect(overview.stdout).toContain('Exit codes: 0 ok, 1 the operation failed, 2 usage error.\n');
    for (const name of COMMAND_NAMES) expect(overview.stdout).toContain(`  ${name}`);
    expect(short).toEqual(overview);
    expect(topic).toMatchObject({ code: 0, stderr: '' });
    expect(topic.stdout).toMatch(/^Usage: gatehouse reset-password --email E \[--password P\] \[--json\]\n/);
    expect(flag).toMatchObject({ code: 0, stderr: '' });
    expect(flag.stdout).toMatch(/^Usage: gatehouse list-users \[--json\]\n/);
  });

  it('exits 2 with the usage on stderr, and no JSON line, for every kind of wrong command line', async () => {
    const dir = tempDir();
    const [unknown, unknownTopic, flag, missing, positional, noValue] = await Promise.all([
      gatehouse(['frobnicate', '--json'], {}, dir),
      gatehouse(['help', 'frobnicate'], {}, dir),
      gatehouse(['list-users', '--verbose', '--json'], {}, dir),
      gatehouse(['reset-password', '--json'], {}, dir),
      gatehouse(['revoke-sessions', 'someone@example.com', '--json'], {}, dir),
      gatehouse(['explain-claims', '--idp'], {}, dir),
    ]);
    for (const result of [unknown, unknownTopic, flag, missing, positional, noValue]) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: /);
    }
    expect(unknown.stderr).toMatch(/^error: unknown command 'frobnicate'\n\nUsage: gatehouse <command>/);
    expect(unknownTopic.stderr).toMatch(/^error: unknown command 'frobnicate'/);
    expect(flag.stderr).toMatch(/^error: Unknown option '--verbose'/);
    expect(flag.stderr).toContain('Usage: gatehouse list-users [--json]');
    expect(missing.stderr).toMatch(/^error: --email is required\n\nUsage: gatehouse reset-password/);
    expect(positional.stderr).toContain('Usage: gatehouse revoke-sessions --email E [--json]');
    expect(noValue.stderr).toContain('Usage: gatehouse explain-claims');
  });
});

describe('gatehouse check-env (built bin)', () => {
  it('summarises a good environment, as text and as one JSON line, without echoing a secret', async () => {
    const dir = tempDir();
    const env: Env = { PHOENIX_WORKING_DIR: dir, PHOENIX_SECRET: SECRET, ...GOOD_ENV };
    const [human, machine] = await Promise.all([
      gatehouse(['check-env'], env, dir),
      gatehouse(['check-env', '--json'], env, dir),
    ]);
    expect(human.code).toBe(0);
    expect(human.stderr).toBe('');
    expect(human.stdout).toMatch(/^environment ok\n/);
    expect(human.stdout).toMatch(/auth\s+on \(password login on, strong passwords off\)/);
    expect(human.stdout).toContain(`sqlite ${join(dir, 'phoenix.db')}`);
    expect(human.stdout).toContain('corp (Corp)');

    expect(machine).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLine(machine)).toMatchObject({
      ok: true,
      auth: { enabled: true, basicAuth: true },
      secret: { source: 'env' },
      adminSecret: true,
      database: { kind: 'sqlite', filename: join(dir, 'phoenix.db') },
      revocations: 'none',
      idps: [{ name: 'corp', displayName: 'Corp' }],
      smtp: { hostname: 'smtp.example.com', port: 587 },
    });
    for (const output of [human.stdout, human.stderr, machine.stdout]) {
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

  it('reads a relative working directory from its cwd, and lists every problem with exit 1', async () => {
    const dir = tempDir();
    const relative = await gatehouse(['check-env', '--json'], { PHOENIX_SECRET: SECRET }, dir);
    expect(jsonLine(relative).database).toEqual({ kind: 'sqlite', filename: join(dir, '.data', 'phoenix.db') });

    const env: Env = {
      PHOENIX_WORKING_DIR: dir,
      PHOENIX_SECRET: 'no-digits-here-but-long-enough-to-count',
      PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: '-3',
    };
    const [human, machine] = await Promise.all([
      gatehouse(['check-env'], env, dir),
      gatehouse(['check-env', '--json'], env, dir),
    ]);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/^error: the environment has 2 problems:\n/);
    expect(human.stderr).toContain('  - PHOENIX_SECRET: ');
    expect(human.stderr).toContain('  - PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES: ');

    expect(machine.code).toBe(1);
    expect(machine.stderr).toBe(human.stderr);
    const json = jsonLine(machine);
    expect(json).toMatchObject({
      ok: false,
      error: { code: 'config_invalid', message: 'the environment has 2 problems' },
    });
    expect(json.issues?.map((issue) => issue.variable).sort()).toEqual([
      'PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES',
      'PHOENIX_SECRET',
    ]);
    expect(human.stderr + machine.stdout).not.toContain(env.PHOENIX_SECRET);
  });

  describe('--online', () => {
    const discovery = useDiscoveryServer();

    it("exits 0 when every IdP's discovery document answers", async () => {
      const dir = tempDir();
      const env: Env = { PHOENIX_WORKING_DIR: dir, PHOENIX_SECRET: SECRET, ...discovery.idpEnv('good') };
      const [human, machine] = await Promise.all([
        gatehouse(['check-env', '--online'], env, dir),
        gatehouse(['check-env', '--online', '--json'], env, dir),
      ]);
      expect(human).toMatchObject({ code: 0, stderr: '' });
      expect(human.stdout).toMatch(/^online\n\s+good\s+ok \(issuer http:\/\/127\.0\.0\.1:\d+\/good\)$/m);
      expect(machine).toMatchObject({ code: 0, stderr: '' });
      expect(jsonLine(machine)).toMatchObject({
        ok: true,
        online: [{ idp: 'good', ok: true, issuer: `${discovery.base}/good` }],
      });
    });

    it('exits 1 and names the IdP whose discovery fails', async () => {
      const dir = tempDir();
      const env: Env = {
        PHOENIX_WORKING_DIR: dir,
        PHOENIX_SECRET: SECRET,
        ...discovery.idpEnv('good'),
        ...discovery.idpEnv('bad'),
      };
      const [human, machine] = await Promise.all([
        gatehouse(['check-env', '--online'], env, dir),
        gatehouse(['check-env', '--online', '--json'], env, dir),
      ]);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/bad\s+failed: IdP bad: discovery failed: discovery answered 404/);
      expect(human.stderr).toBe('error: discovery failed for bad\n');
      expect(machine.code).toBe(1);
      expect(machine.stderr).toBe('error: discovery failed for bad\n');
      expect(jsonLine(machine)).toMatchObject({
        ok: false,
        online: [
          { idp: 'bad', ok: false, error: expect.stringContaining('IdP bad: discovery failed') },
          { idp: 'good', ok: true, issuer: `${discovery.base}/good` },
        ],
      });
    });
  });
});

describe('gatehouse explain-claims (built bin)', () => {
  const idpEnv: Env = { PHOENIX_SECRET: SECRET, ...CORP_IDP_ENV };

  it('explains an allowed and a denied set of claims, read relative to its cwd, exiting 0 for both', async () => {
    const dir = tempDir();
    const env: Env = { PHOENIX_WORKING_DIR: dir, ...idpEnv };
    writeFileSync(
      join(dir, 'alice.json'),
      JSON.stringify({ sub: 'u-1', email: ' Alice@Example.com ', name: 'Alice', groups: ['eng', 'admins'] }),
    );
    writeFileSync(join(dir, 'bob.json'), JSON.stringify({ sub: 'u-2', email: 'bob@example.com', groups: ['sales'] }));
    const [allowed, human, denied] = await Promise.all([
      gatehouse(['explain-claims', '--idp', 'corp', '--claims', 'alice.json', '--json'], env, dir),
      gatehouse(['explain-claims', '--idp', 'CORP', '--claims', 'alice.json'], env, dir),
      gatehouse(['explain-claims', '--idp', 'corp', '--claims', 'bob.json', '--json'], env, dir),
    ]);
    expect(allowed).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLine(allowed)).toMatchObject({
      ok: true,
      idp: { name: 'corp', displayName: 'Corp' },
      allowed: true,
      role: 'ADMIN',
      userInfo: { ok: true, sub: 'u-1', email: 'alice@example.com', username: 'Alice' },
      groups: { path: 'groups', found: ['eng', 'admins'], passed: true },
      roleClaim: { value: 'admin', strict: false },
      idTokenSufficient: true,
    });
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toMatch(/^idp\s+corp \(Corp\)$/m);
    expect(human.stdout).toMatch(/^decision\s+allowed as ADMIN$/m);
    expect(denied).toMatchObject({ code: 0, stderr: '' });
    expect(jsonLine(denied)).toMatchObject({
      ok: true,
      allowed: false,
      role: null,
      reason: "Access denied: none of the user's groups ('sales') is in ALLOWED_GROUPS",
    });
  });

  it('exits 1 with an error line on stderr and in --json for an unknown IdP or an unreadable file', async () => {
    const dir = tempDir();
    const env: Env = { PHOENIX_WORKING_DIR: dir, ...idpEnv };
    writeFileSync(join(dir, 'ok.json'), '{"sub":"x","email":"x@example.com"}');
    const [unknown, missing] = await Promise.all([
      gatehouse(['explain-claims', '--idp', 'nope', '--claims', 'ok.json', '--json'], env, dir),
      gatehouse(['explain-claims', '--idp', 'corp', '--claims', 'missing.json'], env, dir),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("error: No IdP named 'nope'; configured: corp\n");
    expect(jsonLine(unknown)).toEqual({
      ok: false,
      error: { code: 'not_found', message: "No IdP named 'nope'; configured: corp" },
    });
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: Cannot read ${join(dir, 'missing.json')}: ENOENT\n`,
    });
  });
});

describe('gatehouse reset-password (built bin)', () => {
  it('sets a generated password the server then accepts, and ends the old session', async () => {
    await withServer({}, async (server, env, dir) => {
      const before = await login(server.deps, { email: 'admin@localhost', password: 'admin' });
      expect(await acceptedByFreshServer(dir, env, before.accessToken)).toBe(true);

      const result = await gatehouse(['reset-password', '--email', 'Admin@Localhost', '--json'], env, dir);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('note: a server already running on this SQLite database');
      const json = jsonLine(result);
      expect(json).toMatchObject({
        ok: true,
        user: { email: 'admin@localhost', role: 'ADMIN', auth_method: 'LOCAL', password_needs_reset: true },
        sessionsEnded: true,
        revocations: 'none',
      });
      expect(decodeGlobalId(json.user!.id)).toBe(`User:${before.user.id}`);
      expect(json.password).toMatch(/^[A-Za-z0-9_]{20}$/);

      await expect(login(server.deps, { email: 'admin@localhost', password: 'admin' })).rejects.toMatchObject({
        code: 'invalid_credentials',
      });
      const after = await login(server.deps, { email: 'admin@localhost', password: json.password });
      expect(after.user.resetPassword).toBe(true);
      expect(await server.authenticate(before.accessToken)).toEqual({ ok: false, reason: 'revoked' });
      await expect(refreshSession(server.deps, before.refreshToken)).rejects.toMatchObject({ code: 'invalid_token' });
      expect((await server.authenticate(after.accessToken)).ok).toBe(true);
    });
  });

  it('sets a chosen password without printing it, and exits 1 for an unknown e-mail', async () => {
    await withServer({}, async (server, env, dir) => {
      const chosen = await gatehouse(
        ['reset-password', '--email', 'admin@localhost', '--password', 'Chosen-pass-1'],
        env,
        dir,
      );
      expect(chosen.code).toBe(0);
      expect(chosen.stdout).toMatch(/^reset the password of admin@localhost \(VXNlcjo[A-Za-z0-9+/=]+\)\n/);
      expect(chosen.stdout).not.toMatch(/^password: /m);
      expect(chosen.stdout + chosen.stderr).not.toContain('Chosen-pass-1');
      expect((await login(server.deps, { email: 'admin@localhost', password: 'Chosen-pass-1' })).user.email).toBe(
        'admin@localhost',
      );

      const unknown = await gatehouse(['reset-password', '--email', 'nobody@example.com', '--json'], env, dir);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe('error: No user with the e-mail nobody@example.com\n');
      expect(jsonLine(unknown)).toEqual({
        ok: false,
        error: { code: 'not_found', message: 'No user with the e-mail nobody@example.com' },
      });
    });
  });
});

describe('gatehouse create-system-key (built bin)', () => {
  it('mints keys, as JSON and as text, that the server authenticates as the system user', async () => {
    await withServer({}, async (server, env, dir) => {
      const [machine, human] = await Promise.all([
        gatehouse(
          [
            'create-system-key',
            '--name',
            'ci',
            '--description',
            'deploys',
            '--expires',
            '2999-01-01T00:00:00',
            '--json',
          ],
          env,
          dir,
        ),
        gatehouse(['create-system-key', '--name', 'nightly'], env, dir),
      ]);
      expect(machine).toMatchObject({ code: 0, stderr: '' });
      const { apiKey, ...rest } = jsonLine(machine);
      if (!apiKey) throw new Error('no apiKey in the output');
      expect(rest).toEqual({ ok: true });
      expect(apiKey).toMatchObject({
        name: 'ci',
        description: 'deploys',
        expires_at: '2999-01-01T00:00:00.000Z',
        key: expect.any(String),
      });
      expect(decodeGlobalId(apiKey.id)).toMatch(/^SystemApiKey:\d+$/);
      expect(await server.authenticate(apiKey.key)).toMatchObject({
        ok: true,
        principal: { kind: 'system_api_key', role: 'SYSTEM', userId: internalsOf(server.gh).systemUserId },
      });

      expect(human).toMatchObject({ code: 0, stderr: '' });
      expect(human.stdout).toMatch(
        /^created the system key 'nightly' \(U3lzdGVtQXBpS2V5O[A-Za-z0-9+/=]+\), never expires\n/,
      );
      const key = /^key: (\S+)$/m.exec(human.stdout)?.[1];
      expect(key).toBeDefined();
      expect(human.stdout.split(key!).length - 1).toBe(1);
      expect(await server.authenticate(key!)).toMatchObject({ ok: true, principal: { kind: 'system_api_key' } });
      expect((await server.authenticate('not-a-key')).ok).toBe(false);
    });
  });

  it('exits 1 for an expiry in the past and when the secret it must sign with does not exist yet', async () => {
    await withServer({}, async (_server, env, dir) => {
      const { PHOENIX_SECRET: _unset, ...withoutSecret } = env;
      const [past, unsigned] = await Promise.all([
        gatehouse(['create-system-key', '--name', 'old', '--expires', '2001-01-01T00:00:00Z', '--json'], env, dir),
        gatehouse(['create-system-key', '--name', 'ci', '--json'], withoutSecret, dir),
      ]);
      expect(past.code).toBe(1);
      expect(past.stderr).toBe('error: expires_at must be in the future\n');
      expect(jsonLine(past)).toEqual({
        ok: false,
        error: { code: 'invalid_input', message: 'expires_at must be in the future' },
      });
      expect(unsigned.code).toBe(1);
      expect(unsigned.stderr).toContain(`${join(dir, 'demo-secret')} does not exist`);
      expect(jsonLine(unsigned)).toMatchObject({
        ok: false,
        error: { code: 'config_invalid' },
        issues: [{ variable: 'PHOENIX_SECRET' }],
      });
      expect(existsSync(join(dir, 'demo-secret'))).toBe(false);
    });
  });
});

describe('gatehouse list-users (built bin)', () => {
  it('lists the users the server created, newest first, as JSON and as a table', async () => {
    await withServer({}, async (server, env, dir) => {
      const member = await createUser(server.deps, adminSecretPrincipal(internalsOf(server.gh).systemUserId!), {
        email: 'mia@example.com',
        username: 'mia',
        role: 'MEMBER',
      });
      const [machine, human] = await Promise.all([
        gatehouse(['list-users', '--json'], env, dir),
        gatehouse(['list-users'], env, dir),
      ]);
      expect(machine).toMatchObject({ code: 0, stderr: '' });
      const { ok, users = [] } = jsonLine(machine);
      expect(ok).toBe(true);
      expect(users.map((user) => user.email)).toEqual(['mia@example.com', 'admin@localhost']);
      expect(users[0]).toMatchObject({ username: 'mia', role: 'MEMBER', auth_method: 'LOCAL' });
      expect(decodeGlobalId(users[0]!.id)).toBe(`User:${member.id}`);

      expect(human).toMatchObject({ code: 0, stderr: '' });
      const lines = human.stdout.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^ID\s+EMAIL\s+USERNAME\s+ROLE\s+AUTH$/);
      expect(lines[1]).toMatch(/\s+mia@example\.com\s+mia\s+MEMBER\s+LOCAL$/);
      expect(lines[2]).toMatch(/\s+admin@localhost\s+admin\s+ADMIN\s+LOCAL$/);
      expect(human.stdout).not.toContain('system@localhost');
    });
  });

  it('exits 1 without creating a database where there is none, and when auth is off', async () => {
    const dir = tempDir();
    const [missing, off] = await Promise.all([
      gatehouse(['list-users', '--json'], { PHOENIX_SECRET: SECRET }, dir),
      gatehouse(['list-users', '--json'], { PHOENIX_SECRET: SECRET, PHOENIX_ENABLE_AUTH: 'false' }, dir),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: No database at /);
    expect(jsonLine(missing).error).toEqual({
      code: 'not_found',
      message: `No database at ${join(dir, '.data', 'phoenix.db')}: start the server once, or set PHOENIX_WORKING_DIR or PHOENIX_SQL_DATABASE_URL as the server has them`,
    });
    expect(existsSync(join(dir, '.data'))).toBe(false);
    expect(off.code).toBe(1);
    expect(jsonLine(off).error!.code).toBe('auth_disabled');
  });
});

describe('gatehouse revoke-sessions (built bin)', () => {
  it("ends every session of the user: the server refuses their old tokens and keeps others'", async () => {
    await withServer({}, async (server, env, dir) => {
      await createUser(server.deps, adminSecretPrincipal(internalsOf(server.gh).systemUserId!), {
        email: 'mia@example.com',
        username: 'mia',
        role: 'MEMBER',
        password: 'mia-pass',
      });
      const first = await login(server.deps, { email: 'admin@localhost', password: 'admin' });
      const second = await login(server.deps, { email: 'admin@localhost', password: 'admin' });
      const other = await login(server.deps, { email: 'mia@example.com', password: 'mia-pass' });
      expect(await acceptedByFreshServer(dir, env, first.accessToken)).toBe(true);

      const result = await gatehouse(['revoke-sessions', '--email', 'admin@localhost', '--json'], env, dir);
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('their refresh tokens are refused now');
      const json = jsonLine(result);
      expect(json).toMatchObject({ ok: true, user: { email: 'admin@localhost', role: 'ADMIN' }, revocations: 'none' });
      expect(decodeGlobalId(json.user!.id)).toBe(`User:${first.user.id}`);

      expect(await server.authenticate(first.accessToken)).toEqual({ ok: false, reason: 'revoked' });
      expect(await server.authenticate(second.accessToken)).toEqual({ ok: false, reason: 'revoked' });
      await expect(refreshSession(server.deps, second.refreshToken)).rejects.toMatchObject({ code: 'invalid_token' });
      expect(await server.authenticate(other.accessToken)).toMatchObject({ ok: true, principal: { kind: 'session' } });
      // Sessions end, the account does not: the same password logs in again.
      expect((await login(server.deps, { email: 'admin@localhost', password: 'admin' })).user.email).toBe(
        'admin@localhost',
      );
    });
  });

  it('prints one line as text, and exits 1 for an unknown e-mail', async () => {
    await withServer({}, async (_server, env, dir) => {
      const [human, unknown, unknownJson] = await Promise.all([
        gatehouse(['revoke-sessions', '--email', 'admin@localhost'], env, dir),
        gatehouse(['revoke-sessions', '--email', 'ghost@example.com'], env, dir),
        gatehouse(['revoke-sessions', '--email', 'ghost@example.com', '--json'], env, dir),
      ]);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^ended every session of admin@localhost \(VXNlcjo[A-Za-z0-9+/=]+\)\n$/);
      expect(unknown).toEqual({ code: 1, stdout: '', stderr: 'error: No user with the e-mail ghost@example.com\n' });
      expect(unknownJson.code).toBe(1);
      expect(jsonLine(unknownJson)).toEqual({
        ok: false,
        error: { code: 'not_found', message: 'No user with the e-mail ghost@example.com' },
      });
    });
  });
});
