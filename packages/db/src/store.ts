import type { AuthStore, AuthStoreOps } from '@gatehouse-auth/core';
import { apiKeyOps } from './store/api-keys.js';
import { auditEventOps } from './store/audit-events.js';
import { oidcLogoutOps } from './store/oidc-logout.js';
import { mfaOps } from './store/mfa.js';
import { passkeyOps } from './store/passkeys.js';
import { passwordResetOps } from './store/password-resets.js';
import { type Db, type GrantReads, type Scope, closedError, runnerOn, transactionOn } from './store/runner.js';
import { sessionOps } from './store/sessions.js';
import { sweepOps } from './store/sweep.js';
import { userOps } from './store/users.js';
import type { StoreDialect } from './schema.js';

/**
 * @module
 * The `AuthStore` over Kysely, shared by SQLite and PostgreSQL. Its operations live in `store/`,
 * one file per group of `AuthStoreOps` (users, sessions and tokens, OIDC logout, API keys, password resets, passkeys, the
 * sweep, the audit table); this file puts them together and adds transactions and `close()`.
 */

export { grantQueries, type GrantReads } from './store/runner.js';

function opsOn(db: Db, scope: Scope): AuthStoreOps {
  const runner = runnerOn(db, scope);
  return {
    ...userOps(db, scope, runner),
    ...sessionOps(db, scope, runner),
    ...oidcLogoutOps(db, scope, runner),
    ...apiKeyOps(db, scope, runner),
    ...passwordResetOps(db, scope, runner),
    ...mfaOps(db, scope, runner),
    ...passkeyOps(db, scope, runner),
    ...sweepOps(db, scope, runner),
  };
}

export interface KyselyStoreOptions {
  dialect: StoreDialect;
  /** Driver-level reads for the authentication miss path (see {@link GrantReads}); Kysely otherwise. */
  grantReads?: GrantReads;
  /** Called once by `close()`, after the store stops accepting calls (e.g. destroy the Kysely). */
  onClose?: () => Promise<void>;
  /** `AuthStore.description`: the backend and where, never a credential. */
  description?: string;
}

/**
 * The `AuthStore` over a migrated Kysely instance. On SQLite every call shares one connection, so
 * a transaction holds it until it ends: inside `transaction(fn)`, use only the `tx` handed to
 * `fn` (calling the store itself there would wait for the transaction, forever).
 */
export function createKyselyStore(db: Db, options: KyselyStoreOptions): AuthStore {
  let closed = false;
  let closing: Promise<void> | undefined;
  const isClosed = () => closed;
  const ops = opsOn(db, {
    dialect: options.dialect,
    inTransaction: false,
    isClosed,
    ...(options.grantReads ? { grantReads: options.grantReads } : {}),
  });

  return {
    ...ops,
    ...auditEventOps(db, { dialect: options.dialect, inTransaction: false, isClosed }),
    ...(options.description === undefined ? {} : { description: options.description }),

    async transaction<T>(fn: (tx: AuthStoreOps) => Promise<T>): Promise<T> {
      if (closed) throw closedError();
      return transactionOn(db, (trx) => fn(opsOn(trx, { dialect: options.dialect, inTransaction: true, isClosed })));
    },

    close(): Promise<void> {
      closed = true;
      closing ??= options.onClose?.() ?? Promise.resolve();
      return closing;
    },
  };
}
