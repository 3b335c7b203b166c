import { resolveAuthConfig, type ResolvedAuthConfig } from './auth-config.js';
import type { Context } from './io.js';
import { readServerSettings, type ServerSettings } from './settings.js';

export interface ServerEnvironment extends ResolvedAuthConfig {
  readonly settings: ServerSettings;
}

/** The server's settings and auth configuration from the environment; a ConfigError lists every problem. */
export function loadEnvironment(ctx: Context): ServerEnvironment {
  const { settings, issues } = readServerSettings(ctx.env, ctx.cwd);
  return { settings, ...resolveAuthConfig(ctx.env, settings.workingDir, issues) };
}
