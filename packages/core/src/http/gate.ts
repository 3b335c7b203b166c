import type { AuthConfig } from '../config/index.js';
import {
  AuthenticationError,
  PermissionDeniedError,
  UnavailableError,
  ValidationError,
  type GatehouseError,
} from '../errors/index.js';
import { ANONYMOUS_PRINCIPAL, decisionError, type Principal, type RestPolicy, type Role } from '../policy/index.js';
import type {
  AuthenticatedPrincipal,
  Authenticator,
  AuthFailureReason,
  AuthResult,
  Credentials,
} from './authenticate.js';
import { readCookie } from './cookies.js';
import type { createCsrfCheck } from './csrf.js';
import type { HostCheck } from './host-check.js';
import { MALFORMED_PATH_MESSAGE, below, canonicalRequestPath, pathOfTarget } from './request-path.js';
import { errorHeaders } from './responses.js';

/**
 * @module
 * The gate: the one decision for every request to a protected route, Gatehouse's own `/v1` routes
 * and the host's alike. In order: the host allow-list, CSRF, the request path, the credential, the
 * REST rule. It answers from memory when it can (`guardCached`) and asks the store only for a
 * credential memory does not know (`guard`).
 */

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

/** The principal the gate let through: a signed-in user, an API key, the admin secret, or anonymous while auth is off. */
export type GuardedPrincipal = Extract<GuardResult, { readonly ok: true }>['principal'];

export type GuardResult =
  | { readonly ok: true; readonly principal: AuthenticatedPrincipal | typeof ANONYMOUS_PRINCIPAL }
  | {
      readonly ok: false;
      readonly status: number;
      readonly body: string;
      readonly headers: Readonly<Record<string, string>>;
    };

export interface RequestContext {
  /** The socket peer address (adapters read it from the connection). */
  remoteAddress?: string | null;
  /**
   * The raw request target as received, when the framework has one: the Fetch URL has already
   * resolved `..` and `\`, so core checks the original (as `GuardInput.target`).
   */
  target?: string | null;
}

const FAILURE_MESSAGES: Record<Exclude<AuthFailureReason, 'unavailable'>, string> = {
  missing: 'Authentication required',
  invalid: 'Invalid token',
  revoked: 'Invalid token',
  expired: 'Expired token',
};

/** `This action requires the ADMIN role.`, `… the MEMBER or ADMIN role.`: the client learns what would have passed. */
function roleRequiredMessage(roles: readonly Role[]): string {
  return roles.length === 0
    ? 'This action is not allowed for any role.'
    : `This action requires the ${roles.join(' or ')} role.`;
}

export function denial(error: GatehouseError): GuardResult {
  return Object.freeze({
    ok: false as const,
    status: error.status,
    body: JSON.stringify(error.toJSON()),
    headers: Object.freeze({ 'content-type': 'application/json; charset=utf-8', ...errorHeaders(error) }),
  });
}

// Built once: the gate's answers are shared constants, so a denied request allocates nothing either.
const DENIALS = {
  missing: denial(new AuthenticationError(FAILURE_MESSAGES.missing, { code: 'unauthenticated' })),
  invalid: denial(new AuthenticationError(FAILURE_MESSAGES.invalid, { code: 'invalid_token' })),
  revoked: denial(new AuthenticationError(FAILURE_MESSAGES.revoked, { code: 'invalid_token' })),
  expired: denial(new AuthenticationError(FAILURE_MESSAGES.expired, { code: 'expired_token' })),
  unavailable: denial(new UnavailableError('Authentication store unavailable')),
};
const MALFORMED_PATH = denial(new ValidationError(MALFORMED_PATH_MESSAGE, { code: 'malformed_path' }));
const ANONYMOUS_GATE: GuardResult = Object.freeze({ ok: true as const, principal: ANONYMOUS_PRINCIPAL });
// A successful AuthResult already has the GuardResult shape: passed on as is, no copy.
const gateOf = (result: AuthResult): GuardResult => (result.ok ? result : DENIALS[result.reason]);

// One denial per role list: adapters pass the same array on every request, so a refusal allocates nothing.
const roleDenials = new WeakMap<readonly Role[], GuardResult>();

/**
 * 403 unless the principal has one of the roles (the admin secret counts as ADMIN; anonymous, which
 * only exists while auth is off, passes). Pure: every adapter's `requireRole(roles)` calls it.
 */
export function checkRole(principal: Principal, roles: readonly Role[]): GuardResult {
  const role: Role = principal.kind === 'admin_secret' ? 'ADMIN' : principal.role;
  if (principal.kind === 'anonymous' || roles.includes(role))
    return { ok: true, principal: principal as AuthenticatedPrincipal };
  let refused = roleDenials.get(roles);
  if (refused === undefined) {
    refused = denial(new PermissionDeniedError(roleRequiredMessage(roles)));
    roleDenials.set(roles, refused);
  }
  return refused;
}

/**
 * How every adapter reports being used wrongly (a `requireRole` or `principalOf` without
 * `authenticate` before it): a programming error, so a `TypeError` naming the package and the call,
 * which the framework turns into its 500.
 */
export function adapterMisuse(where: string, message: string): TypeError {
  return new TypeError(`${where}: ${message}`);
}

export interface GateOptions {
  config: AuthConfig;
  restPolicy: RestPolicy;
  csrf: ReturnType<typeof createCsrfCheck>;
  hostCheck: HostCheck | null;
  /** Null while auth is off: every request is the anonymous principal. */
  authenticator: Authenticator | null;
}

export interface Gate {
  readonly guard: (input: GuardInput) => Promise<GuardResult>;
  readonly guardCached: (input: GuardInput) => GuardResult | undefined;
  readonly requireRole: (principal: Principal, roles: readonly Role[]) => GuardResult;
  /** The principal of these credentials (anonymous while auth is off), or the denial. */
  readonly principalFrom: (
    authorization: string | null | undefined,
    cookieHeader: string | null | undefined,
  ) => Promise<GuardResult>;
  /** The raw target's decision path when it differs from the routed one (see `targetPath` below). */
  readonly targetPath: (target: string | null | undefined, path: string) => string | null | undefined;
}

export function createGate({ config, restPolicy, csrf, hostCheck, authenticator }: GateOptions): Gate {
  const hostDenial = hostCheck === null ? null : denial(hostCheck.error);
  const canonicalRoot = config.rootPath.toLowerCase();
  const accessCookie = config.cookies.names.accessToken;

  const credentialsOf = (
    authorization: string | null | undefined,
    cookieHeader: string | null | undefined,
  ): Credentials => ({
    authorization,
    accessTokenCookie: readCookie(cookieHeader, accessCookie),
  });

  async function principalFrom(
    authorization: string | null | undefined,
    cookieHeader: string | null | undefined,
  ): Promise<GuardResult> {
    if (!authenticator) return ANONYMOUS_GATE;
    return gateOf(await authenticator.authenticate(credentialsOf(authorization, cookieHeader)));
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
    if (target.startsWith(path) && (target.length === path.length || target.charCodeAt(path.length) === 63) /* ? */)
      return undefined;
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
   * The one gate, in Phoenix's order: the host allow-list, CSRF, the path, then the
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
    return authorizeBoth(
      gate,
      input.method,
      decisionPath(input.path) ?? '',
      targetPath(input.target, input.path) ?? undefined,
    );
  }

  return { guard, guardCached, requireRole: checkRole, principalFrom, targetPath };
}
