import { RateLimitError } from '../errors/index.js';
import type { FailureRule } from '../ports.js';
import type { ServiceDeps } from './deps.js';

const LOCKOUT_MESSAGE = 'Too many failed login attempts. Please try again later.';

function rule(deps: ServiceDeps): FailureRule {
  const { maxAttempts, lockoutSeconds } = deps.config.bruteForce;
  // A failure count with no new failure for four lockout periods is forgotten (Phoenix
  // forgets after 15–20 minutes through partition rotation).
  return { maxAttempts, blockMs: lockoutSeconds * 1000, forgetAfterMs: lockoutSeconds * 4000 };
}

const keyFor = (email: string) => `login:${email}`;

/** Per-account lockout (docs/phoenix-contract.md#lockout), keyed by the sanitised e-mail so it also covers unknown accounts. */
export async function assertNotLockedOut(deps: ServiceDeps, email: string): Promise<void> {
  if (!deps.config.bruteForce.enabled) return;
  const now = deps.clock.now();
  const until = await deps.rateLimits.blockedUntil(keyFor(email), now);
  if (until !== null)
    throw new RateLimitError(LOCKOUT_MESSAGE, {
      code: 'too_many_login_attempts',
      retryAfterSeconds: (until - now) / 1000,
    });
}

/** Returns when the key is now locked out until (epoch ms), or null. */
export async function recordLoginFailure(deps: ServiceDeps, email: string): Promise<number | null> {
  if (!deps.config.bruteForce.enabled) return null;
  return (await deps.rateLimits.recordFailure(keyFor(email), rule(deps), deps.clock.now())).blockedUntil;
}

export async function clearLoginFailures(deps: ServiceDeps, email: string): Promise<void> {
  if (!deps.config.bruteForce.enabled) return;
  await deps.rateLimits.clearFailures(keyFor(email));
}
