/**
 * Whitespace as Phoenix understands it (Python's `str.isspace`, also what its `\s` matches):
 * JavaScript's `\s` minus U+FEFF, plus the ASCII separators U+001C–U+001F and NEL (U+0085).
 * Matching it exactly keeps "which message does this input get" identical across ports.
 */
export const WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

export const HAS_WHITESPACE = new RegExp(`[${WHITESPACE_CLASS}]`);
export const IS_WHITESPACE = new RegExp(`^[${WHITESPACE_CLASS}]$`);
