import type { Gatehouse, GuardResult, Role } from '@gatehouse/core';
import type { Context, MiddlewareHandler } from 'hono';

/** What `authenticate` leaves on the context: `c.get('principal')`. */
export interface GatehouseVariables {
  principal: Extract<GuardResult, { ok: true }>['principal'];
}

export interface GatehouseEnv {
  Variables: GatehouseVariables;
}

export interface HonoAdapterOptions {
  /**
   * The socket peer address, for rate limits and the trusted-proxy check. The default reads
   * `@hono/node-server`'s `c.env.incoming`; on other runtimes pass your platform's way.
   */
  remoteAddress?: (c: Context) => string | null | undefined;
}

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string }; headers?: Record<string, string | string[] | undefined> };
}

const nodeRemoteAddress = (c: Context): string | null => (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress ?? null;

/**
 * On `@hono/node-server` the Node request's header object is read directly: `c.req.header()` would
 * make the adapter build a Fetch `Headers` for every request, which costs more than the check itself.
 */
function header(c: Context, name: string): string | null {
  const headers = (c.env as NodeBindings | undefined)?.incoming?.headers;
  if (headers !== undefined) {
    const value = headers[name];
    return typeof value === 'string' ? value : null;
  }
  return c.req.header(name) ?? null;
}

function denied(result: Extract<GuardResult, { ok: false }>): Response {
  return new Response(result.body, { status: result.status, headers: result.headers });
}

/**
 * Serves Gatehouse's own routes (`/auth/*`, `/v1/user`, `/v1/users`, the key routes) and passes
 * every other request on. Hono already holds a Fetch `Request`, so nothing is converted.
 */
export function gatehouse(gh: Gatehouse, options: HonoAdapterOptions = {}): MiddlewareHandler {
  const remoteAddress = options.remoteAddress ?? nodeRemoteAddress;
  return async (c, next) => {
    if (!gh.owns(c.req.path)) return next();
    const response = await gh.handle(c.req.raw, { remoteAddress: remoteAddress(c) });
    if (response) return response;
    return next();
  };
}

/**
 * The gate for your own routes: CSRF, authentication and the REST rule. Mounted on a route
 * (`app.get('/v1/things/:id', authenticate(gh), ...)`) it decides on the route pattern; mounted with
 * a wildcard (`app.use('/v1/*', ...)`) it decides on the concrete path, which matches the same rules.
 */
export function authenticate(gh: Gatehouse): MiddlewareHandler<GatehouseEnv> {
  return async (c, next) => {
    const pattern = c.req.routePath;
    const result = await gh.guard({
      method: c.req.method,
      route: pattern.includes('*') ? c.req.path : pattern,
      authorization: header(c, 'authorization'),
      cookie: header(c, 'cookie'),
      origin: header(c, 'origin'),
      referer: header(c, 'referer'),
      host: header(c, 'host'),
    });
    if (!result.ok) return denied(result);
    c.set('principal', result.principal);
    return next();
  };
}

/** 403 unless the principal `authenticate` found has one of the roles. */
export function requireRole(gh: Gatehouse, roles: readonly Role[]): MiddlewareHandler<GatehouseEnv> {
  return async (c, next) => {
    const principal = c.get('principal') as GatehouseVariables['principal'] | undefined;
    if (principal === undefined) throw new Error('requireRole: mount authenticate before it');
    const result = gh.requireRole(principal, roles);
    if (!result.ok) return denied(result);
    return next();
  };
}
