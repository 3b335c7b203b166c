/**
 * @module
 * `@gatehouse-auth/cli` as a library: `run(argv, io)` runs one `gatehouse` command in-process and
 * resolves to its exit code (`EXIT`). The `gatehouse` binary (src/cli.ts) is this with the process's
 * own arguments and streams. See docs/cli.md.
 */
export { run, EXIT } from './run.js';
export type { CliIo, Writable, Env } from './io.js';
