import { ValidationError } from '../errors/index.js';
import { HAS_WHITESPACE } from './whitespace.js';

export type PasswordPolicy = 'default' | 'strong';

// Control characters are ASCII: Phoenix only asks for code points below 0x80.
// eslint-disable-next-line no-control-regex
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const SPECIAL = /[!@#$%^&*()_+]/;

/**
 * Phoenix joins every failing requirement into one sentence, so a user sees all of them at
 * once: "A", "A and B", "A, B, and C".
 */
function joinRequirements(items: readonly string[]): string {
  if (items.length <= 2) return items.join(' and ');
  return `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}`;
}

/**
 * Why `password` breaks `policy`, or `null` when it is acceptable. The first three checks stop at
 * the first failure (their order is part of the contract); the remaining requirements are
 * collected into one message.
 */
export function passwordProblems(password: string, policy: PasswordPolicy): string | null {
  if (password.length === 0) return 'Password must be non-empty';
  if (HAS_WHITESPACE.test(password)) return 'Password must not contain whitespace characters';
  if (!ASCII_ONLY.test(password)) return 'Password must contain only ASCII characters';

  const missing: string[] = [];
  if (policy === 'strong') {
    if (password.length < 12) missing.push('at least 12 characters long');
    if (!/[0-9]/.test(password)) missing.push('at least one digit');
    if (!/[a-z]/.test(password)) missing.push('at least one lowercase letter');
    if (!/[A-Z]/.test(password)) missing.push('at least one uppercase letter');
    if (!SPECIAL.test(password)) missing.push('at least one special character');
  } else if (password.length < 4) {
    missing.push('at least 4 characters long');
  }
  return missing.length === 0 ? null : `Password must be ${joinRequirements(missing)}`;
}

/** Throws `ValidationError` (code `password_policy`) with the message of {@link passwordProblems}. */
export function assertValidPassword(password: string, policy: PasswordPolicy): void {
  const problem = passwordProblems(password, policy);
  if (problem !== null) throw new ValidationError(problem, { code: 'password_policy' });
}
