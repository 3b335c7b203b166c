import net, { type AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpMailer, type SmtpMailerOptions } from '../../src/mail/index.js';
import type { SmtpConfig } from '../../src/config/index.js';
import { UnavailableError, isGatehouseError } from '../../src/errors/index.js';
import type { Logger } from '../../src/services/deps.js';
import { defaultResetMail } from '../../src/services/index.js';

const USERNAME = 'gatehouse-mailer';
const PASSWORD = 'smtp-Passw0rd-never-logged';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiI0MiJ9.reset-token-signature';
const URL_WITH_TOKEN = `https://gatehouse.test/reset-password-with-token?token=${TOKEN}`;
const RECIPIENT = 'alice@example.com';
const FAILURE = 'The password reset e-mail could not be sent';
/** What OpenSSL says when a TLS ClientHello meets a plain-text SMTP greeting. */
const WRONG_VERSION = 'ERR_SSL_WRONG_VERSION_NUMBER';

const resetMail = (to = RECIPIENT) => defaultResetMail({ url: URL_WITH_TOKEN, email: to, expiresAt: 0 });

// ---------------------------------------------------------------------------------------------
// A real smtp-server on loopback, recording what reached it.

interface Delivery {
  secure: boolean;
  mailFrom: string | null;
  rcptTo: string[];
  parsed: ParsedMail;
}

interface TestServer {
  port: number;
  /** Raw TCP connections accepted, TLS handshake or not. */
  connections: number;
  auths: { method: string; username: string | undefined; password: string | null | undefined; secure: boolean }[];
  mailFromSecure: boolean[];
  dataCalls: number;
  deliveries: Delivery[];
  close(): Promise<void>;
}

const servers: TestServer[] = [];

async function startServer(options: SMTPServerOptions, port = 0): Promise<TestServer> {
  const state: TestServer = {
    port: 0,
    connections: 0,
    auths: [],
    mailFromSecure: [],
    dataCalls: 0,
    deliveries: [],
    close: () => Promise.resolve(),
  };
  const server = new SMTPServer({
    logger: false, // also silences the "built-in certificate" notice on stderr
    disableReverseLookup: true,
    closeTimeout: 100,
    onAuth(auth, session, callback) {
      state.auths.push({
        method: auth.method,
        username: auth.username,
        password: auth.password,
        secure: session.secure,
      });
      if (auth.username === USERNAME && auth.password === PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onMailFrom(_address, session, callback) {
      state.mailFromSecure.push(session.secure);
      callback();
    },
    onData(stream, session, callback) {
      state.dataCalls++;
      const { mailFrom, rcptTo } = session.envelope;
      const secure = session.secure;
      simpleParser(stream)
        .then((parsed) => {
          state.deliveries.push({
            secure,
            mailFrom: mailFrom ? mailFrom.address : null,
            rcptTo: rcptTo.map((r) => r.address),
            parsed,
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
    ...options,
  });
  // Clients that hang up mid-handshake surface here; an unhandled 'error' event would crash the run.
  server.on('error', () => {});
  server.server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  state.port = (server.server.address() as AddressInfo).port;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  servers.push(state);
  return state;
}

/** Plain, STARTTLS advertised (smtp-server's built-in self-signed certificate), login required. */
const startTlsServer = (port?: number) => startServer({ secure: false }, port);
/** SMTPS: TLS from the first byte. */
const implicitTlsServer = (port?: number) => startServer({ secure: true }, port);
/** No STARTTLS, and it would take credentials and mail in clear text if a client sent them. */
const plainOnlyServer = () =>
  startServer({ secure: false, disabledCommands: ['STARTTLS'], authOptional: true, allowInsecureAuth: true });

/** Accepts TCP connections and never says a word. */
async function silentServer(): Promise<{ port: number; connections: number }> {
  const sockets = new Set<net.Socket>();
  const state = { port: 0, connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  servers.push({
    ...(state as unknown as TestServer),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
  return state;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

// ---------------------------------------------------------------------------------------------

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, fields });
  };
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

function config(port: number, overrides: Partial<SmtpConfig> = {}): SmtpConfig {
  return {
    hostname: '127.0.0.1',
    port,
    username: USERNAME,
    password: PASSWORD,
    mailFrom: 'Gatehouse <noreply@gatehouse.test>',
    validateCerts: false,
    ...overrides,
  };
}

function mailer(port: number, overrides: Partial<SmtpConfig> = {}, options: SmtpMailerOptions = {}) {
  const log = captureLogger();
  const m = createSmtpMailer(config(port, overrides), { logger: log.logger, connectionTimeoutMs: 2_000, ...options });
  return { mailer: m, lines: log.lines };
}

async function rejection(promise: Promise<unknown>): Promise<UnavailableError> {
  const error: unknown = await promise.then(
    () => expect.fail('expected the send to be rejected'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnavailableError);
  expect(isGatehouseError(error) && error.code).toBe('unavailable');
  expect((error as Error).message).toBe(FAILURE);
  return error as UnavailableError;
}

const attempts = (lines: LogLine[]) =>
  lines
    .filter((l) => l.message === 'smtp: send attempt failed')
    .map((l) => ({ attempt: l.fields?.attempt, code: l.fields?.code, originalCode: l.fields?.originalCode }));

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) =>
    a.value.map((v) => ({ name: v.name, address: v.address })),
  );

// ---------------------------------------------------------------------------------------------

describe('createSmtpMailer: STARTTLS server', () => {
  it('upgrades with STARTTLS, logs in, then delivers the text and HTML parts', async () => {
    const server = await startTlsServer();
    const { mailer: m, lines } = mailer(server.port);

    await expect(m.send(resetMail())).resolves.toBeUndefined();
    m.close();

    expect(server.connections).toBe(1);
    expect(server.auths).toEqual([{ method: 'PLAIN', username: USERNAME, password: PASSWORD, secure: true }]);
    expect(server.mailFromSecure).toEqual([true]);
    expect(server.deliveries).toHaveLength(1);
    const delivery = server.deliveries[0]!;
    expect(delivery.secure).toBe(true);
    expect(delivery.mailFrom).toBe('noreply@gatehouse.test');
    expect(delivery.rcptTo).toEqual([RECIPIENT]);

    const { parsed } = delivery;
    expect(parsed.subject).toBe('Password Reset Request');
    expect(addresses(parsed.from)).toEqual([{ name: 'Gatehouse', address: 'noreply@gatehouse.test' }]);
    expect(addresses(parsed.to)).toEqual([{ name: '', address: RECIPIENT }]);
    expect(parsed.text).toBe(resetMail().text);
    expect(typeof parsed.html).toBe('string');
    const anchor = /<a id="reset-url" href="([^"]*)">Reset Password<\/a>/.exec(parsed.html as string);
    expect(anchor?.[1]).toBe(URL_WITH_TOKEN);
    expect(lines).toEqual([]);
  });

  it.each([
    ['username empty', { username: '' }],
    ['password empty', { password: '' }],
    ['both empty', { username: '', password: '' }],
  ])('does not log in when the %s', async (_case, credentials) => {
    const server = await startServer({ secure: false, authOptional: true });
    const { mailer: m } = mailer(server.port, credentials);

    await m.send(resetMail());
    m.close();

    expect(server.auths).toEqual([]);
    expect(server.deliveries.map((d) => d.secure)).toEqual([true]);
  });

  it('rejects when the server refuses the credentials, after trying implicit TLS as well', async () => {
    const server = await startTlsServer();
    const { mailer: m, lines } = mailer(server.port, { password: 'wrong-password' });

    const error = await rejection(m.send(resetMail()));
    m.close();

    expect(error.cause).toBeInstanceOf(Error);
    expect(server.auths.map((a) => a.password)).toEqual(['wrong-password']);
    expect(server.dataCalls).toBe(0);
    expect(attempts(lines)).toEqual([
      { attempt: 'starttls', code: 'EAUTH', originalCode: undefined },
      { attempt: 'implicit_tls', code: 'ESOCKET', originalCode: WRONG_VERSION },
    ]);
  });
});

describe('createSmtpMailer: never in clear text', () => {
  it('refuses a server without STARTTLS: no credentials, no mail, then implicit TLS fails too', async () => {
    const server = await plainOnlyServer();
    const { mailer: m, lines } = mailer(server.port);

    const error = await rejection(m.send(resetMail()));
    m.close();

    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as { code?: unknown }).code).toBe('ESOCKET');
    expect(server.auths).toEqual([]);
    expect(server.mailFromSecure).toEqual([]);
    expect(server.dataCalls).toBe(0);
    expect(server.connections).toBe(2);
    expect(attempts(lines)).toEqual([
      { attempt: 'starttls', code: 'ETLS', originalCode: undefined },
      { attempt: 'implicit_tls', code: 'ESOCKET', originalCode: WRONG_VERSION },
    ]);
  });
});

describe('createSmtpMailer: implicit TLS fallback', () => {
  it('delivers over implicit TLS after the STARTTLS attempt times out, and goes there first next time', async () => {
    const server = await implicitTlsServer();
    const { mailer: m, lines } = mailer(server.port, {}, { connectionTimeoutMs: 400 });

    await m.send(resetMail());
    expect(server.connections).toBe(2);
    expect(attempts(lines)).toEqual([{ attempt: 'starttls', code: 'ETIMEDOUT', originalCode: undefined }]);

    const started = performance.now();
    await m.send(resetMail());
    const elapsed = performance.now() - started;
    m.close();

    expect(elapsed).toBeLessThan(400);
    expect(server.connections).toBe(3);
    expect(attempts(lines)).toHaveLength(1);
    expect(server.auths.map((a) => [a.username, a.secure])).toEqual([
      [USERNAME, true],
      [USERNAME, true],
    ]);
    expect(server.deliveries.map((d) => [d.secure, d.rcptTo, d.parsed.subject])).toEqual([
      [true, [RECIPIENT], 'Password Reset Request'],
      [true, [RECIPIENT], 'Password Reset Request'],
    ]);
  });

  it('tries the other mode again when the remembered one stops working', async () => {
    let server = await startTlsServer();
    const port = server.port;
    const { mailer: m, lines } = mailer(port, {}, { connectionTimeoutMs: 400 });

    await m.send(resetMail());
    expect(attempts(lines)).toEqual([]);

    await server.close();
    server = await implicitTlsServer(port);
    await m.send(resetMail());
    expect(attempts(lines)).toEqual([{ attempt: 'starttls', code: 'ETIMEDOUT', originalCode: undefined }]);
    expect(server.deliveries).toHaveLength(1);

    await server.close();
    server = await startTlsServer(port);
    await m.send(resetMail());
    m.close();
    expect(attempts(lines)).toEqual([
      { attempt: 'starttls', code: 'ETIMEDOUT', originalCode: undefined },
      { attempt: 'implicit_tls', code: 'ESOCKET', originalCode: WRONG_VERSION },
    ]);
    expect(server.deliveries.map((d) => d.secure)).toEqual([true]);
  });
});

describe('createSmtpMailer: certificate validation', () => {
  // smtp-server's built-in certificate is self-signed and, since February 2025, expired; OpenSSL
  // may name either fault first. Either way it must be refused.
  const certRefused = ['DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED'];

  it.each([
    ['STARTTLS', startTlsServer, 'starttls', { attempt: 'implicit_tls', code: 'ESOCKET', originalCode: WRONG_VERSION }],
    [
      'implicit TLS',
      implicitTlsServer,
      'implicit_tls',
      { attempt: 'starttls', code: 'ETIMEDOUT', originalCode: undefined },
    ],
  ] as const)(
    'refuses the self-signed certificate of a %s server when validateCerts is on',
    async (_kind, start, tlsAttempt, otherAttempt) => {
      const server = await start();
      const { mailer: m, lines } = mailer(server.port, { validateCerts: true }, { connectionTimeoutMs: 400 });

      const error = await rejection(m.send(resetMail()));
      m.close();

      expect(error.cause).toBeInstanceOf(Error);
      expect(server.auths).toEqual([]);
      expect(server.dataCalls).toBe(0);
      const logged = attempts(lines);
      expect(logged).toHaveLength(2);
      expect(logged).toContainEqual(otherAttempt);
      const refused = logged.find((a) => a.attempt === tlsAttempt);
      expect(refused?.code).toBe('ESOCKET');
      expect(certRefused).toContain(refused?.originalCode);
    },
  );

  it('accepts the same certificate when validateCerts is off', async () => {
    const server = await startTlsServer();
    const { mailer: m } = mailer(server.port, { validateCerts: false });
    await m.send(resetMail());
    m.close();
    expect(server.deliveries).toHaveLength(1);
  });
});

describe('createSmtpMailer: unreachable server', () => {
  it('rejects at once when nothing listens on the port', async () => {
    const port = await freePort();
    const { mailer: m, lines } = mailer(port, {}, { connectionTimeoutMs: 1_000 });

    const started = performance.now();
    const error = await rejection(m.send(resetMail()));
    const elapsed = performance.now() - started;
    m.close();

    expect(elapsed).toBeLessThan(1_000);
    expect(error.cause).toMatchObject({ code: 'ESOCKET', originalCode: 'ECONNREFUSED' });
    expect(attempts(lines)).toEqual([
      { attempt: 'starttls', code: 'ESOCKET', originalCode: 'ECONNREFUSED' },
      { attempt: 'implicit_tls', code: 'ESOCKET', originalCode: 'ECONNREFUSED' },
    ]);
  });

  it('gives up on a server that never answers within one timeout per attempt', async () => {
    const server = await silentServer();
    const { mailer: m, lines } = mailer(server.port, {}, { connectionTimeoutMs: 300 });

    const started = performance.now();
    await rejection(m.send(resetMail()));
    const elapsed = performance.now() - started;
    m.close();

    expect(server.connections).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(2 * 300 - 50);
    expect(elapsed).toBeLessThan(2 * 300 + 1_500);
    expect(attempts(lines)).toEqual([
      { attempt: 'starttls', code: 'ETIMEDOUT', originalCode: undefined },
      { attempt: 'implicit_tls', code: 'ETIMEDOUT' },
    ]);
  });

  it('close() cuts a send in flight short, and later sends reject without connecting', async () => {
    const server = await silentServer();
    const { mailer: m } = mailer(server.port, {}, { connectionTimeoutMs: 10_000 });

    const started = performance.now();
    const pending = m.send(resetMail());
    setTimeout(() => m.close(), 100);
    const error = await rejection(pending);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect((error.cause as Error).name).toBe('AbortError');
    expect(server.connections).toBe(1);

    await rejection(m.send(resetMail()));
    expect(server.connections).toBe(1);
  });
});

describe('createSmtpMailer: recipient re-validation', () => {
  it.each([
    'not-an-email',
    'alice@example',
    '@example.com',
    'a b@example.com',
    'a@b@example.com',
    'alice@example.com\r\nBcc: x@y.z',
    '',
  ])('treats %j as a logged no-op: resolves, connects to nothing', async (to) => {
    const server = await startTlsServer();
    const { mailer: m, lines } = mailer(server.port);

    await expect(m.send({ ...resetMail(), to })).resolves.toBeUndefined();
    m.close();

    expect(server.connections).toBe(0);
    expect(lines.map((l) => [l.level, l.message])).toEqual([['warn', 'smtp: invalid recipient address, nothing sent']]);
  });
});

describe('createSmtpMailer: logs', () => {
  it('never carry the token, the link, the body or the password', async () => {
    const { logger, lines } = captureLogger();
    const plain = await plainOnlyServer();
    const tls = await startTlsServer();
    const unreachable = await freePort();
    const runs: [number, Partial<SmtpConfig>, string][] = [
      [tls.port, {}, RECIPIENT],
      [tls.port, { password: `${PASSWORD}-wrong` }, RECIPIENT],
      [plain.port, {}, RECIPIENT],
      [unreachable, {}, RECIPIENT],
      [tls.port, {}, `${TOKEN}@example`],
    ];
    const errors: unknown[] = [];
    for (const [port, overrides, to] of runs) {
      const m = createSmtpMailer(config(port, overrides), { logger, connectionTimeoutMs: 1_000 });
      await m.send({ ...resetMail(), to }).catch((e: unknown) => errors.push(e));
      m.close();
    }

    expect(errors).toHaveLength(3);
    // 2 failed attempts for each of the three failures, 1 refused recipient, nothing on success.
    expect(lines).toHaveLength(7);
    expect(lines.filter((l) => l.fields?.recipientDomain === 'example.com')).toHaveLength(6);
    const text = JSON.stringify([lines, errors]);
    for (const secret of [TOKEN, URL_WITH_TOKEN, PASSWORD, 'reset-token-signature', 'Reset your password']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('createSmtpMailer: bounded sessions', () => {
  it('opens at most maxConcurrentSends SMTP sessions at once and still delivers every mail', async () => {
    let open = 0;
    let peak = 0;
    const server = await startServer({
      secure: false,
      onConnect(_session, callback) {
        peak = Math.max(peak, ++open);
        callback();
      },
      onClose() {
        open--;
      },
    });
    const { mailer: m } = mailer(server.port, {}, { maxConcurrentSends: 2 });
    const recipients = Array.from({ length: 9 }, (_, i) => `user${i}@example.com`);
    await Promise.all(recipients.map((to) => m.send(resetMail(to))));
    m.close();
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBeGreaterThan(0);
    expect(server.deliveries.flatMap((d) => d.rcptTo).sort()).toEqual([...recipients].sort());
  });

  it('refuses at once a send that would wait beyond maxQueuedSends, without connecting', async () => {
    const server = await startTlsServer();
    const { mailer: m } = mailer(server.port, {}, { maxConcurrentSends: 1, maxQueuedSends: 1 });
    const first = m.send(resetMail('first@example.com'));
    const second = m.send(resetMail('second@example.com'));
    await rejection(m.send(resetMail('third@example.com')));
    await Promise.all([first, second]);
    m.close();
    expect(server.deliveries.flatMap((d) => d.rcptTo)).toEqual(['first@example.com', 'second@example.com']);
  });
});
