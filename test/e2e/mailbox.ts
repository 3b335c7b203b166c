/**
 * A real SMTP receiver on loopback for the browser test: STARTTLS with smtp-server's built-in
 * self-signed certificate (so the sender needs PHOENIX_SMTP_VALIDATE_CERTS=false), any login
 * accepted, every message parsed with mailparser.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailbox {
  port: number;
  readonly mails: readonly ReceivedMail[];
  /** The first mail to `address` not yet taken; waits up to `timeoutMs`. */
  take(address: string, timeoutMs?: number): Promise<ReceivedMail>;
  /** The PHOENIX_SMTP_* variables that make Gatehouse send here. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

export async function startMailbox(): Promise<Mailbox> {
  const mails: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const smtp = new SMTPServer({
    logger: false,
    secure: false,
    authOptional: true,
    onAuth(_auth, _session, done) {
      done(null, { user: 'demo' });
    },
    onData(stream, _session, done) {
      simpleParser(stream).then((mail) => {
        const to = Array.isArray(mail.to) ? mail.to.map((t) => t.text).join(',') : (mail.to?.text ?? '');
        mails.push({
          to,
          subject: mail.subject ?? '',
          text: mail.text ?? '',
          html: typeof mail.html === 'string' ? mail.html : '',
        });
        done();
      }, done);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;

  return {
    port,
    mails,
    async take(address, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = mails.find((m) => !taken.has(m) && m.to.toLowerCase().includes(address.toLowerCase()));
        if (mail) {
          taken.add(mail);
          return mail;
        }
        if (Date.now() > deadline)
          throw new Error(
            `no mail to ${address} within ${timeoutMs} ms (received: ${mails.map((m) => m.to).join(', ') || 'none'})`,
          );
        await new Promise((wait) => setTimeout(wait, 50));
      }
    },
    env: () => ({
      PHOENIX_SMTP_HOSTNAME: '127.0.0.1',
      PHOENIX_SMTP_PORT: String(port),
      PHOENIX_SMTP_USERNAME: 'demo',
      PHOENIX_SMTP_PASSWORD: 'demo-smtp-password',
      PHOENIX_SMTP_VALIDATE_CERTS: 'false',
    }),
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}
