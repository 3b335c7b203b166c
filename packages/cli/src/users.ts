import { NotFoundError, sanitizeEmail, type ServiceDeps, type UserRecord } from '@gatehouse-auth/core';
import type { Context } from './io.js';
import type { Services } from './services.js';

/** Users are named by e-mail on the command line, the way they log in. */
export async function userByEmail(deps: ServiceDeps, raw: string): Promise<UserRecord> {
  const email = sanitizeEmail(raw);
  const user = await deps.store.findUserByEmail(email);
  if (!user) throw new NotFoundError(`No user with the e-mail ${email}`);
  return user;
}

/**
 * Says when ending sessions cannot reach servers already running: without Redis or PostgreSQL
 * NOTIFY there is no channel between processes, so a server keeps answering from its cache for
 * access tokens it has already checked, until they expire. Refresh tokens are refused at once.
 */
export function revocationNotes(ctx: Context, services: Services): void {
  if (services.fanOut === 'none') {
    const minutes = Math.ceil(services.deps.config.tokens.accessTtlSeconds / 60);
    ctx.err(
      `note: a server already running on this SQLite database keeps accepting access tokens it has already checked until they expire (at most ${minutes} min); their refresh tokens are refused now`,
    );
  } else if (!services.channelLive()) {
    ctx.err(
      `warning: the ${services.fanOut} revocation channel is down: running servers may not have heard of this until their cached tokens expire`,
    );
  }
}
