/**
 * A real OpenLDAP server for a test file: Debian's slapd started from a
 * generated slapd.conf on loopback, never the system service. A throw-away CA signs the server
 * certificate (127.0.0.1 / localhost), so STARTTLS on the plain port and LDAPS on the second work.
 * Seeded through the protocol as the root DN, so the memberof overlay fills `memberOf`.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { freePort, spawnServer, waitUntilReady, type ServerProcess } from '../support/processes.js';

export const BASE = 'dc=example,dc=com';
export const PEOPLE = `ou=people,${BASE}`;
export const STAFF = `ou=staff,${BASE}`;
export const GROUPS = `ou=groups,${BASE}`;
export const SERVICE_DN = `cn=service,ou=accounts,${BASE}`;
export const SERVICE_PASSWORD = 'service-password';
const ROOT_DN = `cn=admin,${BASE}`;
const ROOT_PASSWORD = 'root-password';

export interface DirectoryUserSeed {
  uid: string;
  password: string;
  ou?: string;
  mail?: string | null;
  displayName?: string | null;
  /** The stand-in for Active Directory's sAMAccountName (`employeeNumber`). */
  account?: string;
  /** Group cns (groupOfNames under ou=groups) the user is a member of. */
  groups?: string[];
}

export interface Slapd {
  readonly port: number;
  readonly tlsPort: number;
  readonly caFile: string;
  /** A certificate from another CA: the server's is not trusted with it. */
  readonly otherCaFile: string;
  /** A client certificate and key signed by the server's CA. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** The PHOENIX_LDAP_* variables of the standard setup (STARTTLS, service account, memberOf). */
  env(overrides?: Record<string, string>): Record<string, string>;
  addUser(seed: DirectoryUserSeed): Promise<string>;
  setMail(uid: string, mail: string, ou?: string): Promise<void>;
  addToGroup(cn: string, dn: string): Promise<void>;
  removeFromGroup(cn: string, dn: string): Promise<void>;
  entryUuid(dn: string): Promise<string>;
  /** A referral object (RFC 3296) named `cn` under ou=people pointing at `url`; searches return it as a continuation. */
  addReferral(cn: string, url: string): Promise<void>;
  /** A posixGroup under ou=posix with these memberUid values; returns its DN. */
  addPosixGroup(cn: string, memberUids: string[]): Promise<string>;
  /** The slapd log so far (`-d stats`: every BIND and STARTTLS). */
  log(): string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections are accepted by the kernel but never answered. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

function makeCertificates(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const name of ['ca', 'other-ca']) {
    run(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=Gatehouse test ${name}`,
    );
  }
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n');
  run(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.cnf',
  );
  // A client certificate from the same CA, for servers that demand one.
  run(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'client.key',
    '-out',
    'client.csr',
    '-subj',
    '/CN=gatehouse-client',
  );
  run(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.pem',
    '-days',
    '2',
  );
}

export interface SlapdOptions {
  /** `TLSVerifyClient demand`: TLS only with a client certificate from the test CA. */
  requireClientCertificate?: boolean;
}

export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-slapd-'));
  mkdirSync(join(dir, 'db'));
  makeCertificates(dir);
  const [port, tlsPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'moduleload memberof',
      `pidfile ${dir}/slapd.pid`,
      `TLSCACertificateFile ${dir}/ca.pem`,
      `TLSCertificateFile ${dir}/server.pem`,
      `TLSCertificateKeyFile ${dir}/server.key`,
      `TLSVerifyClient ${options.requireClientCertificate ? 'demand' : 'allow'}`,
      'database mdb',
      `suffix "${BASE}"`,
      `rootdn "${ROOT_DN}"`,
      `rootpw ${ssha(ROOT_PASSWORD)}`,
      `directory ${dir}/db`,
      'maxsize 10485760',
      'overlay memberof',
      // Anyone may search and read (the anonymous-search path needs it); passwords only for binds.
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );

  let server: ServerProcess | null = null;
  // Kept across restarts: the log of every run.
  let earlier = '';
  const output = () => earlier + (server?.output() ?? '');
  async function start(): Promise<void> {
    if (server) earlier += server.output();
    const started = spawnServer('/usr/sbin/slapd', [
      '-f',
      join(dir, 'slapd.conf'),
      '-h',
      `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`,
      '-d',
      'stats',
    ]);
    server = started;
    const answers = async (): Promise<boolean> => {
      try {
        const probe = new Client({ url: `ldap://127.0.0.1:${port}`, connectTimeout: 500, timeout: 1000 });
        await probe.bind(ROOT_DN, ROOT_PASSWORD);
        await probe.unbind();
        return true;
      } catch {
        return false;
      }
    };
    await waitUntilReady(started, 'slapd', answers, { timeoutMs: 15_000, intervalMs: 100 });
  }
  async function stop(): Promise<void> {
    const stopped = server;
    if (!stopped) return;
    earlier += stopped.output();
    server = null;
    if (stopped.child.exitCode !== null) return;
    stopped.child.kill('SIGCONT');
    stopped.child.kill('SIGTERM');
    await stopped.exited;
  }

  async function admin<T>(run: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url: `ldap://127.0.0.1:${port}`, timeout: 5000 });
    try {
      await client.bind(ROOT_DN, ROOT_PASSWORD);
      return await run(client);
    } finally {
      await client.unbind();
    }
  }

  await start();
  await admin(async (client) => {
    await client.add(BASE, { objectClass: ['top', 'dcObject', 'organization'], dc: 'example', o: 'Example' });
    for (const ou of ['people', 'staff', 'groups', 'accounts', 'posix']) {
      await client.add(`ou=${ou},${BASE}`, { objectClass: ['organizationalUnit'], ou });
    }
    await client.add(SERVICE_DN, {
      objectClass: ['organizationalRole', 'simpleSecurityObject'],
      cn: 'service',
      userPassword: ssha(SERVICE_PASSWORD),
    });
    // groupOfNames needs a member: the service account holds each group open.
    for (const cn of ['admins', 'members', 'viewers']) {
      await client.add(`cn=${cn},${GROUPS}`, { objectClass: ['groupOfNames'], cn, member: [SERVICE_DN] });
    }
  });

  const dnOf = (uid: string, ou = PEOPLE) => `uid=${uid},${ou}`;

  return {
    port,
    tlsPort,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    env(overrides = {}) {
      return {
        PHOENIX_LDAP_HOST: '127.0.0.1',
        PHOENIX_LDAP_PORT: String(port),
        PHOENIX_LDAP_TLS_MODE: 'starttls',
        PHOENIX_LDAP_TLS_CA_CERT_FILE: join(dir, 'ca.pem'),
        PHOENIX_LDAP_BIND_DN: SERVICE_DN,
        PHOENIX_LDAP_BIND_PASSWORD: SERVICE_PASSWORD,
        PHOENIX_LDAP_USER_SEARCH_BASE_DNS: JSON.stringify([PEOPLE, STAFF]),
        PHOENIX_LDAP_USER_SEARCH_FILTER: '(&(objectClass=inetOrgPerson)(uid=%s))',
        PHOENIX_LDAP_ATTR_EMAIL: 'mail',
        PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: JSON.stringify([
          { group_dn: `cn=admins,${GROUPS}`, role: 'ADMIN' },
          { group_dn: `cn=members,${GROUPS}`, role: 'MEMBER' },
          { group_dn: `cn=viewers,${GROUPS}`, role: 'VIEWER' },
        ]),
        ...overrides,
      };
    },
    async addUser(seed) {
      const dn = dnOf(seed.uid, seed.ou);
      await admin(async (client) => {
        const entry: Record<string, string | string[]> = {
          objectClass: ['inetOrgPerson', 'posixAccount'],
          uid: seed.uid,
          cn: seed.uid,
          sn: seed.uid,
          uidNumber: String(1000 + Math.floor(Math.random() * 100_000)),
          gidNumber: '1000',
          homeDirectory: '/home/user',
          userPassword: ssha(seed.password),
        };
        if (seed.mail !== null) entry.mail = seed.mail ?? `${seed.uid}@example.com`;
        if (seed.displayName) entry.displayName = seed.displayName;
        if (seed.account) entry.employeeNumber = seed.account;
        await client.add(dn, entry);
        for (const cn of seed.groups ?? []) {
          await client.modify(
            `cn=${cn},${GROUPS}`,
            new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [dn] }) }),
          );
        }
      });
      return dn;
    },
    async setMail(uid, mail, ou) {
      await admin((client) =>
        client.modify(
          dnOf(uid, ou),
          new Change({ operation: 'replace', modification: new Attribute({ type: 'mail', values: [mail] }) }),
        ),
      );
    },
    async addToGroup(cn, dn) {
      await admin((client) =>
        client.modify(
          `cn=${cn},${GROUPS}`,
          new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [dn] }) }),
        ),
      );
    },
    async removeFromGroup(cn, dn) {
      await admin((client) =>
        client.modify(
          `cn=${cn},${GROUPS}`,
          new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [dn] }) }),
        ),
      );
    },
    async entryUuid(dn) {
      return admin(async (client) => {
        const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['entryUUID'] });
        return String(searchEntries[0]?.entryUUID ?? '');
      });
    },
    async addReferral(cn, url) {
      await admin((client) =>
        client.add(`cn=${cn},${PEOPLE}`, { objectClass: ['referral', 'extensibleObject'], cn, ref: url }),
      );
    },
    async addPosixGroup(cn, memberUids) {
      const dn = `cn=${cn},ou=posix,${BASE}`;
      await admin((client) =>
        client.add(dn, { objectClass: ['posixGroup'], cn, gidNumber: '2000', memberUid: memberUids }),
      );
      return dn;
    },
    log: output,
    stop,
    start,
    pause: () => server?.child.kill('SIGSTOP'),
    resume: () => server?.child.kill('SIGCONT'),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
