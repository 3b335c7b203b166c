/**
 * `@gatehouse-auth/core/server-env`: how a Node server reads its own environment besides the auth
 * variables (listen address, working directory, database URL, Redis, trusted proxies) and where
 * its signing secret comes from when PHOENIX_SECRET is unset. The demo server and the `gatehouse`
 * CLI both use it, so the CLI opens exactly the database and secret a running server uses.
 * Node only (it reads and writes files). A semver promise like the main entry, recorded in
 * test/package/api/core-server-env.api.md.
 */
export {
  readServerSettings,
  SERVER_VARIABLES,
  type DatabaseSettings,
  type ServerEnv,
  type ServerSettings,
} from './server-env/settings.js';
export {
  resolveAuthConfig,
  SECRET_FILE,
  type ResolveAuthConfigOptions,
  type ResolvedAuthConfig,
  type SecretSource,
} from './server-env/auth-config.js';
