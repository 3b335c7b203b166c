import jmespath from 'jmespath';
import { quoted, shown } from './text.js';

/** A JMESPath expression validated at start-up, evaluated against ID-token / UserInfo claims. */
export interface CompiledPath {
  readonly expression: string;
  /**
   * Never throws: an evaluation-time error (a function applied to a missing claim, an unknown
   * function name) means "claim absent" and yields `undefined`, as in Phoenix.
   */
  evaluate(data: unknown): unknown;
}

// @types/jmespath declares only `search`; jmespath 0.16 also exports `compile`, which parses
// without evaluating — exactly the start-up syntax check we want.
const engine = jmespath as unknown as {
  compile(expression: string): unknown;
  search(data: unknown, expression: string): unknown;
};

export type CompileResult = { ok: true; path: CompiledPath } | { ok: false; reason: string };

export function compilePath(expression: string): CompileResult {
  try {
    engine.compile(expression);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const path: CompiledPath = {
    expression,
    evaluate(data: unknown): unknown {
      try {
        const result = engine.search(data, expression);
        // A field named like an Object.prototype member ("constructor") resolves to a function
        // in jmespath.js; claims never contain functions, so that is an absent claim.
        return typeof result === 'function' ? undefined : result;
      } catch {
        return undefined;
      }
    },
  };
  return { ok: true, path: Object.freeze(path) };
}

/** The message for an expression that does not compile, with Phoenix's quoting hint. */
export function jmespathSyntaxMessage(attribute: string, expression: string, reason: string): string {
  return (
    `Invalid JMESPath expression in ${attribute}: ${quoted(expression)}. Error: ${shown(reason)}. ` +
    'Hint: Claim keys with special characters (colons, dots, slashes, hyphens) must be enclosed in double quotes. ' +
    `Examples: '"cognito:groups"', '"https://myapp.com/groups"'`
  );
}
