import { isGatehouseError, type ConfigIssue } from '@gatehouse-auth/core';
import { HelpRequested, UsageError } from './args.js';
import type { Command } from './commands/command.js';
import { checkEnv } from './commands/check-env.js';
import { createSystemKey } from './commands/create-system-key.js';
import { explainClaims } from './commands/explain-claims.js';
import { listUsersCommand } from './commands/list-users.js';
import { auditCommand } from './commands/audit.js';
import { resetPassword } from './commands/reset-password.js';
import { revokeSessions } from './commands/revoke-sessions.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { listApiKeysCommand } from './commands/list-api-keys.js';
import { contextOf, printJson, type CliIo, type Context } from './io.js';
import { cliVersion } from './version.js';

export const COMMANDS: readonly Command[] = [
  checkEnv,
  explainClaims,
  resetPassword,
  createSystemKey,
  listUsersCommand,
  listApiKeysCommand,
  revokeSessions,
  auditCommand,
];

/** Exit codes: 0 done, 1 the operation failed (bad environment, not found, refused), 2 a wrong command line. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2 });

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  return [
    'Usage: gatehouse <command> [options]',
    '       gatehouse --env-file FILE <command> [options]',
    '       gatehouse --version',
    '',
    "Works on a Gatehouse server's environment and database: run it with the server's environment",
    '(PHOENIX_*, PHOENIX_WORKING_DIR or PHOENIX_SQL_DATABASE_URL, GATEHOUSE_REDIS_URL) in its directory.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
    "Run 'gatehouse <command> --help' for its options. Every command takes --json.",
    '--env-file FILE reads variables from a dotenv file first (as node --env-file: the environment wins).',
    'Exit codes: 0 ok, 1 the operation failed, 2 usage error.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [`Usage: gatehouse ${command.synopsis}`, '', command.summary, '', command.help].join('\n');
}

function configIssues(error: unknown): readonly ConfigIssue[] | null {
  if (!isGatehouseError(error) || error.code !== 'config_invalid') return null;
  const issues = (error as { issues?: unknown }).issues;
  return Array.isArray(issues) ? (issues as ConfigIssue[]) : null;
}

/** `error: …` on stderr, and with --json the same as one object on stdout. No stack: these are expected. */
function reportFailure(ctx: Context, error: unknown, json: boolean): number {
  const issues = configIssues(error);
  const code = isGatehouseError(error) ? error.code : 'internal';
  let message: string;
  if (issues !== null) {
    message = `the environment has ${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    ctx.err(`error: ${message}:`);
    for (const issue of issues) ctx.err(`  - ${issue.variable}: ${issue.message}`);
  } else {
    message = error instanceof Error ? error.message : String(error);
    ctx.err(`error: ${message}`);
  }
  if (json) {
    printJson(ctx, {
      ok: false,
      error: { code, message },
      ...(issues === null
        ? {}
        : { issues: issues.map((issue) => ({ variable: issue.variable, message: issue.message })) }),
    });
  }
  return EXIT.failure;
}

/**
 * Runs one `gatehouse` command line (without the `node` and script arguments) and resolves to its
 * exit code. Never throws and never calls `process.exit`: tests and embedding scripts call it in-process.
 *
 * @example
 * ```ts
 * const code = await run(['list-users', '--json'], { stdout: process.stdout, stderr: process.stderr });
 * process.exitCode = code;
 * ```
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let ctx = contextOf(io);
  let args = argv;
  if (args[0] === '--version' || args[0] === '-v' || args[0] === 'version') {
    ctx.out(`gatehouse ${cliVersion()}`);
    return EXIT.ok;
  }
  if (args[0] === '--env-file' || args[0]?.startsWith('--env-file=')) {
    const inline = args[0].startsWith('--env-file=') ? args[0].slice('--env-file='.length) : undefined;
    const file = inline ?? args[1];
    args = args.slice(inline === undefined ? 2 : 1);
    if (!file) {
      ctx.err(`error: --env-file needs a file\n\n${overview()}`);
      return EXIT.usage;
    }
    let text: string;
    try {
      text = readFileSync(resolve(ctx.cwd, file), 'utf8');
    } catch (error) {
      ctx.err(`error: cannot read --env-file ${file}: ${error instanceof Error ? error.message : String(error)}`);
      return EXIT.failure;
    }
    // As node --env-file does: a variable already in the environment keeps its value.
    ctx = { ...ctx, env: { ...parseEnv(text), ...ctx.env } };
  }
  const [name, ...rest] = args;
  if (name === undefined) {
    ctx.err(overview());
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = COMMANDS.find((candidate) => candidate.name === topic);
    if (topic !== undefined && command === undefined) {
      ctx.err(`error: unknown command '${topic}'\n\n${overview()}`);
      return EXIT.usage;
    }
    ctx.out(command ? commandHelp(command) : overview());
    return EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    ctx.err(`error: unknown command '${name}'\n\n${overview()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, ctx);
  } catch (error) {
    if (error instanceof HelpRequested) {
      ctx.out(commandHelp(command));
      return EXIT.ok;
    }
    if (error instanceof UsageError) {
      ctx.err(`error: ${error.message}\n\n${commandHelp(command)}`);
      return EXIT.usage;
    }
    return reportFailure(ctx, error, rest.includes('--json'));
  }
}
