import { assertValidPassword, sanitizeEmail } from '../crypto/index.js';
import {
  AuthenticationError,
  PermissionDeniedError,
  UnavailableError,
  ValidationError,
  isGatehouseError,
} from '../errors/index.js';
import type { Mailer, MailMessage, UserRecord } from '../ports.js';
import type { BackgroundWork } from './background.js';
import type { ServiceDeps } from './deps.js';
import { clearLoginFailures } from './login-lockout.js';

export interface ResetMailContent {
  /** The link the user follows; carries the reset token. */
  url: string;
  email: string;
  expiresAt: number;
}

export interface RequestPasswordResetOptions {
  /** Builds the link from the token; the HTTP layer bases it on PHOENIX_ROOT_URL or the request's own URL. */
  resetUrl(token: string): string;
  /** Renders the message; a plain default is used when omitted. */
  render?(content: ResetMailContent): MailMessage;
  /**
   * When given, the token and the mail are produced there instead of before returning: the caller
   * answers an existing account exactly as an unknown e-mail (same status, same time), and a failed
   * delivery is logged and leaves no usable token instead of a 503 that would reveal the account.
   */
  background?: BackgroundWork;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

export function defaultResetMail({ url, email }: ResetMailContent): MailMessage {
  return {
    to: email,
    subject: 'Password Reset Request',
    text: `A password reset was requested for your account.\n\nReset your password: ${url}\n\nIf you did not request this, contact your administrator.\n`,
    html: `<p>Hello,</p><p>A password reset was requested for your account.</p><p><a id="reset-url" href="${escapeHtml(url)}">Reset Password</a></p><p>If you did not request this, contact your administrator.</p>`,
  };
}

/**
 * Sends a reset link (docs/phoenix-contract.md#reset-email). Unknown, OAuth-only and system accounts get exactly the same
 * answer and nothing is sent. A new request replaces the user's previous token. Without
 * `options.background` a failed delivery throws `UnavailableError` after removing the token.
 */
export async function requestPasswordReset(
  deps: ServiceDeps,
  rawEmail: unknown,
  options: RequestPasswordResetOptions,
): Promise<void> {
  if (!deps.config.basicAuthEnabled) throw new PermissionDeniedError('Forbidden', { code: 'basic_auth_disabled' });
  if (typeof rawEmail !== 'string' || !rawEmail.trim()) throw new ValidationError('Email required');
  const { mailer } = deps;
  if (!mailer) throw new UnavailableError('SMTP server not configured', { code: 'smtp_not_configured' });
  const email = sanitizeEmail(rawEmail);
  const user = await deps.store.findUserByEmail(email);
  if (!user || user.authMethod !== 'LOCAL' || user.role === 'SYSTEM') return;
  deps.audit.record({
    type: 'password.reset_requested',
    actor: { kind: 'anonymous', userId: null },
    subjectUserId: user.id,
    details: { email: user.email },
  });
  const send = () => issueAndSend(deps, mailer, user, options);
  if (!options.background) return send();
  options.background.run(() =>
    send().catch((error: unknown) => {
      if (!isGatehouseError(error) || error.code !== 'unavailable') {
        deps.logger.error('password reset could not be issued', {
          userId: user.id,
          error: error instanceof Error ? error.name : 'unknown',
        });
      }
    }),
  );
}

async function issueAndSend(
  deps: ServiceDeps,
  mailer: Mailer,
  user: UserRecord,
  options: RequestPasswordResetOptions,
): Promise<void> {
  const now = deps.clock.now();
  const row = await deps.store.insertPasswordResetToken({
    userId: user.id,
    createdAt: now,
    expiresAt: now + deps.config.tokens.passwordResetTtlSeconds * 1000,
  });
  const token = await deps.tokens.sign('password_reset', {
    jti: String(row.id),
    sub: String(user.id),
    expiresAt: Math.floor(row.expiresAt / 1000),
  });
  const content = { url: options.resetUrl(token), email: user.email, expiresAt: row.expiresAt };
  try {
    await mailer.send((options.render ?? defaultResetMail)(content));
  } catch (error) {
    // A link that never arrived must not stay usable; log without the token or the link.
    await deps.store.deletePasswordResetTokensOfUser(user.id);
    deps.logger.error('password reset mail could not be sent', {
      userId: user.id,
      error: error instanceof Error ? error.name : 'unknown',
    });
    throw new UnavailableError('The password reset e-mail could not be sent');
  }
}

/**
 * Sets a new password with a reset token (docs/phoenix-contract.md#reset): single use, only the latest token works,
 * the password policy is checked before the token is spent (a 422 leaves it usable), and success
 * ends every session of the user and clears their login lockout.
 */
export async function resetPassword(deps: ServiceDeps, input: { token?: unknown; password?: unknown }): Promise<void> {
  if (!deps.config.basicAuthEnabled) throw new PermissionDeniedError('Forbidden', { code: 'basic_auth_disabled' });
  if (typeof input.password !== 'string' || !input.password) throw new ValidationError('Password required');
  const invalid = () => new AuthenticationError('Invalid token', { code: 'invalid_token' });
  if (typeof input.token !== 'string' || !input.token) throw invalid();
  let tokenId: number;
  let subject: number;
  try {
    const claims = await deps.tokens.verify(input.token, 'password_reset');
    tokenId = Number(claims.jti);
    subject = Number(claims.sub);
  } catch (error) {
    if (isGatehouseError(error) && (error.code === 'invalid_token' || error.code === 'expired_token')) throw invalid();
    throw error;
  }
  assertValidPassword(input.password, deps.config.passwordPolicy);
  const passwordHash = await deps.hasher.hash(input.password);

  const now = deps.clock.now();
  const email = await deps.store.transaction(async (tx) => {
    const row = await tx.takePasswordResetToken(tokenId);
    if (!row || row.userId !== subject) throw invalid();
    if (row.expiresAt <= now) throw invalid();
    const user = await tx.findUserById(row.userId);
    if (!user || user.authMethod !== 'LOCAL') return null;
    await tx.updateUser(user.id, { passwordHash, resetPassword: false, updatedAt: now });
    await tx.deleteSessionsOfUser(user.id);
    return { userId: user.id, email: user.email };
  });
  if (!email) return;
  await deps.revocations.publish({ type: 'user_sessions', userId: email.userId });
  await clearLoginFailures(deps, email.email);
  deps.audit.record({ type: 'password.reset_completed', subjectUserId: email.userId, details: {} });
}
