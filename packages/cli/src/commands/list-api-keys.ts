import type { ApiKeyKind, ApiKeyWithOwner } from '@gatehouse-auth/core';
import { apiKeyJson, toGlobalId } from '@gatehouse-auth/core/internal';
import { parseOptions } from '../args.js';
import { loadEnvironment } from '../environment.js';
import { printJson } from '../io.js';
import { withServices } from '../services.js';
import type { Command } from './command.js';
import { table } from './table.js';

const PAGE = 1000;

/** Which configured secret a key was signed with, as far as its recorded fingerprint tells. */
export type KeySecret =
  | { readonly status: 'current' }
  | { readonly status: 'previous'; readonly position: number }
  /** Signed by a secret that is no longer configured: the key already fails. */
  | { readonly status: 'retired' }
  /** Created before fingerprints were recorded. */
  | { readonly status: 'unknown' };

export function keySecret(secretId: string | null, current: string, previous: readonly string[]): KeySecret {
  if (secretId === null) return { status: 'unknown' };
  if (secretId === current) return { status: 'current' };
  const index = previous.indexOf(secretId);
  return index === -1 ? { status: 'retired' } : { status: 'previous', position: index + 1 };
}

function describe(secret: KeySecret): string {
  switch (secret.status) {
    case 'current':
      return 'current';
    case 'previous':
      return `previous #${secret.position}`;
    case 'retired':
      return 'retired (already invalid)';
    case 'unknown':
      return 'not recorded';
  }
}

export const listApiKeysCommand: Command = {
  name: 'list-api-keys',
  synopsis: 'list-api-keys [--old-secrets] [--json]',
  summary:
    'List API keys (user and system) with the secret that signed each; --old-secrets: only those not signed by PHOENIX_SECRET',
  help: [
    'Lists every API key, newest first, with which secret signed it: "current" (PHOENIX_SECRET),',
    '"previous #N" (entry N of GATEHOUSE_PREVIOUS_SECRETS: the key stops working when that entry is',
    'removed), "retired" (its secret is configured no more: the key already fails) or "not recorded"',
    '(created before Gatehouse recorded it: assume the secret in use at the time). Never prints a key.',
    '',
    '  --old-secrets  only the keys that retiring a previous secret would break (previous, not recorded)',
    '  --json         one JSON object on stdout: {"ok":true,"current":..,"previous":[..],"keys":[..]}',
  ].join('\n'),
  async run(args, ctx) {
    const values = parseOptions(args, { 'old-secrets': { type: 'boolean' }, json: { type: 'boolean' } });
    const env = loadEnvironment(ctx);
    return withServices(ctx, env, { signs: true }, async (services) => {
      const { keyId, previousKeyIds } = services.deps.tokens;
      const keys: ApiKeyWithOwner[] = [];
      for (const kind of ['user', 'system'] as const satisfies readonly ApiKeyKind[]) {
        let beforeId: number | null = null;
        for (;;) {
          const page: ApiKeyWithOwner[] = await services.deps.store.listApiKeys({ kind, beforeId, limit: PAGE });
          keys.push(...page);
          if (page.length < PAGE) break;
          beforeId = page[page.length - 1]?.id ?? null;
        }
      }
      keys.sort((a, b) => b.createdAt - a.createdAt || b.id - a.id);
      const rows = keys
        .map((key) => ({ key, secret: keySecret(key.secretId, keyId, previousKeyIds) }))
        .filter(
          ({ secret }) => values['old-secrets'] !== true || secret.status === 'previous' || secret.status === 'unknown',
        );

      if (values.json === true) {
        printJson(ctx, {
          ok: true,
          current: keyId,
          previous: previousKeyIds,
          keys: rows.map(({ key, secret }) => ({
            ...apiKeyJson(key),
            kind: key.kind,
            secret_id: key.secretId,
            secret,
          })),
        });
        return 0;
      }
      if (rows.length === 0) {
        ctx.out(values['old-secrets'] === true ? 'no API key depends on a previous secret' : 'no API keys');
        return 0;
      }
      const lines = rows.map(({ key, secret }) => [
        toGlobalId(key.kind === 'system' ? 'SystemApiKey' : 'UserApiKey', key.id),
        key.kind,
        key.kind === 'system' ? '(system)' : key.owner.email,
        key.name,
        describe(secret),
      ]);
      for (const line of table([['ID', 'KIND', 'OWNER', 'NAME', 'SECRET'], ...lines])) ctx.out(line);
      return 0;
    });
  },
};
