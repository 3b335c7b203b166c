/** Non-secret values are shown in messages up to this many characters. */
const MAX_SHOWN = 64;

/** Control characters escaped as `\uXXXX`, so a hostile or mangled name cannot forge extra log lines. */
export function escaped(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex -- control characters are what gets escaped
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A non-secret value as it may appear in a message: cut to 64 characters and `escaped`. */
export function shown(value: string): string {
  return escaped(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

/** `shown`, in single quotes, the way Phoenix's messages quote values. */
export function quoted(value: string): string {
  return `'${shown(value)}'`;
}

/** `A`, `A and B`, `A, B, and C`. */
export function joinWithAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}`;
}

/** Comma-separated items, trimmed, empty ones dropped (so stray and trailing commas are harmless). */
export function commaItems(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Keeps the first occurrence of every value, in order. */
export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}
