import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A wrong command line: exit code 2 and the command's usage on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `-h`/`--help` on a command: the dispatcher prints that command's usage and exits 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

type Options = Readonly<Record<string, { readonly type: 'string' | 'boolean' }>>;

/** What strict `parseArgs` yields for single-valued options: each one absent or of its type. */
export type Values<O extends Options> = { readonly [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean };

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** node:util `parseArgs`, strict and without positionals, plus `-h`/`--help`; its errors become `UsageError`. */
export function parseOptions<const O extends Options>(args: readonly string[], options: O): Values<O> {
  const config = {
    args: [...args],
    options: { ...options, ...HELP },
    strict: true,
    allowPositionals: false,
  } satisfies ParseArgsConfig;
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs(config));
  } catch (error) {
    // parseArgs reports every bad command line as a TypeError with an ERR_PARSE_ARGS_* code.
    if (error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError(error.message);
    }
    throw error;
  }
  if (values.help === true) throw new HelpRequested();
  // parseArgs' own result type is lost through the generic options; strict mode guarantees this shape.
  return values as Values<O>;
}

/** A string option that must be given and non-blank. */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required`);
  return value;
}
