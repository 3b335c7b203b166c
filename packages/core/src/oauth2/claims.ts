import type { IdpConfig } from '../config/index.js';
import { quoted } from '../config/text.js';
import { normalizeGroups, normalizeRoleValue } from './access.js';

/** What an IdP login says about the person, once the claims are checked (docs/phoenix-contract.md#oauth2-claims). */
export interface OAuth2UserInfo {
  /** The `sub` claim, trimmed: with the IdP's client id, the key of the account. */
  readonly subject: string;
  /** Trimmed and lower-cased; deliberately not format-checked, as in Phoenix. */
  readonly email: string;
  readonly username: string | null;
  readonly profilePictureUrl: string | null;
}

export type UserInfoResult =
  | { readonly ok: true; readonly info: OAuth2UserInfo }
  | { readonly ok: false; readonly code: 'missing_email_scope'; readonly reason: string };

function isBlankString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() === '';
}

function hasValue(value: unknown): boolean {
  if (value === null || value === undefined || isBlankString(value)) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/**
 * Drops claims whose value is null, a blank string, or an empty array/object (docs/phoenix-contract.md#oauth2-claims,
 * last bullet). Returns a new object. Top level only: nested values are the JMESPath paths' business.
 */
export function pruneClaims(claims: Readonly<Record<string, unknown>>): Record<string, unknown> {
  // fromEntries defines own properties, so a `__proto__` claim stays a claim, not a prototype.
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => hasValue(value)));
}

/** The e-mail the configured path yields, trimmed, or null when it is not a non-blank string. */
function emailOf(claims: Readonly<Record<string, unknown>>, idp: IdpConfig): string | null {
  const email = idp.emailPath.evaluate(claims);
  return typeof email === 'string' && email.trim() !== '' ? email.trim() : null;
}

/**
 * docs/phoenix-contract.md#oauth2-callback step 11: whether the ID token alone is enough, or UserInfo must be asked.
 * True when the email path yields a non-blank string AND (groups configured → ≥1 normalised group)
 * AND (role path configured → a non-missing role value). A role that exists but maps to nothing
 * still counts: UserInfo would carry the same value.
 */
export function hasSufficientClaims(claims: Readonly<Record<string, unknown>>, idp: IdpConfig): boolean {
  if (emailOf(claims, idp) === null) return false;
  if (idp.groupsPath !== null && normalizeGroups(idp.groupsPath.evaluate(claims)).length === 0) return false;
  if (idp.rolePath !== null && normalizeRoleValue(idp.rolePath.evaluate(claims)) === null) return false;
  return true;
}

/** A trimmed non-blank string, else null: how the optional `name` and `picture` claims are read. */
function optionalText(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function subjectOf(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  // Some IdPs send a numeric sub. Beyond 2^53 JSON parsing has already rounded it, and two
  // people whose ids round alike would share an account, so such a number is refused.
  // Booleans are refused too (Python's isinstance(True, int) would have let `True` through).
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return null;
}

/**
 * docs/phoenix-contract.md#oauth2-claims. `sub`: a string or a safe integer (stringified), trimmed, non-empty. E-mail via
 * `idp.emailPath`: a non-blank string, trimmed and lower-cased. `name` → username and `picture` →
 * profile picture URL when they are non-blank strings (trimmed), otherwise ignored. Every failure
 * is Phoenix's `missing_email_scope`.
 */
export function parseUserInfo(claims: Readonly<Record<string, unknown>>, idp: IdpConfig): UserInfoResult {
  const subject = subjectOf(claims.sub);
  if (subject === null) {
    return {
      ok: false,
      code: 'missing_email_scope',
      reason: `missing or invalid 'sub' claim (expected a non-blank string or an integer, got ${describe(claims.sub)})`,
    };
  }
  const email = emailOf(claims, idp);
  if (email === null) {
    return {
      ok: false,
      code: 'missing_email_scope',
      reason: `missing or invalid e-mail claim at EMAIL_ATTRIBUTE_PATH ${quoted(idp.emailPath.expression)} (expected a non-blank string)`,
    };
  }
  return {
    ok: true,
    info: {
      subject,
      email: email.toLowerCase(),
      username: optionalText(claims.name),
      profilePictureUrl: optionalText(claims.picture),
    },
  };
}

/** The kind of a bad claim, never its value: reasons end up in logs. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a blank string';
  if (typeof value === 'number')
    return Number.isInteger(value) ? 'an integer too large to be exact' : 'a non-integer number';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
