import type { UserRecord } from '../ports.js';
import type { ServiceDeps } from './deps.js';

/**
 * After a user row changed: when anything a principal carries changed with it (role, username,
 * e-mail), every cache drops that user's credentials, so the next request reads the new values
 * (and an API key picks up its owner's new role). The credentials themselves stay valid.
 */
export async function publishIdentityChange(deps: ServiceDeps, before: UserRecord, after: UserRecord): Promise<void> {
  if (before.role === after.role && before.username === after.username && before.email === after.email) return;
  await deps.revocations.publish({ type: 'user', userId: after.id });
}
