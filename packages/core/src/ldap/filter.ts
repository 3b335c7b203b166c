/**
 * Search-filter templating (docs/phoenix-contract.md#ldap-filter): every `%s` is replaced by the value with the five
 * RFC 4515 specials escaped. The result is passed to the directory as a string filter; the
 * template itself is the administrator's and is not rewritten.
 */
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\5c', '*': '\\2a', '(': '\\28', ')': '\\29', '\0': '\\00' };

// eslint-disable-next-line no-control-regex -- NUL is one of the characters that must be escaped
const SPECIAL = /[\\*()\u0000]/g;

export function escapeFilterValue(value: string): string {
  return value.replace(SPECIAL, (char) => ESCAPES[char]!);
}

/** The template with every `%s` replaced by the escaped value (no other `%` sequence is special). */
export function fillFilter(template: string, value: string): string {
  return template.split('%s').join(escapeFilterValue(value));
}
