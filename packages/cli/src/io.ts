/** Anything with `write`: `process.stdout`, or a collector in tests. */
export interface Writable {
  write(chunk: string): unknown;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Where a run reads and writes: the process's own streams and environment unless given. */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Default: `process.env`. */
  readonly env?: Env;
  /** Relative paths (the working directory, `sqlite:///` URLs, `--claims`) resolve from here. Default: `process.cwd()`. */
  readonly cwd?: string;
}

/** What every command receives. */
export interface Context {
  readonly env: Env;
  readonly cwd: string;
  /** One line on stdout. */
  out(line: string): void;
  /** One line on stderr. */
  err(line: string): void;
}

export function contextOf(io: CliIo): Context {
  return {
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    out: (line) => void io.stdout.write(`${line}\n`),
    err: (line) => void io.stderr.write(`${line}\n`),
  };
}

/** `--json` output: one line, so scripts can read it with a single `JSON.parse`. */
export function printJson(ctx: Context, value: Readonly<Record<string, unknown>>): void {
  ctx.out(JSON.stringify(value));
}
