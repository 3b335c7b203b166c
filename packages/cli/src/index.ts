export { run, EXIT } from './run.js';
export type { CliIo, Writable, Env } from './io.js';
