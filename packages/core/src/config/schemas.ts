import { z } from 'zod';
import { compilePath, jmespathSyntaxMessage, type CompiledPath } from './jmespath-path.js';
import { shown } from './text.js';

/** A variable as read from the environment: trimmed, or undefined when unset. */
export type Raw = string | undefined;
export type RawSchema<T> = z.ZodType<T, Raw>;

/** What a variable parses to when it is invalid; cross-field rules skip such variables. */
export const INVALID: unique symbol = Symbol('gatehouse.config.invalid');
export type Field<T> = T | typeof INVALID;

/**
 * Runs one variable's schema and re-reports its issues as continuable. Zod skips refinements
 * after an aborting issue, and a single bad variable must not hide the combination rules of
 * the others: every problem is reported in one pass.
 */
export function field<T>(schema: RawSchema<T>): z.ZodType<Field<T>, Raw> {
  return z
    .string()
    .optional()
    .transform((raw, ctx): Field<T> => {
      const result = schema.safeParse(raw);
      if (result.success) return result.data;
      for (const issue of result.error.issues) {
        ctx.addIssue({ code: 'custom', message: issue.message, continue: true });
      }
      return INVALID;
    });
}

const inputOf = (issue: { input?: unknown }): string => shown(String(issue.input));

/** Exactly `true` or `false`, any case; unset gives the default, anything else (even "") is an error. */
export function booleanVar(variable: string, fallback: boolean): RawSchema<boolean> {
  return z
    .stringbool({
      truthy: ['true'],
      falsy: ['false'],
      case: 'insensitive',
      error: (issue) => `${variable} must be set to TRUE or FALSE (case-insensitive). Got: '${inputOf(issue)}'`,
    })
    .optional()
    .default(fallback);
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * The longest lifetime, about 1,900 years. Beyond it the expiry of a token issued now stops being
 * a date (Phoenix overflows at login) and its epoch seconds stop fitting a JWT `exp`.
 */
const MAX_LIFETIME_MINUTES = 1_000_000_000;

/**
 * Minutes as a finite number > 0 (fractional allowed), e.g. a token lifetime. Lifetimes are kept to
 * the millisecond, so one that rounds to 0 ms would be a token born expired: it counts as 0.
 */
export function positiveMinutes(variable: string, fallback: number): RawSchema<number> {
  const notANumber = (issue: { input?: unknown }) =>
    `Invalid value for environment variable ${variable}: '${inputOf(issue)}'. Value must be a number.`;
  return (
    z
      .string()
      .regex(DECIMAL, { error: notANumber, abort: true })
      // "1e999" is a decimal but not a finite number.
      .refine((text) => Number.isFinite(Number(text)), { error: notANumber })
      .transform(Number)
      .pipe(
        z
          .number()
          .gt(0, {
            error: (issue) =>
              `${variable} must be greater than 0 (a number of minutes; fractions such as 0.5 are allowed). Got: ${inputOf(issue)}`,
            abort: true,
          })
          .refine((minutes) => Math.round(minutes * 60_000) >= 1, {
            error: (issue) =>
              `${variable} must be at least one millisecond (0.0000084 minutes). Got: ${inputOf(issue)}`,
            abort: true,
          })
          .refine((minutes) => minutes <= MAX_LIFETIME_MINUTES, {
            error: (issue) =>
              `${variable} must be at most ${MAX_LIFETIME_MINUTES} minutes (about 1,900 years): a longer lifetime has no representable expiry date. Got: ${inputOf(issue)}`,
          }),
      )
      .optional()
      .default(fallback)
  );
}

/** An integer in [min, max]. */
export function integerVar(variable: string, fallback: number, min: number, max: number): RawSchema<number> {
  const notAnInteger = (issue: { input?: unknown }) =>
    `Invalid value for environment variable ${variable}: '${inputOf(issue)}'. Value must be an integer.`;
  const outOfRange = (issue: { input?: unknown }) =>
    max === Number.MAX_SAFE_INTEGER
      ? `${variable} must be at least ${min}. Got: ${inputOf(issue)}`
      : `${variable} must be between ${min} and ${max}. Got: ${inputOf(issue)}`;
  return z
    .string()
    .regex(INTEGER, { error: notAnInteger })
    .transform(Number)
    .pipe(z.number().int({ error: outOfRange }).min(min, { error: outOfRange }).max(max, { error: outOfRange }))
    .optional()
    .default(fallback);
}

/** A string setting where unset and "" both mean "not configured". */
export function optionalString(): RawSchema<string | null> {
  return z
    .string()
    .optional()
    .transform((value) => (value ? value : null));
}

/**
 * `http://host…` or `https://host…`, kept verbatim. Every URL Gatehouse is configured with is one a
 * browser or an HTTP client fetches: another scheme (`ftp:`, `javascript:`, `file:`) is refused.
 */
export function urlWithHost(
  message: (value: string) => string,
  options: { anyScheme?: boolean } = {},
): z.ZodType<string, string> {
  const error = (issue: { input?: unknown }) => message(String(issue.input));
  // For a caller with a stricter scheme rule of its own (IdP discovery: https except on loopback).
  if (options.anyScheme === true) {
    return z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]/, { error })
      .pipe(z.url({ hostname: /./, error }));
  }
  // One issue per value: a URL of another scheme hears which schemes are accepted.
  const schemeOrShape = (issue: { input?: unknown }) =>
    /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]/.test(String(issue.input))
      ? `${error(issue)} (only http:// and https:// URLs are accepted)`
      : error(issue);
  return z
    .string()
    .regex(/^https?:\/\/[^/?#]/i, { error: schemeOrShape })
    .pipe(z.url({ hostname: /./, error }));
}

/** Hostname of a `scheme://host…` URL, lower-cased; null when it has none. */
export function hostnameOf(value: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) return null;
  try {
    const hostname = new URL(value).hostname.toLowerCase();
    return hostname === '' ? null : hostname;
  } catch {
    return null;
  }
}

/** A JMESPath expression compiled now, so a syntax error stops start-up rather than a login. */
export function jmespathVar(attribute: string): RawSchema<CompiledPath | null> {
  return z
    .string()
    .optional()
    .transform((expression, ctx): CompiledPath | null => {
      if (!expression) return null;
      const compiled = compilePath(expression);
      if (compiled.ok) return compiled.path;
      ctx.addIssue({ code: 'custom', message: jmespathSyntaxMessage(attribute, expression, compiled.reason) });
      return z.NEVER;
    });
}
