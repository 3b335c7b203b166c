/**
 * What every conformance file shares: real `fetch` against a server from the harness, cookies
 * handled by hand (Node's fetch keeps none), and helpers that assert the JSON error shape.
 * Nothing here knows which adapter is under test.
 */
import { expect } from 'vitest';
import {
  ADAPTERS,
  ADAPTERS_AND_LOWEST,
  ADAPTERS_AND_STORES,
  ADMIN_SECRET,
  startServer,
  type AdapterName,
  type ReceivedMail,
  type StoreName,
  type TestServer,
} from '../harness.js';

export {
  ADAPTERS,
  ADAPTERS_AND_LOWEST,
  ADAPTERS_AND_STORES,
  ADMIN_SECRET,
  startServer,
  type AdapterName,
  type ReceivedMail,
  type StoreName,
  type TestServer,
};

export const ACCESS_COOKIE = 'phoenix-access-token';
export const REFRESH_COOKIE = 'phoenix-refresh-token';
export const DEFAULT_ADMIN = Object.freeze({ email: 'admin@localhost', password: 'admin' });

/** The IdP variables that make PHOENIX_DISABLE_BASIC_AUTH=true a valid configuration. */
export const IDP_ENV: Readonly<Record<string, string>> = Object.freeze({
  PHOENIX_DISABLE_BASIC_AUTH: 'true',
  PHOENIX_OAUTH2_TEST_CLIENT_ID: 'gatehouse-test-client',
  PHOENIX_OAUTH2_TEST_CLIENT_SECRET: 'gatehouse-test-client-secret',
  PHOENIX_OAUTH2_TEST_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
});

export const NO_RATE_LIMIT: Readonly<Record<string, string>> = Object.freeze({ PHOENIX_DISABLE_RATE_LIMIT: 'true' });

// ---------------------------------------------------------------------------------------------
// Cookies

export interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Attribute names lower-cased; flag attributes (HttpOnly, Secure) map to ''. */
  readonly attributes: ReadonlyMap<string, string>;
  readonly raw: string;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair = '', ...rest] = raw.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf('=');
    if (at === -1) attributes.set(trimmed.toLowerCase(), '');
    else attributes.set(trimmed.slice(0, at).trim().toLowerCase(), trimmed.slice(at + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw };
}

export function setCookiesOf(response: Response): SetCookie[] {
  return response.headers.getSetCookie().map(parseSetCookie);
}

/** The one Set-Cookie for `name`; fails the test when there is none or more than one. */
export function setCookie(response: Response, name: string): SetCookie {
  const found = setCookiesOf(response).filter((c) => c.name === name);
  expect(
    found.map((c) => c.raw),
    `exactly one Set-Cookie for ${name}`,
  ).toHaveLength(1);
  return found[0]!;
}

/** A deleted cookie: empty value and Max-Age=0 (an Expires in the past may come with it). */
export function expectDeletedCookie(response: Response, name: string, path = '/'): void {
  const cookie = setCookie(response, name);
  expect(cookie.value).toBe('');
  expect(cookie.attributes.get('max-age')).toBe('0');
  expect(cookie.attributes.get('path')).toBe(path);
}

/** The two tokens of a login, and the Cookie header a browser would send back. */
export interface Session {
  readonly access: string;
  readonly refresh: string;
  readonly cookie: string;
}

export function sessionOf(response: Response): Session {
  expect(response.status).toBe(204);
  const access = setCookie(response, ACCESS_COOKIE).value;
  const refresh = setCookie(response, REFRESH_COOKIE).value;
  expect(access).not.toBe('');
  expect(refresh).not.toBe('');
  return { access, refresh, cookie: `${ACCESS_COOKIE}=${access}; ${REFRESH_COOKIE}=${refresh}` };
}

/** The `jti` of a token (its server-side row id); ids only grow, so a new row shows as a bigger one. */
export function tokenId(jwt: string): number {
  const payload = jwt.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti?: unknown };
  const id = Number(claims.jti);
  expect(Number.isSafeInteger(id)).toBe(true);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface CallOptions {
  /** Sent as JSON with `content-type: application/json`. */
  json?: unknown;
  /** A raw body; set `headers['content-type']` yourself. */
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  /** A Cookie header, or a session (its cookies are sent). */
  cookie?: string | Session;
  /** `Authorization: Bearer <bearer>`. */
  bearer?: string;
}

export function call(server: TestServer, method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  let body: CallOptions['body'];
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  } else body = options.body;
  if (options.cookie !== undefined)
    headers.cookie = typeof options.cookie === 'string' ? options.cookie : options.cookie.cookie;
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  const init: RequestInit & { duplex?: 'half' } = { method, headers, redirect: 'manual' };
  if (body !== undefined) {
    init.body = body;
    if (body instanceof ReadableStream) init.duplex = 'half';
  }
  return fetch(`${server.url}${path}`, init);
}

export function login(
  server: TestServer,
  email: string,
  password: string,
  headers?: Record<string, string>,
): Promise<Response> {
  return call(server, 'POST', '/auth/login', { json: { email, password }, headers });
}

export async function loginSession(server: TestServer, email: string, password: string): Promise<Session> {
  const response = await login(server, email, password);
  if (response.status !== 204)
    throw new Error(`login of ${email} answered ${response.status}: ${await response.text()}`);
  return sessionOf(response);
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Asserts status, JSON content type and the `{ error: { code, message } }` body; returns the body. */
export async function expectError(
  response: Response,
  status: number,
  code: string,
  message?: string,
): Promise<ErrorBody> {
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status });
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  if (message !== undefined) expect(body.error.message).toBe(message);
  else expect(typeof body.error.message).toBe('string');
  return body;
}

/** Asserts the status (showing the body when it differs) and returns the parsed JSON body. */
export async function expectJson<T = Record<string, unknown>>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status });
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  return JSON.parse(text) as T;
}

export async function expectStatus(response: Response, status: number): Promise<string> {
  const text = await response.text();
  expect({ status: response.status, body: text }).toMatchObject({ status });
  return text;
}

// ---------------------------------------------------------------------------------------------
// Users

export type AssignableRole = 'ADMIN' | 'MEMBER' | 'VIEWER';

export interface TestUser {
  readonly id: number;
  readonly globalId: string;
  readonly email: string;
  readonly username: string;
  readonly password: string;
  readonly role: AssignableRole;
}

export function globalId(type: 'User' | 'UserApiKey' | 'SystemApiKey', id: number): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64');
}

export function idOf(global: string): number {
  const decoded = Buffer.from(global, 'base64').toString('utf8');
  return Number(decoded.slice(decoded.indexOf(':') + 1));
}

let sequence = 0;

/** A unique name per call, so users of different tests never collide. */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}${sequence}${Math.random().toString(36).slice(2, 7)}`;
}

/** Creates a LOCAL user through the REST API with the admin secret (no welcome mail unless asked). */
export async function createUser(
  server: TestServer,
  role: AssignableRole,
  password = 'pass-word-1',
  welcome = false,
): Promise<TestUser> {
  const username = unique(role.toLowerCase());
  const email = `${username}@example.com`;
  const response = await call(server, 'POST', '/v1/users', {
    bearer: ADMIN_SECRET,
    json: { user: { email, username, role, auth_method: 'LOCAL', password }, send_welcome_email: welcome },
  });
  const body = await expectJson<{ data: { id: string } }>(response, 201);
  return { id: idOf(body.data.id), globalId: body.data.id, email, username, password, role };
}

export async function userCount(server: TestServer): Promise<number> {
  return (await server.store.listUsers({ limit: 10_000 })).length;
}

export interface CreatedKey {
  readonly id: string;
  readonly key: string;
}

export async function createUserKey(
  server: TestServer,
  session: Session,
  data: Record<string, unknown> = { name: 'key' },
): Promise<CreatedKey> {
  const body = await expectJson<{ data: CreatedKey }>(
    await call(server, 'POST', '/v1/user/api_keys', { cookie: session, json: { data } }),
    201,
  );
  return body.data;
}

export async function createSystemKey(
  server: TestServer,
  data: Record<string, unknown> = { name: 'system key' },
): Promise<CreatedKey> {
  const body = await expectJson<{ data: CreatedKey }>(
    await call(server, 'POST', '/v1/system/api_keys', { bearer: ADMIN_SECRET, json: { data } }),
    201,
  );
  return body.data;
}

// ---------------------------------------------------------------------------------------------
// Mail and time

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Waits for the first mail to `to` (SMTP delivery finishes after the HTTP answer may). */
export async function waitForMail(server: TestServer, to: string, after = 0, timeoutMs = 5000): Promise<ReceivedMail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = server.mails.slice(after).find((m) => m.to.toLowerCase().includes(to.toLowerCase()));
    if (mail) return mail;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms (got ${server.mails.length})`);
    await sleep(20);
  }
}

/** The reset link of a mail: the `href` of the anchor with `id="reset-url"`. */
export function resetLink(mail: ReceivedMail): URL {
  const anchor = /<a\b[^>]*\bid="reset-url"[^>]*>/i.exec(mail.html)?.[0];
  expect(anchor, 'an anchor with id="reset-url"').toBeDefined();
  const href = /\bhref="([^"]*)"/i.exec(anchor!)?.[1];
  expect(href, 'the reset anchor has an href').toBeDefined();
  return new URL(href!.replaceAll('&amp;', '&'));
}
