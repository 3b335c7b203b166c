import { createRequire } from 'node:module';

/**
 * The CLI's own version, from its package.json (next to `dist/` in the published package and in
 * the workspace alike), so `--version` can never disagree with what npm installed.
 */
export function cliVersion(): string {
  const manifest = createRequire(import.meta.url)('../package.json') as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
