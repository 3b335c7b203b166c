import type { AuthConfig } from '../config/index.js';
import type { AuthStore } from '../ports.js';
import type { Logger } from '../services/index.js';

export interface StartupFacts {
  readonly config: AuthConfig;
  readonly store: AuthStore;
  /** The active REST route preset's name. */
  readonly routePreset: string;
}

/**
 * What `createGatehouse` says once it is up: whether authentication is on, the public URL base and
 * where it comes from, the store and the route preset. Auth off is a warning on every start: every
 * request passes as anonymous, admin-only routes included, which is right for a local tool and
 * wrong for anything reachable.
 */
export function logStartup(logger: Logger, facts: StartupFacts): void {
  const { config } = facts;
  const p = config.prefix;
  if (!config.enabled) {
    logger.warn(
      `gatehouse: authentication is disabled (${p}ENABLE_AUTH is not true): every request is allowed as anonymous, admin-only routes included. Set ${p}ENABLE_AUTH=true to require sign-in.`,
      { variable: `${p}ENABLE_AUTH` },
    );
  }
  logger.info('gatehouse: started', {
    auth: config.enabled ? 'on' : 'off',
    url: config.publicUrl,
    from:
      config.rootUrl !== null ? `${p}ROOT_URL` : `${p}HOST, ${p}PORT and ${p}HOST_ROOT_PATH (${p}ROOT_URL is unset)`,
    rootPath: config.rootPath || '/',
    allowedHosts:
      config.allowedHosts === null ? 'any (GATEHOUSE_ALLOWED_HOSTS=*)' : ['localhost', ...config.allowedHosts],
    store: facts.store.description ?? 'a custom store (AuthStore.description is unset)',
    routePreset: facts.routePreset,
  });
}
