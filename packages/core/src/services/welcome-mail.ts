import { isLdapEmailMarker } from '../ldap/sign-in.js';
import type { MailMessage, UserRecord } from '../ports.js';
import type { BackgroundWork } from './background.js';
import type { ServiceDeps } from './deps.js';

export interface WelcomeMailContent {
  /** Where the user starts: the public root URL. */
  url: string;
  email: string;
  username: string;
}

export interface SendWelcomeMailOptions {
  /** The public root URL (PHOENIX_ROOT_URL when set). */
  url: string;
  /** The mail is sent there, after the answer (like the reset mail); a failure is logged, never reported. */
  background: BackgroundWork;
  render?(content: WelcomeMailContent): MailMessage;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function defaultWelcomeMail({ url, email, username }: WelcomeMailContent): MailMessage {
  return {
    to: email,
    subject: 'Welcome',
    text: `Hello ${username},\n\nAn account has been created for you.\n\nGet started: ${url}\n`,
    html: `<h1>Welcome</h1><p>Hello ${escapeHtml(username)},</p><p>An account has been created for you.</p><p><a id="welcome-url" href="${escapeHtml(url)}">Get Started</a></p>`,
  };
}

/**
 * The welcome mail of an admin-created user (docs/phoenix-contract.md#welcome-mail): silently nothing without SMTP or without
 * an address (no-email LDAP users). No token, no password: just the way in.
 */
export function sendWelcomeMail(deps: ServiceDeps, user: UserRecord, options: SendWelcomeMailOptions): void {
  const { mailer } = deps;
  if (!mailer || !user.email || isLdapEmailMarker(user.email)) return;
  const message = (options.render ?? defaultWelcomeMail)({
    url: options.url,
    email: user.email,
    username: user.username,
  });
  options.background.run(() =>
    mailer.send(message).catch((error: unknown) => {
      deps.logger.error('Failed to send welcome email', {
        userId: user.id,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }),
  );
}
