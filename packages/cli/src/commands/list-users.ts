import { listUsers, type UserRecord } from '@gatehouse-auth/core';
import { toGlobalId, userJson } from '@gatehouse-auth/core/internal';
import { parseOptions } from '../args.js';
import { loadEnvironment } from '../environment.js';
import { printJson } from '../io.js';
import { withServices } from '../services.js';
import type { Command } from './command.js';
import { table } from './table.js';

const PAGE = 1000;

export const listUsersCommand: Command = {
  name: 'list-users',
  synopsis: 'list-users [--json]',
  summary: 'List every user (newest first): id, e-mail, username, role, auth method',
  help: [
    'Lists the users as the API does (GlobalIDs, newest first, the system user left out).',
    '',
    '  --json  one JSON object on stdout: {"ok":true,"users":[...]} in the API\'s user shape',
  ].join('\n'),
  async run(args, ctx) {
    const values = parseOptions(args, { json: { type: 'boolean' } });
    const env = loadEnvironment(ctx);
    return withServices(ctx, env, {}, async (services) => {
      const users: UserRecord[] = [];
      let cursor: number | null = null;
      do {
        const page = await listUsers(services.deps, services.operator, { cursor, limit: PAGE });
        users.push(...page.users);
        cursor = page.nextCursor;
      } while (cursor !== null);

      if (values.json === true) {
        printJson(ctx, { ok: true, users: users.map(userJson) });
        return 0;
      }
      const rows = users.map((user) => [
        toGlobalId('User', user.id),
        user.email,
        user.username,
        user.role,
        user.authMethod,
      ]);
      for (const line of table([['ID', 'EMAIL', 'USERNAME', 'ROLE', 'AUTH'], ...rows])) ctx.out(line);
      return 0;
    });
  },
};
