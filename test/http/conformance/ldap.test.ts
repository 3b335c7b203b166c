/**
 * LDAP sign-in against a real slapd (docs/phoenix-contract.md#ldap-login to #ldap-provisioning): the login route on every adapter, the
 * group → role mapping, provisioning and its refusals, lockout, rate limit and CSRF, and the
 * escaping of the username. One slapd for the whole file; every test seeds its own directory users.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUPS, startSlapd, type Slapd } from '../../setup/slapd.js';
import { INVALID_LDAP, connections, ldapLogin, me, seedUser } from './ldap-support.js';
import {
  ACCESS_COOKIE,
  ADAPTERS,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  REFRESH_COOKIE,
  call,
  createUser,
  expectError,
  expectJson,
  idOf,
  login,
  sessionOf,
  setCookie,
  sleep,
  startServer,
  unique,
  waitForMail,
  type TestServer,
} from './support.js';

let slapd: Slapd;
beforeAll(async () => {
  slapd = await startSlapd();
}, 30_000);
afterAll(() => slapd?.close());

describe.each(ADAPTERS)('%s: LDAP sign-in', (adapter) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(adapter, { ...NO_RATE_LIMIT, ...slapd.env() });
  });
  afterAll(() => server?.close());

  it('a directory user signs in: 204 and the same cookies as password login; the user is LDAP, named after displayName', async () => {
    const user = await seedUser(slapd, { displayName: `Alice ${unique('')}`, groups: ['admins', 'members'] });
    const response = await ldapLogin(server, user.uid, user.password);
    expect(await response.text()).toBe('');
    const session = sessionOf(response);
    for (const name of [ACCESS_COOKIE, REFRESH_COOKIE]) {
      const cookie = setCookie(response, name);
      expect(cookie.attributes.has('httponly')).toBe(true);
      expect(cookie.attributes.get('samesite')).toBe('Strict');
      expect(cookie.attributes.get('path')).toBe('/');
    }
    expect(setCookie(response, ACCESS_COOKIE).attributes.get('max-age')).toBe('600');
    const profile = await me(server, session);
    expect(profile).toMatchObject({ auth_method: 'LDAP', role: 'ADMIN', email: user.mail });
    expect(profile.username).toMatch(/^Alice /);
    expect(profile).not.toHaveProperty('password_needs_reset');
    // The first login is two audit events: the just-in-time account, then the sign-in.
    await server.gatehouse.audit.flush();
    const [signedIn, created] = await server.store.listAuditEvents({ limit: 2, userId: idOf(profile.id) });
    expect(signedIn).toMatchObject({
      type: 'sign_in.succeeded',
      clientAddress: '127.0.0.1',
      details: { method: 'ldap', idp: null },
    });
    expect(created).toMatchObject({
      type: 'user.created',
      details: { email: user.mail, authMethod: 'LDAP', role: 'ADMIN', via: 'sign_up' },
    });
    // The LDAP user cannot use password login.
    await expectError(await login(server, user.mail, user.password), 401, 'invalid_credentials');
    // No welcome mail on a just-in-time sign-up (docs/phoenix-contract.md#welcome-mail): background work has settled by now.
    const marker = await createUser(server, 'VIEWER', 'pass-word-1', true);
    await waitForMail(server, marker.email);
    await sleep(100);
    expect(server.mails.filter((mail) => mail.to === user.mail)).toEqual([]);
  });

  it('wrong password, unknown user, empty or missing credentials: 401 with one generic message', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    await expectError(await ldapLogin(server, user.uid, 'wrong'), 401, 'invalid_credentials', INVALID_LDAP);
    await expectError(await ldapLogin(server, unique('nobody'), 'whatever'), 401, 'invalid_credentials', INVALID_LDAP);
    const before = connections(slapd);
    // An empty password would be an unauthenticated bind, which directories accept: refused before any I/O.
    await expectError(
      await ldapLogin(server, user.uid, ''),
      401,
      'invalid_credentials',
      'Username and password required',
    );
    await expectError(
      await ldapLogin(server, '', user.password),
      401,
      'invalid_credentials',
      'Username and password required',
    );
    await expectError(
      await ldapLogin(server, '   ', user.password),
      401,
      'invalid_credentials',
      'Username and password required',
    );
    await expectError(
      await ldapLogin(server, user.uid, 12345),
      401,
      'invalid_credentials',
      'Username and password required',
    );
    await expectError(await call(server, 'POST', '/auth/ldap/login', { json: {} }), 401, 'invalid_credentials');
    expect(connections(slapd)).toBe(before);
  });

  it('an unknown user costs a bind all the same (a throw-away DN under dc=invalid), so timing does not tell', async () => {
    const name = unique('ghost');
    const mark = slapd.log().length;
    await expectError(await ldapLogin(server, name, 'some-password'), 401, 'invalid_credentials', INVALID_LDAP);
    expect(slapd.log().slice(mark)).toMatch(/BIND dn="cn=dummy-[0-9a-f]{16},dc=invalid,dc=local"/);
  });

  it('STARTTLS comes before every bind on every connection (no password crosses in clear text)', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    const mark = slapd.log().length;
    expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
    const lines = slapd.log().slice(mark).split('\n');
    const tls = new Set<string>();
    let binds = 0;
    for (const line of lines) {
      const conn = /conn=(\d+)/.exec(line)?.[1];
      if (!conn) continue;
      if (/ STARTTLS$| EXT oid=1\.3\.6\.1\.4\.1\.1466\.20037/.test(line)) tls.add(conn);
      if (/ BIND dn=/.test(line)) {
        binds++;
        expect(tls.has(conn), line).toBe(true);
      }
    }
    expect(binds).toBeGreaterThanOrEqual(2); // the service account, then the user
  });

  it('no group mapped (and no `*`): denied, counted as a failure', async () => {
    const user = await seedUser(slapd);
    await expectError(await ldapLogin(server, user.uid, user.password), 401, 'invalid_credentials', INVALID_LDAP);
    // The directory vouched for the name, so the audit trail keeps it; the password, never.
    await server.gatehouse.audit.flush();
    const [failed] = await server.store.listAuditEvents({ limit: 1, types: ['sign_in.failed'] });
    expect(failed).toMatchObject({
      subjectUserId: null,
      details: { method: 'ldap', reason: 'not_allowed', login: user.uid.toLowerCase() },
    });
    expect(JSON.stringify(failed)).not.toContain(user.password);
  });

  it('a directory entry without an e-mail is refused in e-mail mode', async () => {
    const user = await seedUser(slapd, { mail: null, groups: ['members'] });
    await expectError(await ldapLogin(server, user.uid, user.password), 401, 'invalid_credentials', INVALID_LDAP);
  });

  it('users are found in every configured base (a second OU), and displayName falls back to the login name', async () => {
    const user = await seedUser(slapd, { ou: `ou=staff,dc=example,dc=com`, groups: ['viewers'] });
    const profile = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
    expect(profile).toMatchObject({ role: 'VIEWER', username: user.uid });
  });

  it('LDAP injection in the username finds nobody: the five specials are escaped', async () => {
    const victim = await seedUser(slapd, { groups: ['admins'] });
    // Unescaped, `<uid prefix>*` would match exactly the victim and bind with its password.
    const prefix = victim.uid.slice(0, -2);
    const mark = slapd.log().length;
    for (const username of [
      `${prefix}*`,
      '*',
      `*)(uid=*))(|(uid=*`,
      `${victim.uid})(|(objectClass=*`,
      `${victim.uid}\u0000`,
      `)(uid=*`,
    ]) {
      await expectError(await ldapLogin(server, username, victim.password), 401, 'invalid_credentials', INVALID_LDAP);
    }
    const log = slapd.log().slice(mark).toLowerCase();
    expect(log).toContain('\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a');
    expect(log).not.toMatch(/filter="\(&\(objectclass=inetorgperson\)\(uid=\*\)/);
  });

  it('a referral in the search base is never followed: no connection to the server it names', async () => {
    let followed = 0;
    const trap = createServer((socket) => {
      followed++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = trap.address() as AddressInfo;
      // slapd answers every subtree search of ou=people with this continuation reference (RFC 4511 §4.5.3).
      await slapd.addReferral(unique('ref'), `ldap://127.0.0.1:${port}/ou=elsewhere,dc=example,dc=com`);
      const user = await seedUser(slapd, { groups: ['members'] });
      expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
      await expectError(await ldapLogin(server, unique('nobody'), 'pw'), 401, 'invalid_credentials', INVALID_LDAP);
      expect(followed).toBe(0);
    } finally {
      await new Promise<void>((resolve) => trap.close(() => resolve()));
    }
  });

  it('special characters and non-ASCII in the password and username work', async () => {
    const user = await seedUser(slapd, {
      uid: `josé${unique('')}`,
      mail: `${unique('jose')}@example.com`,
      password: `p"a\\s's<>&!密码`,
      groups: ['members'],
    });
    expect((await ldapLogin(server, user.uid, user.password)).status).toBe(204);
  });

  it('the role follows the groups at every login (same account); e-mail mode: a new address is a new account', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    const first = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
    expect(first.role).toBe('MEMBER');
    await slapd.addToGroup('admins', user.dn);
    const second = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
    expect(second).toMatchObject({ id: first.id, role: 'ADMIN', username: first.username });
    await slapd.removeFromGroup('admins', user.dn);
    await slapd.removeFromGroup('members', user.dn);
    await slapd.addToGroup('viewers', user.dn);
    expect((await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)))).role).toBe('VIEWER');
    const moved = `${unique('moved')}@example.com`;
    await slapd.setMail(user.uid, moved);
    const third = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
    expect(third.id).not.toBe(first.id);
    expect(third.email).toBe(moved);
    expect(third.username).not.toBe(first.username); // the display name was taken: suffixed
  });

  it('an e-mail that belongs to a LOCAL user cannot be claimed through LDAP (and it is not counted)', async () => {
    const local = await createUser(server, 'ADMIN');
    const user = await seedUser(slapd, { mail: local.email, groups: ['admins'] });
    for (let i = 0; i < 6; i++)
      await expectError(await ldapLogin(server, user.uid, user.password), 401, 'invalid_credentials', INVALID_LDAP);
    // Still not locked: a provisioning refusal is no failed password.
    await expectError(await ldapLogin(server, user.uid, user.password), 401, 'invalid_credentials', INVALID_LDAP);
    expect((await server.store.findUserByEmail(local.email))?.authMethod).toBe('LOCAL');
  });

  it('an e-mail that belongs to an OAuth2 user cannot be claimed through LDAP', async () => {
    const email = `${unique('oauth')}@example.com`;
    await expectJson(
      await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: { email, username: unique('o'), role: 'MEMBER', auth_method: 'OAUTH2' },
          send_welcome_email: false,
        },
      }),
      201,
    );
    const user = await seedUser(slapd, { mail: email, groups: ['members'] });
    await expectError(await ldapLogin(server, user.uid, user.password), 401, 'invalid_credentials', INVALID_LDAP);
    expect((await server.store.findUserByEmail(email))?.authMethod).toBe('OAUTH2');
  });

  it('an admin-created LDAP user is matched by e-mail at first login: username kept, role from the groups', async () => {
    const user = await seedUser(slapd, { groups: ['admins'] });
    const username = unique('pre');
    const created = await expectJson<{ data: { id: string; auth_method: string } }>(
      await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: { user: { email: user.mail, username, role: 'VIEWER', auth_method: 'LDAP' }, send_welcome_email: false },
      }),
      201,
    );
    expect(created.data.auth_method).toBe('LDAP');
    const profile = await me(server, sessionOf(await ldapLogin(server, user.uid, user.password)));
    expect(profile).toMatchObject({ id: created.data.id, username, role: 'ADMIN' });
    await expectError(
      await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: {
            email: `x${user.mail}`,
            username: unique('p'),
            role: 'VIEWER',
            auth_method: 'LDAP',
            password: 'pass-word-1',
          },
        },
      }),
      422,
      'invalid_input',
      'Password is not allowed for LDAP authentication',
    );
  });

  it('/auth/config says the LDAP form is on', async () => {
    const body = await expectJson<{ ldap_enabled: boolean }>(await call(server, 'GET', '/auth/config'), 200);
    expect(body.ldap_enabled).toBe(true);
  });
});

describe.each(ADAPTERS)('%s: LDAP mapping order, wildcard, sign-up off', (adapter) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(adapter, {
      ...NO_RATE_LIMIT,
      ...slapd.env({
        PHOENIX_LDAP_ALLOW_SIGN_UP: 'false',
        // Order decides, not rank; spacing and case in the configured DN do not matter.
        PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: JSON.stringify([
          { group_dn: `CN = Members , ${GROUPS.toUpperCase()}`, role: 'member' },
          { group_dn: `cn=admins,${GROUPS}`, role: 'ADMIN' },
          { group_dn: '*', role: 'VIEWER' },
        ]),
      }),
    });
  });
  afterAll(() => server?.close());

  async function preCreate(mail: string): Promise<void> {
    await expectJson(
      await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: { email: mail, username: unique('pre'), role: 'VIEWER', auth_method: 'LDAP' },
          send_welcome_email: false,
        },
      }),
      201,
    );
  }

  it('the first matching mapping wins (members before admins); `*` catches the rest', async () => {
    const both = await seedUser(slapd, { groups: ['admins', 'members'] });
    const none = await seedUser(slapd);
    await preCreate(both.mail);
    await preCreate(none.mail);
    expect((await me(server, sessionOf(await ldapLogin(server, both.uid, both.password)))).role).toBe('MEMBER');
    expect((await me(server, sessionOf(await ldapLogin(server, none.uid, none.password)))).role).toBe('VIEWER');
  });

  it('sign-up off: a directory user without an account is refused', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    await expectError(await ldapLogin(server, user.uid, user.password), 401, 'invalid_credentials', INVALID_LDAP);
    expect(await server.store.findUserByEmail(user.mail)).toBeNull();
  });
});

describe.each(ADAPTERS)('%s: LDAP lockout, rate limit and CSRF', (adapter) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(adapter, { ...slapd.env(), PHOENIX_CSRF_TRUSTED_ORIGINS: 'http://localhost' });
  });
  afterAll(() => server?.close());

  it('an untrusted Origin is refused before the directory is asked', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    const before = connections(slapd);
    await expectError(
      await ldapLogin(server, user.uid, user.password, { origin: 'http://evil.example' }),
      401,
      'untrusted_origin',
    );
    expect(connections(slapd)).toBe(before);
    expect((await ldapLogin(server, user.uid, user.password, { origin: 'http://localhost' })).status).toBe(204);
  });

  it('five wrong passwords lock the username (trimmed, any case): the right one is refused too; the /auth bucket is shared', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    const headers = { 'x-test': '1' };
    for (let i = 0; i < 5; i++)
      await expectError(await ldapLogin(server, user.uid, 'wrong', headers), 401, 'invalid_credentials');
    const before = connections(slapd);
    await expectError(
      await ldapLogin(server, ` ${user.uid.toUpperCase()} `, user.password),
      429,
      'too_many_login_attempts',
      'Too many failed login attempts. Please try again later.',
    );
    expect(connections(slapd)).toBe(before);
    // 7 requests so far; the per-address bucket of every /auth route holds 12.
    for (let i = 0; i < 5; i++) await (await call(server, 'POST', '/auth/refresh')).arrayBuffer();
    await expectError(await ldapLogin(server, user.uid, user.password), 429, 'rate_limited', 'Too Many Requests');
  });
});
