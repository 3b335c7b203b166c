import { AuthenticationError } from '../errors/index.js';
import { decide, decisionError, type Action, type PermissionTarget, type Principal } from '../policy/index.js';

/** Runs the policy decision; a denial becomes the typed error the HTTP layer maps to 401/403. */
export function authorize(
  principal: Principal | null,
  action: Action,
  target?: PermissionTarget,
): asserts principal is Principal {
  const error = decisionError(decide(principal, action, target));
  if (error !== null) throw error;
}

/** No credential at all: 401 before anything is looked up, so anonymous callers learn nothing. */
export function requireActor(principal: Principal | null): asserts principal is Principal {
  if (principal === null) throw new AuthenticationError('Authentication required', { code: 'unauthenticated' });
}
