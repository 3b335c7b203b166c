/**
 * Secrets never leak: one representative HTTP flow against a Gatehouse on a real listener, with
 * every log line (Gatehouse's and the mailer's) and every response captured. No log line, no error
 * body and no redirect may carry a signing secret, the admin secret, the SMTP password, a client
 * secret, a password, or any token or key that was issued along the way.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createGatehouse,
  createSmtpMailer,
  parseAuthEnv,
  type AuthStore,
  type Gatehouse,
  type Logger,
  type SmtpMailer,
} from '@gatehouse-auth/core';
import { createSqliteStore } from '@gatehouse-auth/db';
import * as honoAdapter from '@gatehouse-auth/hono';

const SECRET = 'leak0check0signing0secret0abcdefgh0123';
const ADMIN_SECRET = 'leak0check0admin0secret0abcdefghij0123';
const SMTP_PASSWORD = 'leak0check0smtp0password0qwerty';
const CLIENT_SECRET = 'leak0check0client0secret0zxcvbn';
const USER_PASSWORD = 'Leak0check0user0password';
const NEW_PASSWORD = 'Leak0check0new0password';
const WRONG_PASSWORD = 'Leak0check0wrong0password';
const ADMIN_NEW_PASSWORD = 'Leak0check0admin0password';

interface Exchange {
  method: string;
  path: string;
  status: number;
  body: string;
  location: string | null;
}

const logLines: string[] = [];
const exchanges: Exchange[] = [];
const mails: { text: string; html: string }[] = [];
/** Every credential issued during the flow: cookies, keys, reset tokens. */
const issued = new Set<string>();

function capture(source: string): Logger {
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    logLines.push(JSON.stringify({ source, level, message, fields }));
  return { info: push('info'), warn: push('warn'), error: push('error') };
}

let dir = '';
let store: AuthStore | undefined;
let gh: Gatehouse | undefined;
let mailer: SmtpMailer | null = null;
let server: Server | undefined;
let idp: Server | undefined;
let smtp: SMTPServer | undefined;
let base = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-secrets-'));
  smtp = new SMTPServer({
    logger: false,
    secure: false,
    authOptional: true,
    onAuth(_auth, _session, cb) {
      cb(null, { user: 'relay-user' });
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => {
        mails.push({ text: m.text ?? '', html: typeof m.html === 'string' ? m.html : '' });
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => smtp!.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  // An IdP whose discovery never answers: the OIDC error path runs with the client secret configured.
  idp = createHttpServer((_req: IncomingMessage, _res: ServerResponse) => {});
  await new Promise<void>((resolve) => idp!.listen(0, '127.0.0.1', resolve));
  const idpPort = (idp.address() as AddressInfo).port;

  const config = parseAuthEnv({
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: SECRET,
    PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
    PHOENIX_DISABLE_RATE_LIMIT: 'true',
    PHOENIX_SMTP_HOSTNAME: '127.0.0.1',
    PHOENIX_SMTP_PORT: String(smtpPort),
    PHOENIX_SMTP_USERNAME: 'relay-user',
    PHOENIX_SMTP_PASSWORD: SMTP_PASSWORD,
    PHOENIX_SMTP_VALIDATE_CERTS: 'false',
    PHOENIX_OAUTH2_ACME_CLIENT_ID: 'acme-client',
    PHOENIX_OAUTH2_ACME_CLIENT_SECRET: CLIENT_SECRET,
    PHOENIX_OAUTH2_ACME_OIDC_CONFIG_URL: `http://127.0.0.1:${idpPort}/.well-known/openid-configuration`,
  });
  store = await createSqliteStore({ filename: join(dir, 'auth.db') });
  mailer = createSmtpMailer(config.smtp!, { logger: capture('smtp'), connectionTimeoutMs: 5_000 });
  gh = await createGatehouse({ config, store, mailer, logger: capture('gatehouse'), discovery: { timeoutMs: 300 } });

  const app = new Hono<honoAdapter.GatehouseEnv>();
  app.use(honoAdapter.gatehouse(gh));
  app.get('/v1/projects', honoAdapter.authenticate(gh), (c: Context<honoAdapter.GatehouseEnv>) =>
    c.json({ kind: c.get('principal').kind }),
  );
  const listener = getRequestListener(app.fetch);
  server = createHttpServer((req, res) => {
    void listener(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  idp?.closeAllConnections();
  if (idp) await new Promise<void>((resolve) => idp!.close(() => resolve()));
  mailer?.close();
  await gh?.close();
  await store?.close();
  if (smtp) await new Promise<void>((resolve) => smtp!.close(() => resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One request; records the exchange and every credential a Set-Cookie hands out. */
async function send(
  method: string,
  path: string,
  options: { bearer?: string; cookie?: string; json?: unknown; raw?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.json !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  const response = await fetch(`${base}${path}`, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  exchanges.push({ method, path, status: response.status, body: text, location: response.headers.get('location') });
  for (const raw of response.headers.getSetCookie()) {
    const value = (raw.split(';', 1)[0] ?? '').split('=').slice(1).join('=');
    if (value.length > 20) issued.add(value);
  }
  return new Response(response.status === 204 || response.status === 302 || response.status === 307 ? null : text, {
    status: response.status,
    headers: response.headers,
  });
}

function cookieValue(response: Response, name: string): string {
  for (const raw of response.headers.getSetCookie()) {
    const pair = raw.split(';', 1)[0] ?? '';
    if (pair.startsWith(`${name}=`)) return pair.slice(name.length + 1);
  }
  throw new Error(`no ${name} cookie`);
}

async function login(email: string, password: string): Promise<{ access: string; refresh: string }> {
  const response = await send('POST', '/auth/login', { json: { email, password } });
  expect(response.status).toBe(204);
  return {
    access: cookieValue(response, 'phoenix-access-token'),
    refresh: cookieValue(response, 'phoenix-refresh-token'),
  };
}

async function keyFrom(response: Response): Promise<string> {
  expect(response.status).toBe(201);
  const key = ((await response.json()) as { data: { key: string } }).data.key;
  issued.add(key);
  return key;
}

describe('secrets never leak', () => {
  it('runs the flow: logins, refresh, keys, reset mail, logout, malformed input, admin secret, OIDC failure', async () => {
    // Replace the well-known default password first, so every password below is distinctive.
    const first = await login('admin@localhost', 'admin');
    expect(
      (
        await send('PATCH', '/v1/user', {
          bearer: first.access,
          json: { password: ADMIN_NEW_PASSWORD, current_password: 'admin' },
        })
      ).status,
    ).toBe(200);
    const admin = await login('admin@localhost', ADMIN_NEW_PASSWORD);

    expect(
      (await send('POST', '/auth/login', { json: { email: 'admin@localhost', password: WRONG_PASSWORD } })).status,
    ).toBe(401);
    expect(
      (await send('POST', '/auth/login', { json: { email: 'nobody@example.com', password: WRONG_PASSWORD } })).status,
    ).toBe(401);
    // The password typed into the e-mail field: refused, and not kept anywhere (the audit trail included).
    expect(
      (await send('POST', '/auth/login', { json: { email: USER_PASSWORD, password: WRONG_PASSWORD } })).status,
    ).toBe(401);

    const refreshed = await send('POST', '/auth/refresh', { cookie: `phoenix-refresh-token=${admin.refresh}` });
    expect(refreshed.status).toBe(204);
    // The spent refresh token again: a replay, refused.
    expect((await send('POST', '/auth/refresh', { cookie: `phoenix-refresh-token=${admin.refresh}` })).status).toBe(
      401,
    );
    const adminAgain = await login('admin@localhost', ADMIN_NEW_PASSWORD);

    const created = await send('POST', '/v1/users', {
      bearer: ADMIN_SECRET,
      json: {
        user: { email: 'leaky.user@example.com', username: 'leaky', role: 'MEMBER', password: USER_PASSWORD },
        send_welcome_email: false,
      },
    });
    expect(created.status).toBe(201);
    // A password too weak for the policy: the 422 must describe it, not quote it.
    expect(
      (
        await send('POST', '/v1/users', {
          bearer: ADMIN_SECRET,
          json: { user: { email: 'weak@example.com', username: 'weak', role: 'MEMBER', password: 'x' } },
        })
      ).status,
    ).toBe(422);

    const user = await login('leaky.user@example.com', USER_PASSWORD);
    const userKey = await keyFrom(
      await send('POST', '/v1/user/api_keys', { bearer: user.access, json: { data: { name: 'mine' } } }),
    );
    expect((await send('GET', '/v1/user', { bearer: userKey })).status).toBe(200);
    const systemKey = await keyFrom(
      await send('POST', '/v1/system/api_keys', { bearer: adminAgain.access, json: { data: { name: 'svc' } } }),
    );
    expect((await send('GET', '/v1/projects', { bearer: systemKey })).status).toBe(200);
    // A key may not mint keys: refused by kind.
    expect(
      (await send('POST', '/v1/system/api_keys', { bearer: systemKey, json: { data: { name: 'nested' } } })).status,
    ).toBe(403);

    expect(
      (await send('POST', '/auth/password-reset-email', { json: { email: 'leaky.user@example.com' } })).status,
    ).toBe(204);
    await expect.poll(() => mails.length).toBe(1);
    const link = /reset-password-with-token\?token=([^\s"<>&]+)/.exec(mails[0]!.text)?.[1];
    expect(link).toBeDefined();
    const resetToken = decodeURIComponent(link!);
    issued.add(resetToken);
    expect((await send('POST', '/auth/password-reset', { json: { token: resetToken, password: 'y' } })).status).toBe(
      422,
    );
    expect(
      (await send('POST', '/auth/password-reset', { json: { token: resetToken, password: NEW_PASSWORD } })).status,
    ).toBe(204);
    expect(
      (await send('POST', '/auth/password-reset', { json: { token: resetToken, password: NEW_PASSWORD } })).status,
    ).toBe(401);
    const relogged = await login('leaky.user@example.com', NEW_PASSWORD);

    // Malformed and near-miss credentials: each refused, none echoed.
    expect((await send('GET', '/v1/user', { bearer: `${relogged.access}tampered` })).status).toBe(401);
    expect((await send('GET', '/v1/user', { bearer: `${ADMIN_SECRET}x` })).status).toBe(401);
    expect((await send('GET', '/v1/user', { bearer: `${SECRET}` })).status).toBe(401);
    expect((await send('GET', '/v1/projects', { bearer: `not-a-jwt-${USER_PASSWORD}` })).status).toBe(401);
    expect((await send('GET', '/v1/projects', { cookie: `phoenix-access-token=${systemKey}` })).status).toBe(401);
    expect((await send('POST', '/auth/refresh', { cookie: `phoenix-refresh-token=${relogged.access}` })).status).toBe(
      401,
    );
    // A body cut off mid-password: 400, and the fragment is not quoted back.
    expect(
      (await send('POST', '/auth/login', { raw: `{"email":"leaky.user@example.com","password":"${NEW_PASSWORD}` }))
        .status,
    ).toBe(400);
    expect((await send('POST', '/auth/password-reset', { raw: `{"token":"${resetToken}",` })).status).toBe(400);

    // The admin secret at work.
    expect((await send('GET', '/v1/users', { bearer: ADMIN_SECRET })).status).toBe(200);
    expect((await send('GET', '/v1/projects', { bearer: ADMIN_SECRET })).status).toBe(200);

    // The OIDC failure path, with the client secret configured.
    const oidc = await send('GET', '/oauth2/acme/login');
    expect(oidc.status).toBe(307);
    expect(oidc.headers.get('location')).toBe('/login?error=oauth_error');

    expect(
      (
        await send('POST', '/auth/logout', {
          cookie: `phoenix-access-token=${relogged.access}; phoenix-refresh-token=${relogged.refresh}`,
        })
      ).status,
    ).toBe(302);
    expect((await send('GET', '/v1/user', { bearer: relogged.access })).status).toBe(401);

    // The flow produced what the checks below look for.
    expect(issued.size).toBeGreaterThanOrEqual(12);
    expect(logLines.some((line) => line.includes('oauth2: discovery failed at login'))).toBe(true);
    expect(exchanges.filter((e) => e.status >= 400).length).toBeGreaterThanOrEqual(15);
  });

  it('no audit event of the flow carries a secret, password, token or key, and the flow left every kind it exercised', async () => {
    await gh!.audit.flush();
    const events = await store!.listAuditEvents({ limit: 10_000 });
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'sign_in.succeeded',
      'sign_in.failed',
      'refresh_token.replayed',
      'password.changed',
      'password.reset_requested',
      'password.reset_completed',
      'user.created',
      'api_key.created',
      'sign_out',
    ] as const) {
      expect(types, type).toContain(type);
    }
    const needles = [
      SECRET,
      ADMIN_SECRET,
      SMTP_PASSWORD,
      CLIENT_SECRET,
      USER_PASSWORD,
      NEW_PASSWORD,
      WRONG_PASSWORD,
      ADMIN_NEW_PASSWORD,
      ...issued,
    ];
    const fragments = [...issued].map((token) => token.split('.').at(-1) ?? token).filter((part) => part.length >= 16);
    for (const event of events) {
      const text = JSON.stringify(event);
      for (const needle of [...needles, ...fragments]) expect(text, `audit event leaks: ${text}`).not.toContain(needle);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+|\$argon2/);
    }
  });

  it('no log line, error body or redirect carries a secret, password, token or key', () => {
    const needles = [
      SECRET,
      ADMIN_SECRET,
      SMTP_PASSWORD,
      CLIENT_SECRET,
      USER_PASSWORD,
      NEW_PASSWORD,
      WRONG_PASSWORD,
      ADMIN_NEW_PASSWORD,
      ...issued,
    ];
    // A JWT's signature part alone would be a leak too.
    const fragments = [...issued].map((token) => token.split('.').at(-1) ?? token).filter((part) => part.length >= 16);
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      for (const needle of [...needles, ...fragments]) expect(line, `log line leaks: ${line}`).not.toContain(needle);
      expect(line).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    }
    for (const exchange of exchanges) {
      if (exchange.location) for (const needle of needles) expect(exchange.location).not.toContain(needle);
      if (exchange.status < 400) continue;
      for (const needle of [...needles, ...fragments])
        expect(exchange.body, `${exchange.method} ${exchange.path} ${exchange.status}`).not.toContain(needle);
      expect(exchange.body).not.toMatch(/eyJ|gh_key|\.db\b|SQLITE|stack/i);
    }
  });
});

describe('configuration errors never quote a secret', () => {
  const valid = { PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET };

  function configError(env: Record<string, string>): string {
    try {
      parseAuthEnv(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return `${(error as Error).message}\n${JSON.stringify(error)}`;
    }
    throw new Error('parseAuthEnv accepted the configuration');
  }

  it.each([
    ['PHOENIX_SECRET too short', { ...valid, PHOENIX_SECRET: 'Short0SecretValue' }, 'Short0SecretValue'],
    [
      'PHOENIX_SECRET without a digit',
      { ...valid, PHOENIX_SECRET: 'nodigitsinthissecretvaluexxxxxxxxxxxx' },
      'nodigitsinthissecretvaluexxxxxxxxxxxx',
    ],
    [
      'PHOENIX_SECRET with whitespace',
      { ...valid, PHOENIX_SECRET: 'has space0secret0abcdefghijklmnopqrstu' },
      'has space0secret0abcdefghijklmnopqrstu',
    ],
    [
      'PHOENIX_SECRET non-ASCII',
      { ...valid, PHOENIX_SECRET: 'sécret0abcdefghijklmnopqrstuvwxyz0123' },
      'sécret0abcdefghijklmnopqrstuvwxyz0123',
    ],
    ['PHOENIX_ADMIN_SECRET too short', { ...valid, PHOENIX_ADMIN_SECRET: 'adm1nShort' }, 'adm1nShort'],
    ['PHOENIX_ADMIN_SECRET equal to PHOENIX_SECRET', { ...valid, PHOENIX_ADMIN_SECRET: SECRET }, SECRET],
    [
      'SMTP password with an invalid port',
      {
        ...valid,
        PHOENIX_SMTP_HOSTNAME: 'smtp.example.com',
        PHOENIX_SMTP_PORT: 'not-a-port',
        PHOENIX_SMTP_USERNAME: 'u',
        PHOENIX_SMTP_PASSWORD: SMTP_PASSWORD,
      },
      SMTP_PASSWORD,
    ],
    [
      'client secret of an IdP with a bad discovery URL',
      {
        ...valid,
        PHOENIX_OAUTH2_ACME_CLIENT_ID: 'c',
        PHOENIX_OAUTH2_ACME_CLIENT_SECRET: CLIENT_SECRET,
        PHOENIX_OAUTH2_ACME_OIDC_CONFIG_URL: 'ftp://idp.example.com/x',
      },
      CLIENT_SECRET,
    ],
    [
      'client secret of an IdP without a client id',
      {
        ...valid,
        PHOENIX_OAUTH2_ACME_CLIENT_SECRET: CLIENT_SECRET,
        PHOENIX_OAUTH2_ACME_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
      },
      CLIENT_SECRET,
    ],
  ] as const)('%s', (_name, env, secret) => {
    const message = configError(env);
    expect(message).not.toContain(secret);
  });
});
