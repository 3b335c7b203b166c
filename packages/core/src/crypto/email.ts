import { ValidationError } from '../errors/index.js';
import { HAS_WHITESPACE, IS_WHITESPACE } from './whitespace.js';

/**
 * Phoenix's rule is the pattern `^[^@\s]+@[^@\s]+\.[^@\s]+$` on the raw input (no trimming:
 * surrounding whitespace is a rejection, not something to repair silently). It is evaluated here
 * without a regular expression because that pattern backtracks quadratically on inputs such as
 * `a@....…@`, and the address comes straight from a request body. Same language, linear time:
 * exactly one `@` with something before it, no whitespace, and a `.` in the domain with something
 * on both sides.
 */
export function isValidEmail(email: string): boolean {
  if (typeof email !== 'string' || HAS_WHITESPACE.test(email)) return false;
  const at = email.indexOf('@');
  if (at < 1 || email.indexOf('@', at + 1) !== -1) return false;
  const domainStart = at + 1;
  const dot = email.indexOf('.', domainStart + 1);
  return dot !== -1 && dot < email.length - 1;
}

/** Throws `ValidationError` (code `invalid_email`) unless {@link isValidEmail}. */
export function assertValidEmail(email: string): void {
  if (!isValidEmail(email)) throw new ValidationError('Invalid email address', { code: 'invalid_email' });
}

/** The stored form of an e-mail address: trimmed (tabs and newlines too) and lower-cased. */
export function sanitizeEmail(email: string): string {
  // A loop rather than `/^\s+|\s+$/g`, whose second branch is quadratic on long inner whitespace.
  let start = 0;
  let end = email.length;
  while (start < end && IS_WHITESPACE.test(email[start]!)) start++;
  while (end > start && IS_WHITESPACE.test(email[end - 1]!)) end--;
  return email.slice(start, end).toLowerCase();
}
