/**
 * LDAP sign-in against a real slapd, the directory side (docs/phoenix-contract.md#ldap-directory): TLS modes and certificate
 * verification, anonymous search, group search, several servers, the unique id and no-email mode,
 * and what an outage or a hung server does (503 with Retry-After, never a lockout: docs/divergences.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlapd, type Slapd } from '../../setup/slapd.js';
import { INVALID_LDAP, expectRetryAfter, ldapLogin, me, seedUser } from './ldap-support.js';
import {
  ADAPTERS,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  call,
  expectError,
  expectJson,
  sessionOf,
  startServer,
  unique,
  type TestServer,
} from './support.js';

let slapd: Slapd;
/** A second directory that demands a client certificate from the test CA. */
let strict: Slapd;
beforeAll(async () => {
  [slapd, strict] = await Promise.all([startSlapd(), startSlapd({ requireClientCertificate: true })]);
}, 30_000);
afterAll(() => Promise.all([slapd?.close(), strict?.close()]));

/** Starts a server with these LDAP overrides for one test and closes it afterwards. */
async function withServer<T>(
  adapter: (typeof ADAPTERS)[number],
  env: Record<string, string>,
  run: (server: TestServer) => Promise<T>,
  gatehouse = {},
): Promise<T> {
  const server = await startServer(adapter, { ...NO_RATE_LIMIT, ...slapd.env(env) }, { gatehouse });
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

const FAST = { ldap: { connectTimeoutMs: 500, operationTimeoutMs: 500, attemptTimeoutMs: 1500 } };

describe.each(ADAPTERS)('%s: LDAP directory', (adapter) => {
  it('TLS: STARTTLS against an untrusted CA is an outage (503); with verification off it signs in; LDAPS and plain work', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    await withServer(adapter, { PHOENIX_LDAP_TLS_CA_CERT_FILE: slapd.otherCaFile }, async (server) => {
      const response = await ldapLogin(server, user.uid, user.password);
      expectRetryAfter(response);
      await expectError(response, 503, 'directory_unavailable');
    });
    await withServer(
      adapter,
      { PHOENIX_LDAP_TLS_CA_CERT_FILE: slapd.otherCaFile, PHOENIX_LDAP_TLS_VERIFY: 'false' },
      async (server) => {
        expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
      },
    );
    await withServer(
      adapter,
      { PHOENIX_LDAP_TLS_MODE: 'ldaps', PHOENIX_LDAP_PORT: String(slapd.tlsPort) },
      async (server) => {
        expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
        await expectError(await ldapLogin(server, user.uid, 'wrong'), 401, 'invalid_credentials', INVALID_LDAP);
      },
    );
    await withServer(adapter, { PHOENIX_LDAP_TLS_MODE: 'none' }, async (server) => {
      expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
    });
  });

  it('a directory that demands a client certificate: refused without one (503), signs in with it (STARTTLS and LDAPS)', async () => {
    const user = await seedUser(strict, { groups: ['members'] });
    const run = async (env: Record<string, string>, expected: number) => {
      const server = await startServer(adapter, { ...NO_RATE_LIMIT, ...strict.env(env) });
      try {
        const response = await ldapLogin(server, user.uid, user.password);
        if (expected === 503) await expectError(response, 503, 'directory_unavailable');
        else expect(response.status).toBe(expected);
      } finally {
        await server.close();
      }
    };
    await run({}, 503);
    const withCert = {
      PHOENIX_LDAP_TLS_CLIENT_CERT_FILE: strict.clientCertFile,
      PHOENIX_LDAP_TLS_CLIENT_KEY_FILE: strict.clientKeyFile,
    };
    await run(withCert, 204);
    await run({ ...withCert, PHOENIX_LDAP_TLS_MODE: 'ldaps', PHOENIX_LDAP_PORT: String(strict.tlsPort) }, 204);
  });

  it('without a service account the search runs anonymously; several servers fail over (a dead one is skipped)', async () => {
    const user = await seedUser(slapd, { groups: ['admins'] });
    await withServer(
      adapter,
      { PHOENIX_LDAP_BIND_DN: '', PHOENIX_LDAP_BIND_PASSWORD: '', PHOENIX_LDAP_HOST: '127.0.0.2, 127.0.0.1' },
      async (server) => {
        for (let i = 0; i < 4; i++) expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
        // A wrong password is final: the other server is not asked to judge it again.
        await expectError(await ldapLogin(server, user.uid, 'wrong'), 401, 'invalid_credentials', INVALID_LDAP);
      },
    );
  });

  it("group search mode: posixGroup memberUid from the entry's uid, and an AD-like account filter", async () => {
    const account = unique('acct');
    const user = await seedUser(slapd, { account });
    const group = await slapd.addPosixGroup(unique('pg'), [user.uid]);
    await withServer(
      adapter,
      {
        PHOENIX_LDAP_USER_SEARCH_FILTER: '(&(objectClass=inetOrgPerson)(employeeNumber=%s))',
        PHOENIX_LDAP_GROUP_SEARCH_FILTER: '(&(objectClass=posixGroup)(memberUid=%s))',
        PHOENIX_LDAP_GROUP_SEARCH_BASE_DNS: JSON.stringify(['ou=posix,dc=example,dc=com']),
        PHOENIX_LDAP_GROUP_SEARCH_FILTER_USER_ATTR: 'uid',
        PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: JSON.stringify([{ group_dn: group, role: 'ADMIN' }]),
      },
      async (server) => {
        const profile = await me(server, sessionOf(await ldapLogin(server, account, user.password)));
        expect(profile).toMatchObject({ role: 'ADMIN', auth_method: 'LDAP' });
        await expectError(await ldapLogin(server, user.uid, user.password), 401, 'invalid_credentials', INVALID_LDAP);
      },
    );
  });

  it('unique-id mode: a pre-created user adopts the entryUUID; an e-mail change keeps the account', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    await withServer(adapter, { PHOENIX_LDAP_ATTR_UNIQUE_ID: 'entryUUID' }, async (server) => {
      const username = unique('pre');
      const created = await expectJson<{ data: { id: string } }>(
        await call(server, 'POST', '/v1/users', {
          bearer: ADMIN_SECRET,
          json: {
            user: { email: user.mail, username, role: 'VIEWER', auth_method: 'LDAP' },
            send_welcome_email: false,
          },
        }),
        201,
      );
      const first = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
      expect(first).toMatchObject({ id: created.data.id, username, role: 'MEMBER' });
      const uuid = await slapd.entryUuid(user.dn);
      expect((await server.store.findUserByLdapUniqueId(uuid.toLowerCase()))?.username).toBe(username);
      const moved = `${unique('moved')}@example.com`;
      await slapd.setMail(user.uid, moved);
      const second = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
      expect(second).toMatchObject({ id: first.id, email: moved });
      expect(await server.store.findUserByEmail(user.mail)).toBeNull();
    });
  });

  it('unique-id mode: the same address with another directory id (a recycled mailbox) is refused', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    await withServer(adapter, { PHOENIX_LDAP_ATTR_UNIQUE_ID: 'entryUUID' }, async (server) => {
      const now = Date.now();
      await server.store.insertUser({
        username: unique('old'),
        email: user.mail,
        role: 'VIEWER',
        authMethod: 'LDAP',
        passwordHash: null,
        resetPassword: false,
        ldapUniqueId: 'someone-else',
        createdAt: now,
      });
      await expectError(await ldapLogin(server, user.uid, user.password), 401, 'invalid_credentials', INVALID_LDAP);
    });
  });

  it('no-email mode: the user is known by the unique id only, shown with an empty e-mail', async () => {
    const user = await seedUser(slapd, { groups: ['viewers'] });
    await withServer(
      adapter,
      { PHOENIX_LDAP_ATTR_EMAIL: 'null', PHOENIX_LDAP_ATTR_UNIQUE_ID: 'entryUUID' },
      async (server) => {
        const first = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
        expect(first).toMatchObject({ email: '', role: 'VIEWER', auth_method: 'LDAP' });
        await slapd.addToGroup('admins', user.dn);
        const second = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
        expect(second).toMatchObject({ id: first.id, role: 'ADMIN', email: '' });
      },
    );
  });

  it('a stopped directory answers 503 with Retry-After, and the outage never locks the account', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    await withServer(
      adapter,
      {},
      async (server) => {
        await slapd.stop();
        try {
          for (let i = 0; i < 7; i++) {
            const response = await ldapLogin(server, user.uid, user.password);
            expectRetryAfter(response);
            await expectError(response, 503, 'directory_unavailable');
          }
        } finally {
          await slapd.start();
        }
        expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
      },
      FAST,
    );
  }, 20_000);

  it('a hung directory (SIGSTOP) times out: 503 within the attempt budget, then works again', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    await withServer(
      adapter,
      {},
      async (server) => {
        slapd.pause();
        let elapsed: number;
        try {
          const started = Date.now();
          const response = await ldapLogin(server, user.uid, user.password);
          elapsed = Date.now() - started;
          expectRetryAfter(response);
          await expectError(response, 503, 'directory_unavailable');
        } finally {
          slapd.resume();
        }
        expect(elapsed).toBeLessThan(5_000);
        expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
      },
      FAST,
    );
  }, 20_000);
});
