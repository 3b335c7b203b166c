import { randomInt } from 'node:crypto';
import { passwordProblems, updateUser } from '@gatehouse-auth/core';
import { toGlobalId, userJson } from '@gatehouse-auth/core/internal';
import { parseOptions, required } from '../args.js';
import { loadEnvironment } from '../environment.js';
import { printJson } from '../io.js';
import { withServices } from '../services.js';
import { revocationNotes, userByEmail } from '../users.js';
import type { Command } from './command.js';

// Letters, digits and '_' (one of the policy's special characters): nothing a shell or a paste mangles.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_';
const GENERATED_LENGTH = 20;

/** About 119 bits, and acceptable under the strong policy too, so it works whatever the server enforces. */
export function generatePassword(): string {
  for (;;) {
    let password = '';
    for (let i = 0; i < GENERATED_LENGTH; i++) password += ALPHABET[randomInt(ALPHABET.length)];
    if (passwordProblems(password, 'strong') === null) return password;
  }
}

export const resetPassword: Command = {
  name: 'reset-password',
  synopsis: 'reset-password --email E [--password P] [--json]',
  summary: "Set a LOCAL user's password (generated unless given), require a new one at next login, end their sessions",
  help: [
    'Sets a temporary password on a LOCAL (e-mail and password) account, as an admin does in the UI:',
    'the user must choose their own at the next login, and every session of theirs ends now.',
    'Without --password one is generated and printed once. The system user cannot be changed.',
    '',
    '  --email E     the account',
    '  --password P  the temporary password (it stays in your shell history: prefer the generated one)',
    '  --json        one JSON object on stdout ("password" only when generated)',
  ].join('\n'),
  async run(args, ctx) {
    const values = parseOptions(args, {
      email: { type: 'string' },
      password: { type: 'string' },
      json: { type: 'boolean' },
    });
    const email = required(values.email, '--email');
    const env = loadEnvironment(ctx);
    return withServices(ctx, env, {}, async (services) => {
      const user = await userByEmail(services.deps, email);
      const generated = values.password === undefined ? generatePassword() : null;
      // The admin path: policy check, argon2id hash, must-reset flag, logout everywhere.
      const updated = await updateUser(services.deps, services.operator, user.id, {
        password: values.password ?? generated,
      });
      if (values.json === true) {
        printJson(ctx, {
          ok: true,
          user: userJson(updated),
          ...(generated === null ? {} : { password: generated }),
          sessionsEnded: true,
          revocations: services.fanOut,
        });
      } else {
        ctx.out(`reset the password of ${updated.email} (${toGlobalId('User', updated.id)})`);
        if (generated !== null) ctx.out(`password: ${generated}`);
        ctx.out('they must choose a new password at their next login; every session of theirs has ended');
      }
      revocationNotes(ctx, services);
      return 0;
    });
  },
};
