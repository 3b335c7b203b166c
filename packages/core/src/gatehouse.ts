import type { AuthConfig } from './config/index.js';
import type { PasswordHasher } from './crypto/index.js';
import { createRestPolicy, type Principal, type RestPolicyOptions, type Role } from './policy/index.js';
import type { AuthStore, Clock, Mailer, RateLimitStore, RevocationChannel } from './ports.js';
import { systemClock } from './ports.js';
import { createLocalRevocationChannel } from './in-process/local-revocation-channel.js';
import { createMemoryRateLimitStore } from './in-process/memory-rate-limit-store.js';
import { bootstrap, type Logger, type ServiceDeps } from './services/index.js';
import { createStderrLogger } from './in-process/stderr-logger.js';
import { logStartup } from './http/startup-log.js';
import { createBackgroundWork } from './services/background.js';
import { createTokenCodec } from './tokens/index.js';
import { createAuthenticator, type Authenticator } from './http/authenticate.js';
import { createGate, type GuardInput, type GuardResult, type RequestContext } from './http/gate.js';
import { createOwnRoutes } from './http/own-routes.js';
import { boundedLoginHasher, type PasswordHashingOptions } from './http/password-hashing.js';
import { createCsrfCheck } from './http/csrf.js';
import { createHostCheck } from './http/host-check.js';
import { authRoutes } from './http/routes/auth-routes.js';
import type { RouteDefinition } from './http/routes/context.js';
import { v1Routes } from './http/routes/v1-routes.js';
import { oauth2Routes } from './http/routes/oauth2-routes.js';
import { createDiscovery } from './oauth2/discovery.js';
import type { DiscoveryOptions } from './oauth2/discovery-options.js';
import { startExpiredSweep } from './services/expired-sweep.js';
import { createOAuth2Flow } from './oauth2/flow.js';
import { createIdTokenSeal } from './oauth2/id-token-seal.js';
import { createIdpLogout, type IdpLogout } from './oauth2/idp-logout.js';
import { createLdapDirectory, type Directory, type LdapDirectoryOptions } from './ldap/index.js';
import { ldapRoutes } from './http/routes/ldap-routes.js';
import {
  createAuditTrail,
  previousSecretReporter,
  storeAuditSink,
  type AuditTrail,
  type AuditTrailOptions,
} from './audit/index.js';
import { mfaAuthRoutes, mfaV1Routes } from './http/routes/mfa-routes.js';
import { passkeyAuthRoutes, passkeyV1Routes } from './http/routes/passkey-routes.js';
import { createReads, createSessionFromCookie, type CookieSession, type GatehouseReads } from './gatehouse-reads.js';
import { attachInternals } from './gatehouse-internals.js';

/**
 * @module
 * `createGatehouse`: puts Gatehouse together from a parsed configuration and a store (users
 * bootstrapped, authenticator, gate, Gatehouse's own routes, the expiry sweep). Framework adapters
 * translate their requests to its `handle` and `guard`.
 */

export type { GuardInput, GuardResult, GuardedPrincipal, RequestContext } from './http/gate.js';
export type { CookieSession, GatehouseReads } from './gatehouse-reads.js';

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
  /**
   * Where warnings, errors and the start-up summary go. Default: `createStderrLogger()` (one JSON
   * line each on stderr); pass `silentLogger` to log nothing. See docs/logging.md.
   */
  logger?: Logger;
  /** Wrapped in the hashing bound below, like the default argon2 hasher. */
  hasher?: PasswordHasher;
  /** Bound of password hashing; overrides `GATEHOUSE_PASSWORD_HASH_CONCURRENCY` / `_QUEUE` (see docs/performance.md). */
  passwordHashing?: PasswordHashingOptions;
  /** Socket addresses of your reverse proxies: only their `X-Forwarded-For` is believed. Default: none. */
  trustedProxies?: readonly string[];
  /**
   * The REST rule for your routes: `preset` picks the host-route rules to start from (`'phoenix'`,
   * the default, or `'none'`), the route lists add your own (docs/permissions.md).
   */
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
  /** The audit trail's sink (default: the store's audit table) and batching (docs/audit.md). */
  audit?: AuditTrailOptions;
}

export interface Gatehouse {
  readonly config: AuthConfig;
  /**
   * The signed-in session of a browser request, from the access-token cookie in `cookieHeader`
   * only (a page is a navigation: an Authorization header or an API key does not make one). Null
   * when there is none, it is no longer valid, or auth is off; an `UnavailableError` when the store
   * cannot answer (not a reason to send the user to log in).
   */
  sessionFromCookie(cookieHeader: string | null): Promise<CookieSession | null>;
  /** What the host's own pages show a signed-in principal, under the API's policy; null while auth is off. */
  readonly reads: GatehouseReads | null;
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
  /** The audit trail: `flush()` writes what is queued now (tests, a shutdown hook). */
  readonly audit: AuditTrail;
  close(): Promise<void>;
}

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
// setInterval clamps longer delays to 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Composes Gatehouse from a parsed configuration and a store: bootstraps the users, builds the
 * authenticator and the route table. Adapters translate their framework to `handle` and `guard`.
 *
 * @example
 * ```ts
 * import { createGatehouse, parseAuthEnv } from '@gatehouse-auth/core';
 * import { createSqliteStore } from '@gatehouse-auth/db';
 *
 * const gh = await createGatehouse({
 *   config: parseAuthEnv(process.env),
 *   store: await createSqliteStore({ filename: '.data/phoenix.db' }),
 *   restPolicy: { adminRoutes: ['DELETE /v1/projects/{id}'] },
 * });
 * // Hand gh to an adapter: app.use(gatehouse(gh)) on Express, for example.
 * ```
 */
export async function createGatehouse(options: GatehouseOptions): Promise<Gatehouse> {
  const { config, store } = options;
  // Checked before bootstrap writes anything.
  const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  if (!Number.isSafeInteger(sweepIntervalMs) || sweepIntervalMs < 0 || sweepIntervalMs > MAX_TIMER_MS) {
    throw new RangeError(`createGatehouse: sweepIntervalMs must be an integer from 0 to ${MAX_TIMER_MS} (0: no timer)`);
  }
  const logger = options.logger ?? createStderrLogger();
  const clock = options.clock ?? systemClock;
  const restPolicy = createRestPolicy(options.restPolicy);
  const trustedProxies = new Set(options.trustedProxies ?? []);
  const csrf = createCsrfCheck(config);
  const hostCheck = createHostCheck(config);

  // Checked before bootstrap writes anything, like the sweep interval.
  const audit = createAuditTrail({
    ...options.audit,
    sink: options.audit?.sink ?? storeAuditSink(store),
    clock,
    logger,
  });
  let deps: ServiceDeps | null = null;
  let hasher: ReturnType<typeof boundedLoginHasher> | null = null;
  let authenticator: Authenticator | null = null;
  let systemUserId: number | null = null;
  if (!config.enabled) audit.system.record({ type: 'auth.disabled_at_start', subjectUserId: null, details: {} });
  if (config.enabled) {
    if (!config.secret) throw new TypeError('createGatehouse: auth is enabled but the config has no secret');
    const revocations = options.revocations ?? createLocalRevocationChannel();
    hasher = boundedLoginHasher(options.hasher ?? null, config.passwordHashing, options.passwordHashing ?? {}, logger);
    deps = {
      config,
      store,
      hasher,
      tokens: createTokenCodec({
        secret: config.secret,
        previousSecrets: config.previousSecrets,
        now: () => clock.now(),
        onPreviousSecret: previousSecretReporter(audit.system, clock),
      }),
      rateLimits: options.rateLimits ?? createMemoryRateLimitStore(),
      revocations,
      clock,
      mailer: options.mailer ?? null,
      logger,
      audit: audit.system,
    };
    systemUserId = (await bootstrap(deps)).systemUserId;
    authenticator = createAuthenticator({ config, store, tokens: deps.tokens, revocations, clock, systemUserId });
  }
  logStartup(logger, { config, store, routePreset: restPolicy.preset });
  // Auth off issues nothing, so there is nothing to sweep.
  const sweep = deps
    ? startExpiredSweep({
        store,
        clock,
        logger,
        intervalMs: sweepIntervalMs,
        auditRetentionMs: config.auditRetentionDays * 86_400_000,
      })
    : null;

  // Auth off: no login routes, the anonymous profile, and the key routes, which the REST rule refuses
  // with 403 (docs/phoenix-contract.md#api-key-routes) rather than leaving them to the host's 404.
  let idpLogout: IdpLogout | null = null;
  let oauth2: RouteDefinition[] = [];
  if (deps && config.oauth2.idps.length > 0) {
    const discovery = createDiscovery({ now: () => clock.now(), ...options.discovery });
    const seal = createIdTokenSeal(config.secret ?? '');
    idpLogout = createIdpLogout(config, deps, discovery, seal, {
      ...(options.discovery?.timeoutMs !== undefined ? { timeoutMs: options.discovery.timeoutMs } : {}),
    });
    oauth2 = oauth2Routes(createOAuth2Flow(config, deps, discovery, seal), idpLogout, config);
  }
  const ldap =
    deps && config.ldap
      ? ldapRoutes(config.ldap, options.directory ?? createLdapDirectory(config.ldap, { ...options.ldap, logger }))
      : [];
  const routes: RouteDefinition[] = config.enabled
    ? [
        ...authRoutes,
        ...mfaAuthRoutes,
        ...passkeyAuthRoutes,
        ...ldap,
        ...oauth2,
        ...v1Routes,
        ...mfaV1Routes,
        ...passkeyV1Routes,
      ]
    : v1Routes.filter((r) => (r.pattern === '/v1/user' && r.method === 'GET') || r.pattern.includes('/api_keys'));
  const background = createBackgroundWork();
  const gate = createGate({ config, restPolicy, csrf, hostCheck, authenticator });
  const { handle, owns, paths } = createOwnRoutes({
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
  });
  const { guard, guardCached, requireRole } = gate;

  return attachInternals<Gatehouse>(
    {
      config,
      sessionFromCookie: createSessionFromCookie(config, authenticator, deps),
      reads: deps ? createReads(deps) : null,
      handle,
      owns,
      paths,
      guard,
      guardCached,
      requireRole,
      sweepExpired: () => sweep?.runOnce() ?? Promise.resolve(0),
      audit,
      /**
       * Stops the sweep timer and the authenticator's subscriptions, waits for mail still being sent
       * and writes the audit events still queued, then ends the default hasher's argon2 worker threads.
       * The store is the host's: close it yourself, after this.
       */
      async close() {
        authenticator?.close();
        await sweep?.stop();
        await background.drain();
        await audit.close();
        // Last, after the drain (background work may still hash): ends the argon2 worker threads of
        // the default hasher; a hasher you passed in is yours to close.
        await hasher?.close();
      },
    },
    { deps, authenticator, systemUserId },
  );
}
