/** What the LDAP conformance files share: the login call and a directory user per test. */
import { expect } from 'vitest';
import type { Slapd, DirectoryUserSeed } from '../../setup/slapd.js';
import { call, expectJson, unique, type Session, type TestServer } from './support.js';

export const INVALID_LDAP = 'Invalid username and/or password';

export function ldapLogin(
  server: TestServer,
  username: unknown,
  password: unknown,
  headers?: Record<string, string>,
): Promise<Response> {
  return call(server, 'POST', '/auth/ldap/login', { json: { username, password }, headers });
}

export interface SeededUser {
  readonly uid: string;
  readonly password: string;
  readonly dn: string;
  readonly mail: string;
}

/** A fresh directory user (unique uid) so tests never share state through the directory. */
export async function seedUser(slapd: Slapd, seed: Partial<DirectoryUserSeed> = {}): Promise<SeededUser> {
  const uid = seed.uid ?? unique('u');
  const password = seed.password ?? `pw-${uid}`;
  const mail = seed.mail ?? `${uid}@example.com`;
  const dn = await slapd.addUser({ ...seed, uid, password, mail: seed.mail === null ? null : mail });
  return { uid, password, dn, mail };
}

export interface Me {
  id: string;
  email: string;
  username: string;
  role: string;
  auth_method: string;
}

export async function me(server: TestServer, session: Session): Promise<Me> {
  return (await expectJson<{ data: Me }>(await call(server, 'GET', '/v1/user', { cookie: session }), 200)).data;
}

/** How many connections slapd has accepted so far: a login that must not reach the directory leaves it unchanged. */
export function connections(slapd: Slapd): number {
  return (slapd.log().match(/ ACCEPT from /g) ?? []).length;
}

export function expectRetryAfter(response: Response): void {
  const retryAfter = response.headers.get('retry-after');
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
}
