/**
 * LDAP provisioning on both stores (SQLite file and a real PostgreSQL), against a real slapd:
 * sign-up, role re-sync, unique-id adoption across an e-mail change, no-email mode and the
 * protection of LOCAL addresses, and the welcome mail of an admin-created LDAP user (none for a
 * just-in-time one) through a real SMTP receiver, all through Gatehouse's own request handler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGatehouse,
  createSmtpMailer,
  parseAuthEnv,
  type AuthStore,
  type Gatehouse,
} from '../../packages/core/src/index.js';
import { startSmtp, type ReceivedMail } from '../http/harness.js';
import { createPostgresStore, createSqliteStore } from '../../packages/db/src/index.js';
import { createTestDatabase, type TestDatabase } from '../../packages/db/test/support/postgres.js';
import { startSlapd, type Slapd } from '../setup/slapd.js';
import { seedUser } from '../http/conformance/ldap-support.js';

const ADMIN_SECRET = 'admin0secret0for0tests0abcdefghij0123';
let slapd: Slapd;
let database: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'gh-ldap-stores-'));
let schemas = 0;

beforeAll(async () => {
  [slapd, database] = await Promise.all([startSlapd(), createTestDatabase()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([slapd?.close(), database?.drop()]);
  rmSync(dir, { recursive: true, force: true });
});

const STORES: [string, () => Promise<AuthStore>][] = [
  ['SQLite', () => createSqliteStore({ filename: join(dir, `${++schemas}.db`) })],
  ['PostgreSQL', () => createPostgresStore({ connectionString: database.url, schema: `ldap_${++schemas}` })],
];

describe.each(STORES)('LDAP users on %s', (_name, open) => {
  async function withGatehouse(
    env: Record<string, string>,
    run: (gh: Gatehouse, store: AuthStore, mails: ReceivedMail[]) => Promise<void>,
  ): Promise<void> {
    const store = await open();
    const mails: ReceivedMail[] = [];
    const smtp = await startSmtp(mails);
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: 'secret0for0tests0abcdefghijklmnop0123',
      PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
      PHOENIX_DISABLE_RATE_LIMIT: 'true',
      PHOENIX_SMTP_HOSTNAME: '127.0.0.1',
      PHOENIX_SMTP_PORT: String(smtp.port),
      PHOENIX_SMTP_USERNAME: 'u',
      PHOENIX_SMTP_PASSWORD: 'p',
      PHOENIX_SMTP_VALIDATE_CERTS: 'false',
      PHOENIX_ROOT_URL: 'https://gatehouse.example.com/app',
      ...slapd.env(env),
    });
    const mailer = createSmtpMailer(config.smtp!, { connectionTimeoutMs: 5_000 });
    const gh = await createGatehouse({ config, store, mailer, sweepIntervalMs: 0 });
    try {
      await run(gh, store, mails);
    } finally {
      await gh.close();
      mailer.close();
      await store.close();
      await smtp.close();
    }
  }

  async function signIn(gh: Gatehouse, username: string, password: string): Promise<number> {
    const response = await gh.handle(
      new Request('http://127.0.0.1/auth/ldap/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      }),
    );
    return response?.status ?? 0;
  }

  it('signs up, re-syncs the role, protects LOCAL addresses', async () => {
    await withGatehouse({}, async (gh, store) => {
      const user = await seedUser(slapd, { groups: ['members'], displayName: 'Same Name' });
      expect(await signIn(gh, user.uid, user.password)).toBe(204);
      const created = await store.findUserByEmail(user.mail);
      expect(created).toMatchObject({
        authMethod: 'LDAP',
        role: 'MEMBER',
        username: 'Same Name',
        passwordHash: null,
        resetPassword: false,
      });
      await slapd.addToGroup('admins', user.dn);
      expect(await signIn(gh, user.uid, user.password)).toBe(204);
      expect(await store.findUserById(created!.id)).toMatchObject({ role: 'ADMIN' });
      // Another directory user with the same display name gets a suffixed username.
      const twin = await seedUser(slapd, { groups: ['members'], displayName: 'Same Name' });
      expect(await signIn(gh, twin.uid, twin.password)).toBe(204);
      expect((await store.findUserByEmail(twin.mail))?.username).toMatch(/^Same Name \([0-9a-f]{6}\)$/);
      const local = await seedUser(slapd, { groups: ['admins'], mail: 'admin@localhost' });
      expect(await signIn(gh, local.uid, local.password)).toBe(401);
      expect((await store.findUserByEmail('admin@localhost'))?.authMethod).toBe('LOCAL');
    });
  });

  it('an admin-created LDAP user gets the welcome mail (root URL link); the just-in-time one does not', async () => {
    await withGatehouse({}, async (gh, store, mails) => {
      const user = await seedUser(slapd, { groups: ['admins'] });
      const created = await gh.handle(
        new Request('http://127.0.0.1/v1/users', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_SECRET}` },
          body: JSON.stringify({
            user: { email: user.mail, username: `pre-${user.uid}`, role: 'VIEWER', auth_method: 'LDAP' },
          }),
        }),
      );
      expect(created?.status).toBe(201);
      const jit = await seedUser(slapd, { groups: ['members'] });
      expect(await signIn(gh, jit.uid, jit.password)).toBe(204);
      expect(await signIn(gh, user.uid, user.password)).toBe(204);
      expect((await store.findUserByEmail(user.mail))?.role).toBe('ADMIN');
      await gh.close(); // waits for the mail sent after the answer
      expect(mails.map((mail) => mail.to)).toEqual([user.mail]);
      expect(mails[0]?.html).toContain('id="welcome-url" href="https://gatehouse.example.com/app"');
    });
  });

  it('unique-id mode keeps one account across an e-mail change; no-email mode finds users by id alone', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    await withGatehouse({ PHOENIX_LDAP_ATTR_UNIQUE_ID: 'entryUUID' }, async (gh, store) => {
      expect(await signIn(gh, user.uid, user.password)).toBe(204);
      const uuid = (await slapd.entryUuid(user.dn)).toLowerCase();
      const first = await store.findUserByLdapUniqueId(uuid);
      expect(first?.email).toBe(user.mail);
      const moved = `moved-${user.uid}@example.com`;
      await slapd.setMail(user.uid, moved);
      expect(await signIn(gh, user.uid, user.password)).toBe(204);
      expect(await store.findUserByLdapUniqueId(uuid)).toMatchObject({ id: first!.id, email: moved });
    });
    await withGatehouse(
      { PHOENIX_LDAP_ATTR_EMAIL: 'null', PHOENIX_LDAP_ATTR_UNIQUE_ID: 'entryUUID' },
      async (gh, store) => {
        expect(await signIn(gh, user.uid, user.password)).toBe(204);
        expect(await signIn(gh, user.uid, user.password)).toBe(204);
        const uuid = (await slapd.entryUuid(user.dn)).toLowerCase();
        const row = await store.findUserByLdapUniqueId(uuid);
        expect(row?.authMethod).toBe('LDAP');
        expect(row?.email).not.toContain('@');
        expect((await store.listUsers({ limit: 100 })).filter((u) => u.authMethod === 'LDAP')).toHaveLength(1);
      },
    );
  });
});
