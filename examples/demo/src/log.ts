import { inspect } from 'node:util';
import type { Logger } from '@gatehouse-auth/core';

function fields(values: Record<string, unknown> | undefined): string {
  if (values === undefined || Object.keys(values).length === 0) return '';
  return ` ${inspect(values, { breakLength: Number.POSITIVE_INFINITY, compact: true, depth: 4 })}`;
}

/**
 * One line per event on stderr. Gatehouse's info events (bootstrap, and so on) are left out: the
 * start-up line already says what a user of the demo needs to know.
 */
export const logger: Logger = {
  info() {},
  warn(message, values) {
    console.warn(`warn: ${message}${fields(values)}`);
  },
  error(message, values) {
    console.error(`error: ${message}${fields(values)}`);
  },
};
