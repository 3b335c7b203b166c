import {
  readServerSettings,
  resolveAuthConfig,
  type ResolvedAuthConfig,
  type ServerSettings,
} from '@gatehouse-auth/core/server-env';
import type { Context } from './io.js';

export interface ServerEnvironment extends ResolvedAuthConfig {
  readonly settings: ServerSettings;
}

/**
 * The server's settings and auth configuration from the environment, read as the server reads them
 * (`@gatehouse-auth/core/server-env`); a ConfigError lists every problem. The CLI never writes the
 * secret file: without one the source is `pending` (see `resolveAuthConfig`).
 */
export function loadEnvironment(ctx: Context): ServerEnvironment {
  const { settings, issues } = readServerSettings(ctx.env, ctx.cwd);
  return { settings, ...resolveAuthConfig(ctx.env, settings.workingDir, issues, { createSecretFile: false }) };
}
