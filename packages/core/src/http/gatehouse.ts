import type { AuthConfig } from '../config/index.js';
import { createArgon2Hasher, type PasswordHasher } from '../crypto/index.js';
import { AuthenticationError, NotFoundError, PermissionDeniedError, UnavailableError, ValidationError, type GatehouseError } from '../errors/index.js';
import { ANONYMOUS_PRINCIPAL, createRestPolicy, decisionError, type Principal, type RestPolicyOptions, type Role } from '../policy/index.js';
import type { AuthStore, Clock, Mailer, RateLimitStore, RevocationChannel } from '../ports.js';
import { systemClock } from '../ports.js';
import { createLocalRevocationChannel } from '../adapters/local-revocation-channel.js';
import { createMemoryRateLimitStore } from '../adapters/memory-rate-limit-store.js';
import { bootstrap, silentLogger, type Logger, type ServiceDeps } from '../services/index.js';
import { createBackgroundWork } from '../services/background.js';
import { createTokenCodec } from '../tokens/index.js';
import { createAuthenticator, type AuthenticatedPrincipal, type Authenticator, type AuthFailureReason, type AuthResult, type Credentials } from './authenticate.js';
import { resolveClientAddress } from './client-address.js';
import { boundedLoginHasher, type PasswordHashingOptions } from './password-hashing.js';
import { readCookie } from './cookies.js';
import { createCsrfCheck } from './csrf.js';
import { createHostCheck } from './host-check.js';
import { MALFORMED_PATH_MESSAGE, canonicalRequestPath, pathOfTarget } from './request-path.js';
import { AUTH_ROUTES_RULE, spend } from './rate-limits.js';
import { errorHeaders, errorResponse, json } from './responses.js';
import { createRouter } from './router.js';
import { authRoutes } from './routes/auth-routes.js';
import type { RouteDefinition, RouteEnvironment } from './routes/context.js';
import { v1Routes } from './routes/v1-routes.js';
import { oauth2Routes } from './routes/oauth2-routes.js';
import { createDiscovery } from '../oauth2/discovery.js';
import type { DiscoveryOptions } from '../oauth2/discovery-options.js';
import { startExpiredSweep } from '../services/expired-sweep.js';
import { createOAuth2Flow } from '../oauth2/flow.js';
import { createLdapDirectory, type Directory, type LdapDirectoryOptions } from '../ldap/index.js';
import { ldapRoutes } from './routes/ldap-routes.js';
import { mfaAuthRoutes, mfaV1Routes } from './routes/mfa-routes.js';

export interface GatehouseOptions {
  config: AuthConfig;
  store: AuthStore;
  /** Password-reset mail; without one the reset-email route answers 503. */
  mailer?: Mailer | null;
  /** Defaults to in-process counters; pass the Redis one when several instances must share them. */
  rateLimits?: RateLimitStore;
  /** Defaults to in-process fan-out; pass Redis or PostgreSQL LISTEN/NOTIFY across instances. */
  revocations?: RevocationChannel;
  clock?: Clock;
  logger?: Logger;
  /** Wrapped in the hashing bound below, like the default argon2 hasher. */
  hasher?: PasswordHasher;
  /** Bound of password hashing; overrides `GATEHOUSE_PASSWORD_HASH_CONCURRENCY` / `_QUEUE` (see docs/performance.md). */
  passwordHashing?: PasswordHashingOptions;
  /** Socket addresses of your reverse proxies: only their `X-Forwarded-For` is believed. Default: none. */
  trustedProxies?: readonly string[];
  /** Your own routes' REST rules (admin-only, self-service), on top of the built-in ones. */
  restPolicy?: RestPolicyOptions;
  /** Timeouts and caching of the IdPs' discovery documents (OIDC). */
  discovery?: DiscoveryOptions;
  /**
   * Milliseconds between sweeps of expired sessions, tokens, reset tokens and API keys (default
   * 60 000). 0: no timer — run `gh.sweepExpired()` or `store.deleteExpired(now)` from a job of your own.
   */
  sweepIntervalMs?: number;
  /** LDAP sign-in: another directory (tests, other backends) instead of the ldapts one built from the config. */
  directory?: Directory;
  /** Time-outs and concurrency of the ldapts directory. */
  ldap?: Omit<LdapDirectoryOptions, 'logger'>;
}

/** Header values an adapter passes for one request to a host route: never a whole request. */
export interface GuardInput {
  method: string;
  /**
   * The concrete request path exactly as the framework's router matched it (`/v1/projects/1`, not
   * `/v1/projects/:id`), from the server's root, without the query: never a route pattern, never the
   * raw request target. Core canonicalises it and refuses (400) what it cannot read in one way.
   */
  path: string;
  /**
   * The raw request target as received (`req.originalUrl`, `incoming.url`), when the framework has
   * one. Routers resolve some spellings (`..`, `\`, absolute-form) before matching; a target core
   * cannot read in exactly one way is refused even when the routed path looks clean.
   */
  target?: string | null;
  authorization?: string | null;
  /** The raw `Cookie` header. */
  cookie?: string | null;
  origin?: string | null;
  referer?: string | null;
  host?: string | null;
}

export type GuardResult =
  | { readonly ok: true; readonly principal: AuthenticatedPrincipal | typeof ANONYMOUS_PRINCIPAL }
  | { readonly ok: false; readonly status: number; readonly body: string; readonly headers: Readonly<Record<string, string>> };

export interface RequestContext {
  /** The socket peer address (adapters read it from the connection). */
  remoteAddress?: string | null;
  /**
   * The raw request target as received, when the framework has one: the Fetch URL has already
   * resolved `..` and `\`, so core checks the original (as `GuardInput.target`).
   */
  target?: string | null;
}

export interface Gatehouse {
  readonly config: AuthConfig;
  readonly deps: ServiceDeps | null;
  readonly systemUserId: number | null;
  readonly authenticator: Authenticator | null;
  /** Serves Gatehouse's own routes; null when the path is not one of them (the host handles it). */
  handle(request: Request, context?: RequestContext): Promise<Response | null>;
  /** Whether a path (without query) is one of Gatehouse's, so adapters only build a Request for those. */
  owns(path: string): boolean;
  /**
   * Gatehouse's own paths with the root path, parameters as `:p1`, `:p2` (plus `/auth` and `/auth/*` while auth is
   * on, so unknown auth paths get a JSON 404): for routers that must register routes up front.
   */
  readonly paths: readonly string[];
  /** The gate for the host's own routes: CSRF, authentication, the REST rule. */
  guard(input: GuardInput): Promise<GuardResult>;
  /**
   * `guard`'s answer when memory alone decides it (the credential is cached, missing or malformed,
   * or CSRF refuses); `undefined` when the store must be asked: call `guard` then. Adapters use it to
   * answer a hot route without a Promise.
   */
  guardCached(input: GuardInput): GuardResult | undefined;
  /** 403 unless the principal has one of the roles (the admin secret counts as ADMIN). */
  requireRole(principal: Principal, roles: readonly Role[]): GuardResult;
  /** Deletes expired rows now (what the timer does); the number removed, or null if it failed or one was running. */
  sweepExpired(): Promise<number | null>;
  close(): Promise<void>;
}

const FAILURE_MESSAGES: Record<Exclude<AuthFailureReason, 'unavailable'>, string> = {
  missing: 'Invalid token',
  invalid: 'Invalid token',
  revoked: 'Invalid token',
  expired: 'Expired token',
};

function denial(error: GatehouseError): GuardResult {
  return Object.freeze({
    ok: false as const,
    status: error.status,
    body: JSON.stringify(error.toJSON()),
    headers: Object.freeze({ 'content-type': 'application/json; charset=utf-8', ...errorHeaders(error) }),
  });
}

// Built once: the gate's answers are shared constants, so a denied request allocates nothing either.
const DENIALS = {
  missing: denial(new AuthenticationError('unauthenticated', FAILURE_MESSAGES.missing)),
  invalid: denial(new AuthenticationError('invalid_token', FAILURE_MESSAGES.invalid)),
  revoked: denial(new AuthenticationError('invalid_token', FAILURE_MESSAGES.revoked)),
  expired: denial(new AuthenticationError('expired_token', FAILURE_MESSAGES.expired)),
  unavailable: denial(new UnavailableError('Authentication store unavailable')),
};
const MALFORMED_PATH = denial(new ValidationError(MALFORMED_PATH_MESSAGE, 'malformed_path'));
const ANONYMOUS_GATE: GuardResult = Object.freeze({ ok: true as const, principal: ANONYMOUS_PRINCIPAL });
// A successful AuthResult already has the GuardResult shape: passed on as is, no copy.
const gateOf = (result: AuthResult): GuardResult => (result.ok ? result : DENIALS[result.reason]);

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
// setInterval clamps longer delays to 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Composes Gatehouse from a parsed configuration and a store: bootstraps the users, builds the
 * authenticator and the route table. Adapters translate their framework to `handle` and `guard`.
 */
export async function createGatehouse(options: GatehouseOptions): Promise<Gatehouse> {
  const { config, store } = options;
  // Checked before bootstrap writes anything.
  const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  if (!Number.isSafeInteger(sweepIntervalMs) || sweepIntervalMs < 0 || sweepIntervalMs > MAX_TIMER_MS) {
    throw new Error(`createGatehouse: sweepIntervalMs must be an integer from 0 to ${MAX_TIMER_MS} (0: no timer)`);
  }
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const restPolicy = createRestPolicy(options.restPolicy);
  const trustedProxies = new Set(options.trustedProxies ?? []);
  const csrf = createCsrfCheck(config);
  const hostCheck = createHostCheck(config);
  const hostDenial = hostCheck === null ? null : denial(hostCheck.error);
  const rootPath = config.rootPath;
  const canonicalRoot = rootPath.toLowerCase();

  let deps: ServiceDeps | null = null;
  let authenticator: Authenticator | null = null;
  let systemUserId: number | null = null;
  if (config.enabled) {
    if (!config.secret) throw new Error('createGatehouse: auth is enabled but the config has no secret');
    const revocations = options.revocations ?? createLocalRevocationChannel();
    deps = {
      config,
      store,
      hasher: boundedLoginHasher(options.hasher ?? createArgon2Hasher(), config.passwordHashing, options.passwordHashing ?? {}, logger),
      tokens: createTokenCodec({ secret: config.secret, now: () => clock.now() }),
      rateLimits: options.rateLimits ?? createMemoryRateLimitStore(),
      revocations,
      clock,
      mailer: options.mailer ?? null,
      logger,
    };
    systemUserId = (await bootstrap(deps)).systemUserId;
    authenticator = createAuthenticator({ config, store, tokens: deps.tokens, revocations, clock, systemUserId });
  }
  logger.info('gatehouse: public URL base', {
    url: config.publicUrl,
    from: config.rootUrl !== null ? `${config.prefix}ROOT_URL` : `${config.prefix}HOST, ${config.prefix}PORT and ${config.prefix}HOST_ROOT_PATH (${config.prefix}ROOT_URL is unset)`,
    allowedHosts: config.allowedHosts === null ? 'any (GATEHOUSE_ALLOWED_HOSTS=*)' : ['localhost', ...config.allowedHosts],
  });
  // Auth off issues nothing, so there is nothing to sweep.
  const sweep = deps ? startExpiredSweep({ store, clock, logger, intervalMs: sweepIntervalMs }) : null;

  // Auth off: no login routes, the anonymous profile, and the key routes, which the REST rule refuses
  // with 403 (reference §4.10) rather than leaving them to the host's 404.
  const oauth2 = deps && config.oauth2.idps.length > 0 ? oauth2Routes(createOAuth2Flow(config, deps, createDiscovery({ now: () => clock.now(), ...options.discovery })), config) : [];
  const ldap = deps && config.ldap ? ldapRoutes(config.ldap, options.directory ?? createLdapDirectory(config.ldap, { ...options.ldap, logger })) : [];
  const routes: RouteDefinition[] = config.enabled
    ? [...authRoutes, ...mfaAuthRoutes, ...ldap, ...oauth2, ...v1Routes, ...mfaV1Routes]
    : v1Routes.filter((r) => (r.pattern === '/v1/user' && r.method === 'GET') || r.pattern.includes('/api_keys'));
  const router = createRouter(routes);
  const paths = Object.freeze([
    ...new Set(routes.map((r) => `${rootPath}${r.pattern.split('{}').reduce((acc, part, i) => (i === 0 ? part : `${acc}:p${i}${part}`), '')}`)),
    ...(config.enabled ? [`${rootPath}/auth`, `${rootPath}/auth/*`] : []),
  ]);
  const accessCookie = config.cookies.names.accessToken;

  const credentialsOf = (authorization: string | null | undefined, cookieHeader: string | null | undefined): Credentials => ({
    authorization,
    accessTokenCookie: readCookie(cookieHeader, accessCookie),
  });

  async function principalFrom(authorization: string | null | undefined, cookieHeader: string | null | undefined): Promise<GuardResult> {
    if (!authenticator) return ANONYMOUS_GATE;
    return gateOf(await authenticator.authenticate(credentialsOf(authorization, cookieHeader)));
  }

  const background = createBackgroundWork();
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
    async authenticateRequest(request) {
      const result = await principalFrom(request.headers.get('authorization'), request.headers.get('cookie'));
      return result.ok ? result.principal : null;
    },
  };

  /** `path` below `root` (`/` for the root itself), or null when it lies outside; `root` '' holds every path. */
  function below(root: string, path: string): string | null {
    if (!root) return path;
    if (path === root) return '/';
    return path.startsWith(`${root}/`) ? path.slice(root.length) : null;
  }

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
    if (targetPath(context.target, url.pathname) === null) return errorResponse(new ValidationError(MALFORMED_PATH_MESSAGE, 'malformed_path'), logger);
    if (match === null) return json(new NotFoundError('Not found').toJSON(), 404);
    try {
      if (match === 'method') throw new NotFoundError('Method not allowed', undefined, 'method_not_allowed');
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
      const clientAddress = resolveClientAddress(context.remoteAddress, request.headers.get('x-forwarded-for'), trustedProxies);
      if (route.kind === 'auth' && config.rateLimitEnabled && deps) await spend(deps.rateLimits, clock, 'auth', AUTH_ROUTES_RULE, clientAddress);
      return await route.handler({ request, url, params, principal, clientAddress, app: environment });
    } catch (error) {
      if (error instanceof URIError) return errorResponse(new ValidationError('Malformed path parameter'), logger);
      return errorResponse(error, logger);
    }
  }

  /** The canonical path relative to the root path (a path outside it is decided as it is); null: refuse. */
  function decisionPath(path: string): string | null {
    const canonical = canonicalRequestPath(path);
    return canonical === null ? null : (below(canonicalRoot, canonical) ?? canonical);
  }

  /**
   * The raw target's own decision path when it differs from the routed one (a rewrite, a custom
   * `getPath`, a router that resolved `..`): undefined when it is the same or absent, null when it
   * cannot be read one way. The gate then decides on both, and both must allow.
   */
  function targetPath(target: string | null | undefined, path: string): string | null | undefined {
    if (target === null || target === undefined) return undefined;
    // The common case without allocating: the target is the routed path, perhaps with a query.
    if (target.startsWith(path) && (target.length === path.length || target.charCodeAt(path.length) === 63 /* ? */)) return undefined;
    return decisionPath(pathOfTarget(target));
  }

  function authorizeBoth(gate: GuardResult, method: string, path: string, other: string | undefined): GuardResult {
    const first = authorize(gate, method, path);
    return !first.ok || other === undefined || other === path ? first : authorize(gate, method, other);
  }

  function authorize(gate: GuardResult, method: string, path: string): GuardResult {
    if (!gate.ok) return gate;
    const decision = restPolicy.decidePath(gate.principal, method, path);
    if (decision.allowed) return gate;
    const error = decisionError(decision);
    return error ? denial(error) : gate;
  }

  /**
   * The one gate, in the reference's order: the host allow-list, CSRF, the path, then the
   * credential and the REST rule. Answers from memory, or `undefined` when the store must be asked.
   */
  function guardCached(input: GuardInput): GuardResult | undefined {
    if (hostDenial !== null && !hostCheck!.allows(input.host)) return hostDenial;
    if (csrf !== null) {
      const error = csrf(input);
      if (error) return denial(error);
    }
    const path = decisionPath(input.path);
    const other = targetPath(input.target, input.path);
    if (path === null || other === null) return MALFORMED_PATH;
    if (!authenticator) return authorizeBoth(ANONYMOUS_GATE, input.method, path, other);
    const known = authenticator.authenticateCached(credentialsOf(input.authorization, input.cookie));
    return known === undefined ? undefined : authorizeBoth(gateOf(known), input.method, path, other);
  }

  async function guard(input: GuardInput): Promise<GuardResult> {
    const known = guardCached(input);
    if (known !== undefined) return known;
    // Only a credential memory does not know gets here; everything before it has passed.
    const gate = await principalFrom(input.authorization, input.cookie);
    return authorizeBoth(gate, input.method, decisionPath(input.path) ?? '', targetPath(input.target, input.path) ?? undefined);
  }

  function requireRole(principal: Principal, roles: readonly Role[]): GuardResult {
    const role: Role = principal.kind === 'admin_secret' ? 'ADMIN' : principal.role;
    if (principal.kind === 'anonymous' || roles.includes(role)) return { ok: true, principal: principal as AuthenticatedPrincipal };
    return denial(new PermissionDeniedError(`Only ${roles.join(' or ')} users can perform this action.`));
  }

  return {
    config,
    deps,
    systemUserId,
    authenticator,
    handle,
    owns,
    paths,
    guard,
    guardCached,
    requireRole,
    sweepExpired: () => sweep?.runOnce() ?? Promise.resolve(0),
    /** Stops the sweep timer and the authenticator's subscriptions and waits for mail still being sent. The store is the host's: close it yourself. */
    async close() {
      authenticator?.close();
      await sweep?.stop();
      await background.drain();
    },
  };
}
