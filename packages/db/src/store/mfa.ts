import type { AuthStoreOps } from '@gatehouse-auth/core';
import { toInt, toMfaChallenge, toTotpFactor } from '../rows.js';
import type { Db, Runner, Scope } from './runner.js';

/**
 * @module
 * Operations on second factors: TOTP factors (their secret sealed by core), recovery-code hashes
 * and the challenges of logins waiting for their second factor.
 */

type MfaOps = Pick<
  AuthStoreOps,
  | 'findTotpFactor'
  | 'putPendingTotpFactor'
  | 'confirmTotpFactor'
  | 'advanceTotpStep'
  | 'updateTotpCiphertext'
  | 'deleteTotpFactor'
  | 'replaceRecoveryCodes'
  | 'useRecoveryCode'
  | 'countUnusedRecoveryCodes'
  | 'deleteRecoveryCodes'
  | 'insertMfaChallenge'
  | 'findMfaChallenge'
  | 'takeMfaChallenge'
  | 'deleteMfaChallengesOfUser'
>;

export function mfaOps(db: Db, _scope: Scope, { storeCall, atomically }: Runner): MfaOps {
  return {
    findTotpFactor: (userId) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('mfa_totp_factors')
          .selectAll()
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return row ? toTotpFactor(row) : null;
      }),

    putPendingTotpFactor: (factor) =>
      storeCall(() =>
        atomically(async (trx) => {
          // A pending row is replaced; a confirmed one survives the DELETE and makes the INSERT a no-op.
          await trx
            .deleteFrom('mfa_totp_factors')
            .where('user_id', '=', factor.userId)
            .where('confirmed_at', 'is', null)
            .execute();
          const inserted = await trx
            .insertInto('mfa_totp_factors')
            .values({
              user_id: factor.userId,
              secret_ciphertext: factor.secretCiphertext,
              created_at: factor.createdAt,
              confirmed_at: null,
              last_used_step: null,
            })
            .onConflict((oc) => oc.column('user_id').doNothing())
            .returning('user_id')
            .executeTakeFirst();
          return inserted !== undefined;
        }),
      ),

    confirmTotpFactor: (userId, step, now) =>
      storeCall(async () => {
        const result = await db
          .updateTable('mfa_totp_factors')
          .set({ confirmed_at: now, last_used_step: step })
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is', null)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    // One conditional UPDATE: of two requests carrying the same code, only one moves the step.
    advanceTotpStep: (userId, step) =>
      storeCall(async () => {
        const result = await db
          .updateTable('mfa_totp_factors')
          .set({ last_used_step: step })
          .where('user_id', '=', userId)
          .where('confirmed_at', 'is not', null)
          .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    updateTotpCiphertext: (userId, secretCiphertext) =>
      storeCall(async () => {
        const result = await db
          .updateTable('mfa_totp_factors')
          .set({ secret_ciphertext: secretCiphertext })
          .where('user_id', '=', userId)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    deleteTotpFactor: (userId) =>
      storeCall(async () => {
        const result = await db.deleteFrom('mfa_totp_factors').where('user_id', '=', userId).executeTakeFirst();
        return result.numDeletedRows > 0n;
      }),

    replaceRecoveryCodes: (userId, codeHashes, now) =>
      storeCall(() =>
        atomically(async (trx) => {
          await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
          if (codeHashes.length === 0) return;
          await trx
            .insertInto('mfa_recovery_codes')
            .values(codeHashes.map((hash) => ({ user_id: userId, code_hash: hash, created_at: now, used_at: null })))
            .execute();
        }),
      ),

    useRecoveryCode: (userId, codeHashes, now) =>
      storeCall(async () => {
        if (codeHashes.length === 0) return false;
        // At most one row matches: the codes are distinct and each hash names one code.
        const result = await db
          .updateTable('mfa_recovery_codes')
          .set({ used_at: now })
          .where('user_id', '=', userId)
          .where('code_hash', 'in', [...codeHashes])
          .where('used_at', 'is', null)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      }),

    countUnusedRecoveryCodes: (userId) =>
      storeCall(async () => {
        const row = await db
          .selectFrom('mfa_recovery_codes')
          .select((eb) => eb.fn.countAll<number | string>().as('count'))
          .where('user_id', '=', userId)
          .where('used_at', 'is', null)
          .executeTakeFirstOrThrow();
        return toInt(row.count);
      }),

    deleteRecoveryCodes: (userId) =>
      storeCall(async () => {
        const result = await db.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),

    insertMfaChallenge: (challenge) =>
      storeCall(async () => {
        const row = await db
          .insertInto('mfa_challenges')
          .values({
            user_id: challenge.userId,
            purpose: challenge.purpose,
            created_at: challenge.createdAt,
            expires_at: challenge.expiresAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toMfaChallenge(row);
      }),

    findMfaChallenge: (id) =>
      storeCall(async () => {
        const row = await db.selectFrom('mfa_challenges').selectAll().where('id', '=', id).executeTakeFirst();
        return row ? toMfaChallenge(row) : null;
      }),

    takeMfaChallenge: (id) =>
      storeCall(async () => {
        const row = await db.deleteFrom('mfa_challenges').where('id', '=', id).returningAll().executeTakeFirst();
        return row ? toMfaChallenge(row) : null;
      }),

    deleteMfaChallengesOfUser: (userId) =>
      storeCall(async () => {
        const result = await db.deleteFrom('mfa_challenges').where('user_id', '=', userId).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),
  };
}
