import type { AuthStoreOps } from '@gatehouse-auth/core';
import { toApiKey, toApiKeyGrant, toApiKeyWithOwner } from '../rows.js';
import type { Db, Runner, Scope } from './runner.js';

/**
 * @module
 * Operations on API keys.
 */

/** API keys (user and system). */
export function apiKeyOps(
  db: Db,
  scope: Scope,
  { storeCall, fast }: Runner,
): Pick<AuthStoreOps, 'insertApiKey' | 'findApiKey' | 'findApiKeyGrant' | 'listApiKeys' | 'deleteApiKey'> {
  return {
    insertApiKey: (key) =>
      storeCall(async () => {
        const row = await db
          .insertInto('api_keys')
          .values({
            user_id: key.userId,
            kind: key.kind,
            name: key.name,
            description: key.description,
            created_at: key.createdAt,
            expires_at: key.expiresAt,
            secret_id: key.secretId ?? null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toApiKey(row);
      }),

    findApiKey: (id) =>
      storeCall(async () => {
        const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? toApiKey(row) : null;
      }),

    findApiKeyGrant: (id) =>
      fast(scope.grantReads && (() => scope.grantReads!.apiKeyGrant(id)), async () => {
        const row = await db
          .selectFrom('api_keys as k')
          .innerJoin('users as u', 'u.id', 'k.user_id')
          .select(['k.id', 'k.user_id', 'k.kind', 'k.expires_at', 'u.role', 'u.username', 'u.email', 'u.auth_method'])
          .where('k.id', '=', id)
          .executeTakeFirst();
        return row ? toApiKeyGrant(row) : null;
      }),

    listApiKeys: (query) =>
      storeCall(async () => {
        let select = db
          .selectFrom('api_keys as k')
          .innerJoin('users as u', 'u.id', 'k.user_id')
          .selectAll('k')
          .select(['u.username as owner_username', 'u.email as owner_email'])
          .where('k.kind', '=', query.kind)
          .orderBy('k.id', 'desc')
          .limit(query.limit);
        if (query.userId !== undefined) select = select.where('k.user_id', '=', query.userId);
        if (query.beforeId != null) select = select.where('k.id', '<', query.beforeId);
        return (await select.execute()).map(toApiKeyWithOwner);
      }),

    deleteApiKey: (id) =>
      storeCall(async () => {
        const result = await db.deleteFrom('api_keys').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),
  };
}
