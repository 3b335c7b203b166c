import { logoutUser } from '@gatehouse-auth/core';
import { toGlobalId, userJson } from '@gatehouse-auth/core/internal';
import { parseOptions, required } from '../args.js';
import { loadEnvironment } from '../environment.js';
import { printJson } from '../io.js';
import { withServices } from '../services.js';
import { revocationNotes, userByEmail } from '../users.js';
import type { Command } from './command.js';

export const revokeSessions: Command = {
  name: 'revoke-sessions',
  synopsis: 'revoke-sessions --email E [--json]',
  summary: 'End every session of a user (logout everywhere); their API keys stay valid',
  help: [
    'Deletes every session of the user, with its access and refresh tokens, and tells running servers',
    'through the revocation channel (Redis or PostgreSQL NOTIFY) when there is one.',
    '',
    '  --email E  the account',
    '  --json     one JSON object on stdout',
  ].join('\n'),
  async run(args, ctx) {
    const values = parseOptions(args, { email: { type: 'string' }, json: { type: 'boolean' } });
    const email = required(values.email, '--email');
    const env = loadEnvironment(ctx);
    return withServices(ctx, env, {}, async (services) => {
      const user = await userByEmail(services.deps, email);
      await logoutUser(services.deps, user.id);
      services.deps.audit.record({
        type: 'session.ended',
        actor: { kind: 'cli', userId: null },
        subjectUserId: user.id,
        details: { sessionId: null, by: 'admin', reason: 'revoked' },
      });
      if (values.json === true) printJson(ctx, { ok: true, user: userJson(user), revocations: services.fanOut });
      else ctx.out(`ended every session of ${user.email} (${toGlobalId('User', user.id)})`);
      revocationNotes(ctx, services);
      return 0;
    });
  },
};
