/** `check-env --online` with LDAP: a service-account bind and a test search against a real slapd. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type Slapd } from '../../../test/setup/slapd.js';
import { run } from '../src/index.js';
import { tempDirs, type Env } from './support/fixtures.js';

const SECRET = 'cli-test-secret-0123456789-abcdefghijklmnop';
const tempDir = tempDirs('gatehouse-cli-ldap-');
let slapd: Slapd;

beforeAll(async () => {
  slapd = await startSlapd();
  await slapd.addUser({
    uid: 'probe-alice',
    password: 'pw',
    mail: 'probe-alice@example.com',
    groups: ['admins', 'members'],
  });
}, 30_000);
afterAll(() => slapd?.close());

async function cli(args: string[], env: Env) {
  const dir = tempDir();
  let out = '';
  let err = '';
  const code = await run(args, {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    env: { PHOENIX_WORKING_DIR: dir, PHOENIX_SECRET: SECRET, ...env },
    cwd: dir,
  });
  return { code, out, err };
}

describe('check-env --online with LDAP', () => {
  it('binds as the service account, runs the search and reports the entry it found', async () => {
    const result = await cli(['check-env', '--online', '--ldap-user', 'probe-alice'], slapd.env());
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^ {2}ldap {10}127\.0\.0\.1 port \d+ \(starttls\)$/m);
    expect(result.out).toContain('ldap ok');
    expect(result.out).toContain(
      'bound as cn=service,ou=accounts,dc=example,dc=com; (&(objectClass=inetOrgPerson)(uid=probe-alice)) found 1 entry',
    );
    expect(result.out).toContain(
      'uid=probe-alice,ou=people,dc=example,dc=com (e-mail: probe-alice@example.com; groups: 2 memberOf)',
    );

    const json = await cli(['check-env', '--online', '--json'], slapd.env());
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.out) as {
      ok: boolean;
      ldap: { tlsMode: string; serviceAccount: boolean };
      ldapOnline: { ok: boolean; lines: string[] };
    };
    expect(parsed.ok).toBe(true);
    expect(parsed.ldap).toMatchObject({ tlsMode: 'starttls', serviceAccount: true });
    expect(parsed.ldapOnline.ok).toBe(true);
    expect(parsed.ldapOnline.lines[0]).toMatch(/found 0 entries$/);
  });

  it('a wrong service password or an untrusted certificate fails the check (exit 1) and says why', async () => {
    const wrong = await cli(['check-env', '--online'], slapd.env({ PHOENIX_LDAP_BIND_PASSWORD: 'not-it' }));
    expect(wrong.code).toBe(1);
    expect(wrong.out).toContain('ldap failed');
    expect(wrong.out).toMatch(/failed: InvalidCredentialsError/);
    expect(wrong.err).toContain('error: the LDAP check failed');
    expect(wrong.out).not.toContain('not-it');

    const untrusted = await cli(
      ['check-env', '--online'],
      slapd.env({ PHOENIX_LDAP_TLS_CA_CERT_FILE: slapd.otherCaFile }),
    );
    expect(untrusted.code).toBe(1);
    expect(untrusted.out).toMatch(/failed: .*(certificate|self.signed|verify)/i);
  });
});
