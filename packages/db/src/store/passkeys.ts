import type { AuthStoreOps } from '@gatehouse-auth/core';
import { toInt, toPasskey, toWebauthnChallenge } from '../rows.js';
import type { Db, Runner, Scope } from './runner.js';

/**
 * @module
 * Operations on passkeys (WebAuthn credentials: public keys and counters, nothing secret) and on
 * the WebAuthn ceremonies waiting for the browser's answer.
 */

type PasskeyOps = Pick<
  AuthStoreOps,
  | 'insertPasskey'
  | 'listPasskeys'
  | 'findPasskeyByCredentialId'
  | 'countPasskeys'
  | 'renamePasskey'
  | 'deletePasskey'
  | 'deletePasskeysOfUser'
  | 'advancePasskeyCounter'
  | 'insertWebauthnChallenge'
  | 'takeWebauthnChallenge'
>;

export function passkeyOps(db: Db, _scope: Scope, { storeCall }: Runner): PasskeyOps {
  return {
    insertPasskey: (passkey) =>
      storeCall(async () => {
        const row = await db
          .insertInto('webauthn_credentials')
          .values({
            user_id: passkey.userId,
            credential_id: passkey.credentialId,
            public_key: passkey.publicKey,
            counter: passkey.counter,
            transports: JSON.stringify(passkey.transports),
            user_handle: passkey.userHandle,
            name: passkey.name,
            created_at: passkey.createdAt,
            last_used_at: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toPasskey(row);
      }),

    listPasskeys: (userId) =>
      storeCall(async () => {
        const rows = await db
          .selectFrom('webauthn_credentials')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('id')
          .execute();
        return rows.map(toPasskey);
      }),

    findPasskeyByCredentialId: (credentialId) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('webauthn_credentials')
          .selectAll()
          .where('credential_id', '=', credentialId)
          .executeTakeFirst();
        return row ? toPasskey(row) : null;
      }),

    countPasskeys: (userId) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('webauthn_credentials')
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .where('user_id', '=', userId)
          .executeTakeFirstOrThrow();
        return toInt(row.count);
      }),

    renamePasskey: (userId, id, name) =>
      storeCall(async () => {
        const row = await db
          .updateTable('webauthn_credentials')
          .set({ name })
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .returningAll()
          .executeTakeFirst();
        return row ? toPasskey(row) : null;
      }),

    deletePasskey: (userId, id) =>
      storeCall(async () => {
        const result = await db
          .deleteFrom('webauthn_credentials')
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),

    deletePasskeysOfUser: (userId) =>
      storeCall(async () => {
        const result = await db.deleteFrom('webauthn_credentials').where('user_id', '=', userId).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),

    // One conditional UPDATE: a counter that does not move forward (a cloned authenticator, or a
    // racing request with the same counter) changes nothing. 0 -> 0 is allowed: such an authenticator keeps no counter.
    advancePasskeyCounter: (id, counter, now) =>
      storeCall(async () => {
        const result = await db
          .updateTable('webauthn_credentials')
          .set({ counter, last_used_at: now })
          .where('id', '=', id)
          .where('counter', counter === 0 ? '=' : '<', counter)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    insertWebauthnChallenge: (challenge) =>
      storeCall(async () => {
        await db
          .insertInto('webauthn_challenges')
          .values({
            handle_hash: challenge.handleHash,
            purpose: challenge.purpose,
            user_id: challenge.userId,
            challenge: challenge.challenge,
            created_at: challenge.createdAt,
            expires_at: challenge.expiresAt,
          })
          .execute();
      }),

    takeWebauthnChallenge: (handleHash) =>
      storeCall(async () => {
        const row = await db
          .deleteFrom('webauthn_challenges')
          .where('handle_hash', '=', handleHash)
          .returningAll()
          .executeTakeFirst();
        return row ? toWebauthnChallenge(row) : null;
      }),
  };
}
