import type { Logger } from '../services/deps.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface StderrLoggerOptions {
  /**
   * The least severe level written. Default `info`: Gatehouse logs at `info` only at start-up and
   * on reconnects, never per request, so the default shows what was set up plus every warning and error.
   */
  level?: LogLevel;
  /** Where each line goes (default `process.stderr`); one call per line, the newline included. */
  write?: (line: string) => void;
  /** Epoch ms of each line (default `Date.now`). */
  now?: () => number;
}

const SEVERITY: Record<LogLevel, number> = { info: 0, warn: 1, error: 2 };

// Field names that may hold a credential: redacted whatever a caller passes, as a second line of defence.
const SECRET_FIELD = /pass(word)?|secret|token|authorization|cookie|api_?key|credential/i;

const REDACTED = '[redacted]';

/** What of an error is safe to print: never its own enumerable fields, which may carry a request. */
function describeError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

function clean(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_FIELD.test(key)) out[key] = REDACTED;
    else if (value instanceof Error) out[key] = describeError(value);
    else out[key] = value;
  }
  return out;
}

function serialise(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  } catch {
    // A cycle or a throwing getter in the fields: keep the line, drop the fields.
    return JSON.stringify({ time: record.time, level: record.level, msg: record.msg, fields: 'unserialisable' });
  }
}

/**
 * The default logger: one JSON object per line on stderr (`{"time","level","msg",...fields}`), so
 * a log shipper reads it as is and a multi-line value can never forge a second entry. Fields named
 * like a credential are redacted. Pass `silentLogger` to `createGatehouse` to log nothing.
 */
export function createStderrLogger(options: StderrLoggerOptions = {}): Logger {
  const least = SEVERITY[options.level ?? 'info'];
  if (least === undefined)
    throw new TypeError(`createStderrLogger: level must be info, warn or error, got ${String(options.level)}`);
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? Date.now;
  const log = (level: LogLevel) => {
    if (SEVERITY[level] < least) return () => {};
    return (message: string, fields?: Record<string, unknown>): void => {
      const record = { time: new Date(now()).toISOString(), level, msg: message, ...(fields ? clean(fields) : {}) };
      write(`${serialise(record)}\n`);
    };
  };
  return Object.freeze({ info: log('info'), warn: log('warn'), error: log('error') });
}
