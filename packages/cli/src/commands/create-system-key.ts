import { createSystemApiKey } from '@gatehouse-auth/core';
import { apiKeyJson, toGlobalId } from '@gatehouse-auth/core/internal';
import { parseOptions, required } from '../args.js';
import { loadEnvironment } from '../environment.js';
import { printJson } from '../io.js';
import { withServices } from '../services.js';
import type { Command } from './command.js';

export const createSystemKey: Command = {
  name: 'create-system-key',
  synopsis: 'create-system-key --name N [--expires ISO8601] [--description D] [--json]',
  summary: 'Mint a system API key; the key is printed once',
  help: [
    "Creates a system API key (owned by the system user, role SYSTEM), signed with the server's secret.",
    'The key is printed once and never stored: keep it now.',
    '',
    "  --name N           the key's name",
    '  --expires ISO8601  when it stops working (a date-time without a zone is UTC); default never',
    '  --description D    free text',
    '  --json             one JSON object on stdout: {"ok":true,"apiKey":{id,name,...,key}}',
  ].join('\n'),
  async run(args, ctx) {
    const values = parseOptions(args, {
      name: { type: 'string' },
      expires: { type: 'string' },
      description: { type: 'string' },
      json: { type: 'boolean' },
    });
    const name = required(values.name, '--name');
    const env = loadEnvironment(ctx);
    return withServices(ctx, env, { signs: true }, async (services) => {
      const { record, key } = await createSystemApiKey(
        services.deps,
        services.operator,
        { name, description: values.description, expiresAt: values.expires },
        services.systemUserId,
      );
      const shown = apiKeyJson(record);
      if (values.json === true) {
        printJson(ctx, { ok: true, apiKey: { ...shown, key } });
      } else {
        const expiry =
          record.expiresAt === null ? 'never expires' : `expires ${new Date(record.expiresAt).toISOString()}`;
        ctx.out(`created the system key '${record.name}' (${toGlobalId('SystemApiKey', record.id)}), ${expiry}`);
        ctx.out(`key: ${key}`);
        ctx.out('keep it now: it is not shown again');
      }
      return 0;
    });
  },
};
