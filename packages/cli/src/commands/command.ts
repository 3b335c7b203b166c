import type { Context } from '../io.js';

/** One subcommand: its help text and its body, which parses its own arguments. */
export interface Command {
  readonly name: string;
  /** The line in the command list: `name [options]`. */
  readonly synopsis: string;
  readonly summary: string;
  /** Shown by `gatehouse <command> --help`, after the synopsis. */
  readonly help: string;
  /** The exit code; throws UsageError (exit 2) or an operation failure (exit 1). */
  run(args: readonly string[], ctx: Context): Promise<number>;
}
