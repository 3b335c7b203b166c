import type { AuthConfig } from '../config/index.js';
import { NotFoundError, UnavailableError, ValidationError } from '../errors/index.js';
import type { Principal } from '../policy/index.js';
import type { Clock } from '../ports.js';
import type { BackgroundWork } from '../services/background.js';
import type { Logger, ServiceDeps } from '../services/index.js';
import { resolveClientAddress } from './client-address.js';
import type { createCsrfCheck } from './csrf.js';
import type { Gate, RequestContext } from './gate.js';
import type { HostCheck } from './host-check.js';
import { MALFORMED_PATH_MESSAGE, below } from './request-path.js';
import { AUTH_ROUTES_RULE, spend } from './rate-limits.js';
import { errorResponse, json } from './responses.js';
import { createRouter } from './router.js';
import type { RouteDefinition, RouteEnvironment } from './routes/context.js';
import { acceptableRequestId, auditRequestContext, type AuditTrail } from '../audit/index.js';
import { randomId } from '../crypto/index.js';
import type { IdpLogout } from '../oauth2/idp-logout.js';

/**
 * @module
 * Serves Gatehouse's own routes (`/auth/*`, `/oauth2/*`, `/v1/*`) from a Fetch `Request`: the host
 * allow-list and the path check first, the gate for `/v1` routes, CSRF and the rate limit for the
 * auth routes, then the route's handler. Everything else is the host's (`handle` answers null).
 */

export interface OwnRoutesOptions {
  config: AuthConfig;
  routes: readonly RouteDefinition[];
  gate: Gate;
  csrf: ReturnType<typeof createCsrfCheck>;
  hostCheck: HostCheck | null;
  /** Null while auth is off. */
  deps: ServiceDeps | null;
  systemUserId: number | null;
  /** Null while auth is off or no IdP is configured. */
  idpLogout: IdpLogout | null;
  background: BackgroundWork;
  trustedProxies: ReadonlySet<string>;
  clock: Clock;
  logger: Logger;
  audit: AuditTrail;
}

export interface OwnRoutes {
  readonly handle: (request: Request, context?: RequestContext) => Promise<Response | null>;
  readonly owns: (path: string) => boolean;
  readonly paths: readonly string[];
}

export function createOwnRoutes(options: OwnRoutesOptions): OwnRoutes {
  const {
    config,
    routes,
    gate,
    csrf,
    hostCheck,
    deps,
    systemUserId,
    idpLogout,
    background,
    trustedProxies,
    clock,
    logger,
    audit,
  } = options;
  const { guard, principalFrom, targetPath } = gate;
  const rootPath = config.rootPath;
  const router = createRouter(routes);
  const paths = Object.freeze([
    ...new Set(
      routes.map(
        (r) =>
          `${rootPath}${r.pattern.split(/\{[^/}]*\}/).reduce((acc, part, i) => (i === 0 ? part : `${acc}:p${i}${part}`), '')}`,
      ),
    ),
    ...(config.enabled ? [`${rootPath}/auth`, `${rootPath}/auth/*`] : []),
  ]);

  const environment: RouteEnvironment = {
    config,
    background,
    get deps(): ServiceDeps {
      if (!deps) throw new UnavailableError('Authentication is disabled');
      return deps;
    },
    get systemUserId(): number {
      if (systemUserId === null) throw new UnavailableError('Authentication is disabled');
      return systemUserId;
    },
    prefixed: (path) => `${rootPath}${path}`,
    publicUrl: config.publicUrl,
    idpLogout,
    async authenticateRequest(request) {
      const result = await principalFrom(request.headers.get('authorization'), request.headers.get('cookie'));
      return result.ok ? result.principal : null;
    },
  };

  const relative = (path: string): string | null => below(rootPath, path);

  function owns(path: string): boolean {
    const rel = relative(path);
    if (rel === null) return false;
    if (rel.startsWith('/auth/') || rel === '/auth') return config.enabled;
    return router.hasPath(rel);
  }

  async function handle(request: Request, context: RequestContext = {}): Promise<Response | null> {
    const url = new URL(request.url);
    const rel = relative(url.pathname);
    if (rel === null) return null;
    const method = request.method.toUpperCase();
    const match = router.match(method, rel);
    const underAuth = config.enabled && (rel === '/auth' || rel.startsWith('/auth/'));
    if (match === null && !underAuth) return null;
    const host = request.headers.get('host');
    // Before any route runs, even the JSON 404 of an unknown auth path.
    if (hostCheck !== null && !hostCheck.allows(host)) return errorResponse(hostCheck.error, logger);
    if (targetPath(context.target, url.pathname) === null)
      return errorResponse(new ValidationError(MALFORMED_PATH_MESSAGE, { code: 'malformed_path' }), logger);
    if (match === null) return json(new NotFoundError('Not found').toJSON(), 404);
    try {
      if (match === 'method') throw new NotFoundError('Method not allowed', { code: 'method_not_allowed' });
      const { route, params } = match;
      const origin = request.headers.get('origin');
      const referer = request.headers.get('referer');
      let principal: Principal | null = null;
      if (route.kind === 'v1') {
        // The same gate as the host's routes: one place decides.
        const gate = await guard({
          method,
          path: url.pathname,
          target: context.target,
          authorization: request.headers.get('authorization'),
          cookie: request.headers.get('cookie'),
          origin,
          referer,
          host,
        });
        if (!gate.ok) return new Response(gate.body, { status: gate.status, headers: gate.headers });
        principal = gate.principal;
      } else {
        const csrfError = csrf?.({ origin, referer, host }, route.csrfReferrerExempt);
        if (csrfError) throw csrfError;
      }
      const clientAddress = resolveClientAddress(
        context.remoteAddress,
        request.headers.get('x-forwarded-for'),
        trustedProxies,
      );
      if (route.kind === 'auth' && config.rateLimitEnabled && deps)
        await spend(deps.rateLimits, clock, 'auth', AUTH_ROUTES_RULE, clientAddress);
      return await route.handler({
        request,
        url,
        params,
        principal,
        clientAddress,
        app: deps ? requestEnvironment(deps, request, clientAddress) : environment,
      });
    } catch (error) {
      if (error instanceof URIError) return errorResponse(new ValidationError('Malformed path parameter'), logger);
      return errorResponse(error, logger);
    }
  }

  /**
   * The environment of one request to Gatehouse's own routes: the same, except that the services'
   * audit recorder stamps this request's client address, user agent and id (the caller's
   * `X-Request-Id` when it is plain, else a fresh one). The host's routes never get here.
   */
  function requestEnvironment(base: ServiceDeps, request: Request, clientAddress: string | null): RouteEnvironment {
    const requestId = acceptableRequestId(request.headers.get('x-request-id')) ?? randomId(12);
    const scoped: ServiceDeps = {
      ...base,
      audit: audit.recorder(auditRequestContext(clientAddress, request.headers.get('user-agent'), requestId)),
    };
    return Object.create(environment, { deps: { value: scoped } }) as RouteEnvironment;
  }

  return { handle, owns, paths };
}
