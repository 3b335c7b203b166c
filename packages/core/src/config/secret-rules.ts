import { joinWithAnd } from './text.js';

/** Phoenix's minimum: 32 characters, also the length of a generated secret. */
export const MIN_SECRET_LENGTH = 32;

/**
 * Checks a signing secret against Phoenix's rules, in Phoenix's order: non-empty,
 * no whitespace, ASCII only; then every failing strength rule (length, a digit, a lower-case
 * letter) in one sentence. Upper-case and special characters are not required.
 *
 * Returns the message, or null when the value is acceptable. The message describes the value's
 * shape only, never the value itself.
 */
export function secretProblems(value: string, subject: string): string | null {
  if (value.length === 0) return `${subject} must be non-empty`;
  // \x1c-\x1f count as whitespace for Phoenix (Python's str.isspace), not for JS's \s.
  // eslint-disable-next-line no-control-regex -- see above
  if (/[\s\x1c-\x1f]/u.test(value)) return `${subject} must not contain whitespace characters`;
  if (/[\u0080-\uffff]/.test(value)) return `${subject} must contain only ASCII characters`;

  const missing: string[] = [];
  if (value.length < MIN_SECRET_LENGTH) missing.push(`must be at least ${MIN_SECRET_LENGTH} characters long`);
  if (!/[0-9]/.test(value)) missing.push('at least one digit');
  if (!/[a-z]/.test(value)) missing.push('at least one lowercase letter');
  if (missing.length === 0) return null;

  // Phoenix prints "Phoenix secret at least one digit" when only the digit is missing;
  // the verb keeps that sentence grammatical without changing the listed items.
  const verb = missing[0]?.startsWith('must') === true ? '' : 'must contain ';
  return `${subject} ${verb}${joinWithAnd(missing)}`;
}
