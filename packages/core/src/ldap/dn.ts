/**
 * Distinguished names (RFC 4514) as Phoenix's directory client reads them (docs/phoenix-contract.md#ldap-dn):
 * a strict check for configured DNs and a canonical form for comparing group DNs. Hand-written
 * because a library's own DN equality has other rules (it decodes hex escapes, or compares raw).
 */

interface Rdn {
  type: string;
  value: string;
}

const TYPE = /^[A-Za-z][A-Za-z0-9-]*$/;
// Characters that must be backslash-escaped inside a value (plus NUL).
const SPECIALS = new Set(['"', '#', '+', ',', ';', '<', '=', '>', '\0']);

/**
 * Splits a DN into RDNs of `type=value` parts, keeping escapes as written. `strict`: the type must
 * be a name (no numeric OID), the value non-empty, specials escaped and no unescaped edge spaces;
 * lenient mode trims around separators and tolerates bare specials (the canonical form's parser).
 * Null when the text is not a DN under those rules.
 */
function parse(dn: string, strict: boolean): Rdn[][] | null {
  const rdns: Rdn[][] = [];
  let current: Rdn[] = [];
  let i = 0;
  const n = dn.length;
  for (;;) {
    // type
    let start = i;
    while (i < n && dn[i] !== '=') i++;
    if (i >= n) return null;
    let type = dn.slice(start, i);
    if (!strict) type = type.trim();
    if (!TYPE.test(type)) return null;
    i++; // '='
    // value, up to an unescaped ',' or '+'
    start = i;
    let value = '';
    while (i < n) {
      const char = dn[i]!;
      if (char === '\\') {
        const next = dn[i + 1];
        if (next === undefined) return null;
        const hex = dn.slice(i + 1, i + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          value += `\\${hex}`;
          i += 3;
        } else {
          value += `\\${next}`;
          i += 2;
        }
        continue;
      }
      if (char === ',' || char === '+') break;
      if (SPECIALS.has(char) && !(char === '#' && i > start)) {
        if (strict) return null;
        value += `\\${char}`;
        i++;
        continue;
      }
      value += char;
      i++;
    }
    if (strict) {
      if (value === '' || value.startsWith(' ') || (value.endsWith(' ') && !value.endsWith('\\ '))) return null;
    } else {
      value = value.trim();
      if (value === '') return null;
    }
    current.push({ type, value });
    if (i >= n) {
      rdns.push(current);
      return rdns;
    }
    const separator = dn[i];
    i++;
    if (separator === ',') {
      rdns.push(current);
      current = [];
    }
    if (i >= n) return null; // a trailing separator
  }
}

/** Whether a configured DN is acceptable: `""` (the root DSE) or a DN written by the rules. */
export function isValidDn(dn: string): boolean {
  return dn === '' || parse(dn, true) !== null;
}

/**
 * The form two DNs are compared in: spaces around separators dropped, type and value lower-cased,
 * the parts of a multi-valued RDN sorted. Escapes stay as written (lower-cased): `\2c` and `\,` differ.
 * Null when the text cannot be read as a DN.
 */
export function canonicalDn(dn: string): string | null {
  if (dn.trim() === '') return '';
  const rdns = parse(dn, false);
  if (rdns === null) return null;
  return rdns
    .map((parts) =>
      parts
        .map((part) => ({ type: part.type.toLowerCase(), value: part.value.toLowerCase() }))
        .sort((a, b) => (a.type === b.type ? cmp(a.value, b.value) : cmp(a.type, b.type)))
        .map((part) => `${part.type}=${part.value}`)
        .join('+'),
    )
    .join(',');
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
