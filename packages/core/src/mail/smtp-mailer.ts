import type * as NodemailerModule from 'nodemailer';
import type { SendMailOptions, SMTPTransportOptions, Transporter } from 'nodemailer';
import type { SmtpConfig } from '../config/index.js';
import { isValidEmail } from '../crypto/index.js';
import { UnavailableError } from '../errors/index.js';
import type { MailMessage, Mailer } from '../ports.js';
import { silentLogger, type Logger } from '../services/deps.js';

export interface SmtpMailerOptions {
  /** Receives one line per failed attempt and per refused recipient; never a body, link or secret. */
  logger?: Logger;
  /**
   * Per attempt: bound on connecting (DNS, TCP, server greeting, TLS handshake). A session that
   * is under way may then sit idle three times as long. Default 10 000 ms.
   */
  connectionTimeoutMs?: number;
  /**
   * SMTP sessions open at once; later sends wait their turn. Reset mail is sent after the answer,
   * so without a bound a burst of reset requests would open as many sessions. Default 5.
   */
  maxConcurrentSends?: number;
  /** Sends allowed to wait for a session; beyond it a send fails at once (logged, token deleted). Default 100. */
  maxQueuedSends?: number;
}

export type SmtpMailer = Mailer & {
  /** Aborts sends in flight; every later send rejects with `UnavailableError`. */
  close(): void;
};

/** `starttls`: plain connect, mandatory upgrade. `implicit_tls`: TLS from the first byte (SMTPS). */
type Attempt = 'starttls' | 'implicit_tls';

type Nodemailer = typeof NodemailerModule;

const FAILURE_MESSAGE = 'The password reset e-mail could not be sent';
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The SMTP `Mailer` of docs/phoenix-contract.md#smtp: STARTTLS first, implicit TLS on the same port when that
 * attempt fails for any reason, `UnavailableError` when both do. The attempt that delivered is
 * tried first next time. nodemailer is imported on the first send, so loading core never touches it.
 */
export function createSmtpMailer(config: SmtpConfig, options: SmtpMailerOptions = {}): SmtpMailer {
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.connectionTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const closing = new AbortController();
  const transports = new Map<Attempt, Transporter>();
  let nodemailer: Promise<Nodemailer> | null = null;
  let preferred: Attempt = 'starttls';
  const maxConcurrent = Math.max(1, options.maxConcurrentSends ?? 5);
  const maxQueued = Math.max(0, options.maxQueuedSends ?? 100);
  let active = 0;
  const waiting: (() => void)[] = [];

  async function slot(): Promise<void> {
    if (active < maxConcurrent) {
      active++;
      return;
    }
    if (waiting.length >= maxQueued) throw new UnavailableError(FAILURE_MESSAGE);
    // The finishing send hands its slot over: `active` stays as it is.
    await new Promise<void>((resolve) => waiting.push(resolve));
  }

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else active--;
  }

  function transport(mailer: Nodemailer, attempt: Attempt): Transporter {
    let existing = transports.get(attempt);
    if (!existing) {
      existing = mailer.createTransport(transportOptions(config, attempt, timeoutMs));
      transports.set(attempt, existing);
    }
    return existing;
  }

  async function load(): Promise<Nodemailer> {
    nodemailer ??= import('nodemailer');
    try {
      return await nodemailer;
    } catch (error) {
      nodemailer = null;
      logger.error('smtp: nodemailer could not be loaded', describeError(error));
      throw new UnavailableError(FAILURE_MESSAGE, { code: 'unavailable', cause: error });
    }
  }

  async function deliver(mailer: Nodemailer, mail: SendMailOptions, recipientDomain: string | null): Promise<void> {
    const order: Attempt[] = preferred === 'starttls' ? ['starttls', 'implicit_tls'] : ['implicit_tls', 'starttls'];
    let lastError: unknown;
    for (const attempt of order) {
      if (closing.signal.aborted) break;
      try {
        await transport(mailer, attempt).sendMail(mail);
        preferred = attempt;
        return;
      } catch (error) {
        lastError = error;
        logger.warn('smtp: send attempt failed', { recipientDomain, attempt, ...describeError(error) });
      }
    }
    throw new UnavailableError(FAILURE_MESSAGE, { code: 'unavailable', cause: lastError });
  }

  return {
    async send(message: MailMessage): Promise<void> {
      const recipientDomain = domainOf(message.to);
      // Phoenix re-validates here and treats a bad address as a no-op, not as a failure.
      if (!isValidEmail(message.to)) {
        logger.warn('smtp: invalid recipient address, nothing sent', { recipientDomain });
        return;
      }
      if (closing.signal.aborted) throw new UnavailableError(FAILURE_MESSAGE);
      const mailer = await load();

      const mail: SendMailOptions = {
        from: config.mailFrom,
        to: { name: '', address: message.to },
        // An explicit envelope: RCPT TO is exactly the address validated above, whatever a
        // header parser would make of it.
        envelope: { from: config.mailFrom, to: [message.to] },
        subject: message.subject,
        text: message.text,
        html: message.html,
        signal: closing.signal,
      };

      await slot();
      try {
        await deliver(mailer, mail, recipientDomain);
      } finally {
        release();
      }
    },

    close(): void {
      closing.abort();
      for (const t of transports.values()) t.close();
      transports.clear();
    },
  };
}

function transportOptions(config: SmtpConfig, attempt: Attempt, timeoutMs: number): SMTPTransportOptions {
  const login = config.username !== '' && config.password !== '';
  return {
    host: config.hostname,
    port: config.port,
    secure: attempt === 'implicit_tls',
    // Without it nodemailer carries on in clear text when the server offers no STARTTLS, and the
    // credentials and the reset link would cross the network readable.
    requireTLS: attempt === 'starttls',
    ...(login ? { auth: { user: config.username, pass: config.password } } : {}),
    tls: { rejectUnauthorized: config.validateCerts },
    // One budget for DNS, TCP connect, greeting and TLS handshake. A plain connect to an
    // implicit-TLS port never gets a greeting, so this is what ends the STARTTLS attempt there;
    // nodemailer 10 already caps the greeting wait by it, the explicit value keeps that so.
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    socketTimeout: timeoutMs * 3,
    logger: false,
    debug: false,
    // The message is built from strings only; no part of it may pull in a file or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** What may be logged about a failure: its kind, never its message (which can quote the server). */
function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: typeof error };
  // nodemailer puts its own category in `code` and keeps the system or TLS code (ECONNREFUSED,
  // DEPTH_ZERO_SELF_SIGNED_CERT, ...) in `originalCode`: the one that tells an operator what to fix.
  const { code, originalCode, responseCode } = error as Error & {
    code?: unknown;
    originalCode?: unknown;
    responseCode?: unknown;
  };
  return {
    error: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof originalCode === 'string' ? { originalCode } : {}),
    ...(typeof responseCode === 'number' ? { responseCode } : {}),
  };
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  return at === -1 ? null : address.slice(at + 1);
}
