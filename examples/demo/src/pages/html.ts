/**
 * Escaping for the server-rendered pages. Every value that reaches a page goes through `html`,
 * which escapes whatever is not already `SafeHtml`; there is deliberately no `raw()` escape hatch.
 */

/** Markup that is safe to emit as is. Only `html` makes one. */
export class SafeHtml {
  readonly #markup: string;

  constructor(markup: string, _token: typeof BUILDER) {
    this.#markup = markup;
  }

  toString(): string {
    return this.#markup;
  }
}

// Keeps `new SafeHtml(...)` private to this module: nothing else can mint trusted markup.
const BUILDER: unique symbol = Symbol('html');

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an element body or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

export type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(render).join('');
  // `cond && html`...`` leaves false behind: it renders as nothing.
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** A template whose interpolations are escaped, unless they are `SafeHtml` (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out, BUILDER);
}
