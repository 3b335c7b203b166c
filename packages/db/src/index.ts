/**
 * @module
 * `@gatehouse-auth/db`: the `AuthStore` on Kysely. `createSqliteStore` (embedded, the default) and
 * `createPostgresStore` migrate on open and pass the one store contract (docs/architecture.md#rule-7);
 * `createPostgresRevocationChannel` carries revocations between instances over LISTEN/NOTIFY. See
 * docs/storage.md.
 */
export { createSqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { createPostgresStore, type PostgresPoolSettings, type PostgresStoreOptions } from './postgres.js';
export {
  createPostgresRevocationChannel,
  type PostgresRevocationChannel,
  type PostgresRevocationChannelOptions,
} from './postgres-revocation-channel.js';
export { createKyselyStore, type KyselyStoreOptions } from './store.js';
export { migrateToLatest, SCHEMA_VERSION, type MigrateOptions, type MigrationOutcome } from './migrations.js';
export { SchemaVersionError } from './errors.js';
export type { GatehouseDatabase, StoreDialect } from './schema.js';
