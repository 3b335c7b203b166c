/**
 * @module
 * `@gatehouse-auth/hono`: Gatehouse on Hono 4. `gatehouse(gh)` (a middleware) or `mountGatehouse(app, gh)`
 * (registered routes) serves Gatehouse's own routes, `authenticate(gh)` is the gate for yours,
 * `requireRole(roles)` and `principalOf(c)` work after it. The adapter translates; every decision is
 * core's (docs/architecture.md#rule-1).
 */
import type { Gatehouse, GuardInput, GuardResult, GuardedPrincipal, Role } from '@gatehouse-auth/core';
import { adapterMisuse, checkRole, mountProblem, nodeAuthorization } from '@gatehouse-auth/core/adapter-kit';
import type { Context, Handler, MiddlewareHandler } from 'hono';

export type { GuardedPrincipal } from '@gatehouse-auth/core';

/** What `authenticate` leaves on the context: `c.get('principal')` (or `principalOf(c)`). */
export interface GatehouseVariables {
  principal: GuardedPrincipal;
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
  incoming?: {
    url?: string;
    socket?: { remoteAddress?: string };
    headers?: Record<string, string | string[] | undefined>;
    rawHeaders?: string[];
  };
}

const nodeRemoteAddress = (c: Context): string | null =>
  (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress ?? null;
// The target as received on @hono/node-server (the Fetch URL has resolved `..` and `\` already).
const nodeTarget = (c: Context): string | null => (c.env as NodeBindings | undefined)?.incoming?.url ?? null;

const str = (value: string | string[] | undefined): string | null => (typeof value === 'string' ? value : null);

function denied(result: Extract<GuardResult, { ok: false }>): Response {
  return new Response(result.body, { status: result.status, headers: result.headers });
}

/**
 * Serves Gatehouse's own routes (`/auth/*`, `/v1/user`, `/v1/users`, the key routes) and passes
 * every other request on. Hono already holds a Fetch `Request`, so nothing is converted. Use it at
 * the app's root or in a sub-app under `PHOENIX_HOST_ROOT_PATH`; under another prefix the first
 * request throws an error naming that setting.
 *
 * @example
 * ```ts
 * const gh = await createGatehouse({ config: parseAuthEnv(process.env), store });
 * const app = new Hono<GatehouseEnv>();
 * app.use(gatehouse(gh));
 * ```
 */
export function gatehouse(gh: Gatehouse, options: HonoAdapterOptions = {}): MiddlewareHandler {
  const remoteAddress = options.remoteAddress ?? nodeRemoteAddress;
  // The pattern this middleware is registered under (`/*`, or `/api/*` in a `route('/api', …)` or
  // `basePath('/api')` app) is fixed, and its static prefix is the mount path: checked on the first
  // request only, since reading `routePath` allocates.
  let problem: Error | null | undefined;
  return async (c, next) => {
    if (problem === undefined) problem = mountProblem(gh, staticPrefix(c.req.routePath));
    if (problem !== null) throw problem;
    if (!gh.owns(c.req.path)) return next();
    const response = await gh.handle(c.req.raw, { remoteAddress: remoteAddress(c), target: nodeTarget(c) });
    if (response) return response;
    return next();
  };
}

/** `/api/*` → `/api`; a pattern with a parameter or a wildcard inside stops before it. */
function staticPrefix(pattern: string): string {
  const dynamic = pattern.search(/[:*{]/);
  if (dynamic === -1) return pattern.replace(/\/+$/, '');
  const head = pattern.slice(0, dynamic);
  return head.slice(0, head.lastIndexOf('/')).replace(/\/+$/, '');
}

/** The part of a Hono app `mountGatehouse` needs (any `Hono<E>` has it). */
export interface RouteRegistry {
  on(method: string[], path: string, handler: Handler): unknown;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Registers Gatehouse's own routes (`gh.paths`) on the app instead of one middleware in front of
 * every request: the host's routes keep Hono's single-handler fast path. Register on the app
 * itself, not a `basePath` child: the paths already carry PHOENIX_HOST_ROOT_PATH.
 *
 * @example
 * ```ts
 * const app = new Hono<GatehouseEnv>();
 * mountGatehouse(app, gh);
 * ```
 */
export function mountGatehouse(app: RouteRegistry, gh: Gatehouse, options: HonoAdapterOptions = {}): void {
  const remoteAddress = options.remoteAddress ?? nodeRemoteAddress;
  const serve: Handler = async (c, next) => {
    const response = await gh.handle(c.req.raw, { remoteAddress: remoteAddress(c), target: nodeTarget(c) });
    if (response) return response;
    // Not one of Gatehouse's paths after all (see below): the host's route or its 404.
    await next();
  };
  // A parameter and everything after it become one wildcard: `/v1/users/:p1` (or
  // `/v1/users/:p1/sessions`) beside `/v1/users/api_keys` would make Hono's SmartRouter fall back
  // from RegExpRouter to TrieRouter for the whole app, host routes included. Core routes on the path
  // itself, so the handler never needs the parameter.
  const patterns = new Set(gh.paths.map((path) => path.replace(/\/:p\d+(?:\/.*)?$/, '/*')));
  for (const path of patterns) app.on(METHODS, path, serve);
}

/**
 * On `@hono/node-server` the Node request's header object is read directly: `c.req.header()` would
 * make the adapter build a Fetch `Headers` for every request, which costs more than the check itself.
 */
function guardInput(c: Context): GuardInput {
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  // The path Hono's router matched (never `c.req.routePath`, the pattern `/v1/*`), and on Node the
  // target as received: the WHATWG URL Hono routes on has already resolved `..`, `%2e%2e` and `\`
  // into other paths, so core sees the original to refuse them.
  const path = c.req.path;
  const target = incoming?.url ?? null;
  const headers = incoming?.headers;
  if (headers !== undefined) {
    return {
      method: c.req.method,
      path,
      target,
      authorization: nodeAuthorization(headers, incoming?.rawHeaders ?? []),
      cookie: str(headers.cookie),
      origin: str(headers.origin),
      referer: str(headers.referer),
      host: str(headers.host),
    };
  }
  return {
    method: c.req.method,
    path,
    authorization: c.req.header('authorization') ?? null,
    cookie: c.req.header('cookie') ?? null,
    origin: c.req.header('origin') ?? null,
    referer: c.req.header('referer') ?? null,
    host: c.req.header('host') ?? null,
  };
}

/**
 * `authenticate(gh, handler)`: `app.get('/v1/things/:id', authenticate(gh, (c) => ...))`. Same
 * gate, but the route keeps a single handler, so Hono skips its middleware chain (the cheapest way
 * to guard a hot route). A credential Gatehouse already knows is answered without a Promise, so a
 * synchronous handler keeps `@hono/node-server`'s synchronous response path.
 */
function wrapHandler<E extends GatehouseEnv, P extends string>(gh: Gatehouse, handler: Handler<E, P>): Handler<E, P> {
  type C = Parameters<Handler<E, P>>[0];
  type Next = Parameters<Handler<E, P>>[1];
  const proceed = (result: GuardResult, c: C, next: Next): Response | Promise<Response> => {
    if (!result.ok) return denied(result);
    c.set('principal', result.principal);
    return handler(c, next) as Response | Promise<Response>;
  };
  return (c, next) => {
    const input = guardInput(c);
    const known = gh.guardCached(input);
    return known !== undefined ? proceed(known, c, next) : gh.guard(input).then((result) => proceed(result, c, next));
  };
}

/**
 * The gate for your own routes: the host allow-list, CSRF, authentication and the REST rule, on the
 * concrete request path however it is mounted (a route, `app.use('/v1/*', …)`, a catch-all, a
 * `basePath` or `route()` sub-app).
 *
 * `authenticate(gh)` is a middleware; `authenticate(gh, handler)` wraps one handler instead (see
 * `wrapHandler` above: the cheapest way to guard a hot route).
 *
 * @example
 * ```ts
 * app.use('/v1/*', authenticate(gh));
 * app.get('/v1/hot', authenticate(gh, (c) => c.json({ role: principalOf(c).role })));
 * ```
 */
export function authenticate(gh: Gatehouse): MiddlewareHandler<GatehouseEnv>;
export function authenticate<E extends GatehouseEnv, P extends string>(
  gh: Gatehouse,
  handler: Handler<E, P>,
): Handler<E, P>;
export function authenticate<E extends GatehouseEnv, P extends string>(
  gh: Gatehouse,
  handler?: Handler<E, P>,
): MiddlewareHandler<GatehouseEnv> | Handler<E, P> {
  return handler === undefined ? authenticateMiddleware(gh) : wrapHandler(gh, handler);
}

/** @deprecated Use `authenticate(gh, handler)`: the same gate under the name the other adapters use. */
export function protect<E extends GatehouseEnv, P extends string>(
  gh: Gatehouse,
  handler: Handler<E, P>,
): Handler<E, P> {
  return wrapHandler(gh, handler);
}

function authenticateMiddleware(gh: Gatehouse): MiddlewareHandler<GatehouseEnv> {
  return async (c, next) => {
    const input = guardInput(c);
    const result = gh.guardCached(input) ?? (await gh.guard(input));
    if (!result.ok) return denied(result);
    c.set('principal', result.principal);
    return next();
  };
}

/**
 * 403 unless the principal `authenticate` found has one of the roles (the admin secret counts as ADMIN).
 *
 * @example
 * ```ts
 * app.delete('/v1/projects/:id', authenticate(gh), requireRole(['ADMIN']), (c) => c.body(null, 204));
 * ```
 */
export function requireRole(roles: readonly Role[]): MiddlewareHandler<GatehouseEnv> {
  return async (c, next) => {
    const principal = c.get('principal') as GuardedPrincipal | undefined;
    if (principal === undefined)
      throw adapterMisuse('@gatehouse-auth/hono requireRole', 'mount authenticate before it');
    const result = checkRole(principal, roles);
    if (!result.ok) return denied(result);
    return next();
  };
}

/**
 * The principal `authenticate` found for this request (it lives in `c.get('principal')`).
 *
 * @example
 * ```ts
 * app.get('/whoami', authenticate(gh), (c) => {
 *   const principal = principalOf(c);
 *   return c.json({ id: principal.userId, role: principal.role });
 * });
 * ```
 */
export function principalOf(c: Context<GatehouseEnv>): GuardedPrincipal {
  const principal = c.get('principal') as GuardedPrincipal | undefined;
  if (principal === undefined)
    throw adapterMisuse('@gatehouse-auth/hono principalOf', 'authenticate did not run for this route');
  return principal;
}
