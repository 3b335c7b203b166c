import type { AuthStoreOps } from '@gatehouse-auth/core';
import type { UserPatch } from '@gatehouse-auth/core';
import type { Updateable } from 'kysely';
import { toInt, toUser } from '../rows.js';
import type { UsersTable } from '../schema.js';
import { normalizeEmail } from './runner.js';
import type { Db, Runner, Scope } from './runner.js';

/**
 * @module
 * Operations on users (the first group of `AuthStoreOps`).
 */

/** The users table: create, find by every unique key, update, delete, list. */
export function userOps(
  db: Db,
  scope: Scope,
  { bool, storeCall }: Runner,
): Pick<
  AuthStoreOps,
  | 'insertUser'
  | 'findUserById'
  | 'findUserByEmail'
  | 'findUserByUsername'
  | 'findUserByOAuth2Identity'
  | 'findUserByLdapUniqueId'
  | 'findFirstUserByRole'
  | 'countUsersByRole'
  | 'updateUser'
  | 'deleteUser'
  | 'listUsers'
> {
  const findUser = (column: 'id' | 'email' | 'username', value: number | string) =>
    storeCall(async () => {
      const row = await db.selectFrom('users').selectAll().where(column, '=', value).executeTakeFirst();
      return row ? toUser(row) : null;
    });

  return {
    insertUser: (user) =>
      storeCall(async () => {
        const row = await db
          .insertInto('users')
          .values({
            role: user.role,
            username: user.username,
            email: normalizeEmail(user.email),
            auth_method: user.authMethod,
            password_hash: user.passwordHash,
            reset_password: bool(user.resetPassword),
            oauth2_client_id: user.oauth2ClientId ?? null,
            oauth2_user_id: user.oauth2UserId ?? null,
            profile_picture_url: user.profilePictureUrl ?? null,
            ldap_unique_id: user.ldapUniqueId ?? null,
            created_at: user.createdAt,
            updated_at: user.createdAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toUser(row);
      }),

    findUserById: (id) => findUser('id', id),
    findUserByEmail: (email) => findUser('email', normalizeEmail(email)),
    findUserByUsername: (username) => findUser('username', username),

    findUserByOAuth2Identity: (clientId, subject) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('users')
          .selectAll()
          .where('oauth2_client_id', '=', clientId)
          .where('oauth2_user_id', '=', subject)
          .executeTakeFirst();
        return row ? toUser(row) : null;
      }),

    findUserByLdapUniqueId: (uniqueId) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('users')
          .selectAll()
          .where('auth_method', '=', 'LDAP')
          .where('ldap_unique_id', '=', uniqueId)
          .executeTakeFirst();
        return row ? toUser(row) : null;
      }),

    findFirstUserByRole: (role) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('users')
          .selectAll()
          .where('role', '=', role)
          .orderBy('id', 'asc')
          .limit(1)
          .executeTakeFirst();
        return row ? toUser(row) : null;
      }),

    countUsersByRole: (role) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .where('role', '=', role)
          .executeTakeFirstOrThrow();
        return toInt(row.count);
      }),

    updateUser: (id, patch) =>
      storeCall(async () => {
        const row = await db
          .updateTable('users')
          .set(userUpdate(patch, bool))
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row ? toUser(row) : null;
      }),

    deleteUser: (id) =>
      storeCall(async () => {
        const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),

    listUsers: (page) =>
      storeCall(async () => {
        let query = db.selectFrom('users').selectAll().orderBy('id', 'desc').limit(page.limit);
        if (page.beforeId != null) query = query.where('id', '<', page.beforeId);
        if (page.excludeRoles && page.excludeRoles.length > 0)
          query = query.where('role', 'not in', [...page.excludeRoles]);
        return (await query.execute()).map(toUser);
      }),
  };
}

function userUpdate(patch: UserPatch, bool: (value: boolean) => number | boolean): Updateable<UsersTable> {
  const set: Updateable<UsersTable> = { updated_at: patch.updatedAt };
  if (patch.username !== undefined) set.username = patch.username;
  if (patch.email !== undefined) set.email = normalizeEmail(patch.email);
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
  if (patch.resetPassword !== undefined) set.reset_password = bool(patch.resetPassword);
  if (patch.oauth2ClientId !== undefined) set.oauth2_client_id = patch.oauth2ClientId;
  if (patch.oauth2UserId !== undefined) set.oauth2_user_id = patch.oauth2UserId;
  if (patch.profilePictureUrl !== undefined) set.profile_picture_url = patch.profilePictureUrl;
  if (patch.ldapUniqueId !== undefined) set.ldap_unique_id = patch.ldapUniqueId;
  return set;
}
