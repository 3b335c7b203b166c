import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { quoted } from './text.js';

/** One entry of `PHOENIX_ADMINS`: an admin account created at start-up. */
export interface AdminAccount {
  readonly username: string;
  readonly email: string;
}

/** Syntax only, no deliverability check, like Phoenix's validator. */
const emailAddress = z.email();

export interface AdminsParseResult {
  readonly admins: AdminAccount[];
  /** Every problem found, each a complete message. */
  readonly problems: string[];
}

/**
 * Parses `username=email;username=email` without stopping at the first problem.
 *
 * Pairs are split on `;` and inside a pair at the LAST `=`, so usernames may contain `=` and `,`
 * (a `;` cannot be part of a username). Names and emails are trimmed, emails lower-cased and
 * validated; empty pairs are skipped.
 */
export function collectAdmins(raw: string | undefined, variable = 'PHOENIX_ADMINS'): AdminsParseResult {
  const admins: AdminAccount[] = [];
  const problems: string[] = [];
  if (raw === undefined || raw.trim() === '') return { admins, problems };

  const usernames = new Set<string>();
  const emails = new Set<string>();
  for (const part of raw.split(';')) {
    const pair = part.trim();
    if (pair === '') continue;
    const separator = pair.lastIndexOf('=');
    const username = separator === -1 ? '' : pair.slice(0, separator).trim();
    // An empty username is rejected as a format error too: Phoenix would create a nameless account.
    if (separator === -1 || username === '') {
      problems.push(`Invalid format in ${variable}: ${quoted(pair)}. Expected format: 'username=email'`);
      continue;
    }
    const email = pair
      .slice(separator + 1)
      .trim()
      .toLowerCase();
    if (!emailAddress.safeParse(email).success) {
      problems.push(`Invalid email in ${variable}: ${quoted(email)}`);
      continue;
    }
    let duplicate = false;
    if (usernames.has(username)) {
      problems.push(`Duplicate username in ${variable}: ${quoted(username)}`);
      duplicate = true;
    }
    if (emails.has(email)) {
      problems.push(`Duplicate email in ${variable}: ${quoted(email)}`);
      duplicate = true;
    }
    if (duplicate) continue;
    usernames.add(username);
    emails.add(email);
    admins.push({ username, email });
  }
  return { admins, problems };
}

/**
 * Parses `PHOENIX_ADMINS` (see `collectAdmins`). Throws one `ConfigError` listing every problem.
 * `variable` is the name used in messages, for deployments with another prefix.
 */
export function parseAdmins(raw: string | undefined, variable = 'PHOENIX_ADMINS'): AdminAccount[] {
  const { admins, problems } = collectAdmins(raw, variable);
  if (problems.length > 0) throw new ConfigError(problems.map((message) => ({ variable, message })));
  return admins;
}
