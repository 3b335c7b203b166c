import type { Authenticator } from './http/authenticate.js';
import type { ServiceDeps } from './services/index.js';

/**
 * What `createGatehouse` built behind the public object, for Gatehouse's own packages (the CLI
 * runs the services directly) and tests. Not on the `Gatehouse` type: an application uses its methods.
 * All three are null while auth is off.
 */
export interface GatehouseInternals {
  readonly deps: ServiceDeps | null;
  readonly authenticator: Authenticator | null;
  /** The system user the admin secret acts as. */
  readonly systemUserId: number | null;
}

// A registered symbol, so a second copy of core (the CJS and ESM builds) finds what the first attached.
const INTERNALS = Symbol.for('@gatehouse-auth/core/internals');

export function attachInternals<T extends object>(gatehouse: T, internals: GatehouseInternals): T {
  Object.defineProperty(gatehouse, INTERNALS, { value: Object.freeze({ ...internals }) });
  return gatehouse;
}

/** The internals of a Gatehouse made by `createGatehouse` (`@gatehouse-auth/core/internal`; no semver promise). */
export function internalsOf(gatehouse: object): GatehouseInternals {
  const internals = (gatehouse as Record<symbol, GatehouseInternals | undefined>)[INTERNALS];
  if (internals === undefined) throw new TypeError('internalsOf: not a Gatehouse made by createGatehouse');
  return internals;
}
