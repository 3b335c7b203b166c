import type { AuthConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';

/** What `mountProblem` needs of a `Gatehouse`. */
export interface MountedGatehouse {
  readonly config: Pick<AuthConfig, 'prefix' | 'rootPath'>;
  readonly paths: readonly string[];
}

/**
 * Whether Gatehouse's routes can be reached when a framework mounts them under `mountPath`
 * (`app.use('/api', gatehouse(gh))`, Fastify's `prefix`, Hono's `route('/api', …)`), or the
 * error that says what to set instead. Gatehouse's routes carry the root path themselves
 * (`PHOENIX_HOST_ROOT_PATH`): the adapters hand core the full path from the server's root, so the
 * gate decides on the concrete path whatever the mount, and public URLs, cookie paths and
 * redirects all come from that one setting. A mount works exactly when some of Gatehouse's paths lie
 * under it (`/api` with the root path `/api`, or `/auth` to serve the auth routes only); under any
 * other prefix every one of them would be a 404, so it is refused.
 */
export function mountProblem(gh: MountedGatehouse, mountPath: string): ConfigError | null {
  const mount = mountPath.replace(/\/+$/, '');
  if (mount === '') return null;
  const below = `${mount}/`;
  for (const path of gh.paths) if (path === mount || path.startsWith(below)) return null;
  const variable = `${gh.config.prefix}HOST_ROOT_PATH`;
  const now = gh.config.rootPath === '' ? 'unset (the server root)' : `'${gh.config.rootPath}'`;
  return new ConfigError([
    {
      variable,
      message:
        `Gatehouse's routes are mounted under '${mount}', but ${variable} is ${now}, so none of them would answer there. ` +
        `Set ${variable}=${mount} (its routes, cookies and links then live under ${mount}), or mount Gatehouse at the root.`,
    },
  ]);
}
