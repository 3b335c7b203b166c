import { ConfigError, type ConfigIssue } from '../errors/index.js';
import { DECISIONS, type Decision } from './decision.js';
import { isAdmin, isViewer, type Principal } from './principal.js';
import {
  BUILT_IN_API_KEY_ROUTES,
  GATEHOUSE_ADMIN_ROUTES,
  GATEHOUSE_SELF_SERVICE_ROUTES,
  PARAM,
  ROUTE_PRESETS,
  parseRouteSpec,
  routeSegments,
  type RoutePreset,
  type RoutePresetName,
} from './routes.js';

export interface RestPolicyOptions {
  /**
   * The host routes' rules to start from: `'phoenix'` (the default: Phoenix's admin-only project
   * and secret writes, `POST /v1/chat/completions` open to viewers), `'none'`, or a preset of your
   * own. The route lists below add to it; Gatehouse's own routes are enforced whatever it is.
   */
  readonly preset?: RoutePresetName | RoutePreset;
  /** Extra admin-only routes of the host app, e.g. `'PUT /v1/things/{id}'` (`*` = any method). */
  readonly adminRoutes?: readonly string[];
  /** Extra routes viewers may call with any method (they act on the caller's own data). */
  readonly selfServiceRoutes?: readonly string[];
  /** Extra routes refused while authentication is disabled (like the built-in API-key routes). */
  readonly authRequiredRoutes?: readonly string[];
}

export interface RestPolicy {
  /** The active preset's name (`phoenix`, `none`, or yours). */
  readonly preset: string;
  /**
   * Decides a request on `/v1`. `routePattern` should be the router's matched pattern
   * (`/v1/users/:id`), not the concrete path; concrete paths are matched too, but every distinct
   * one costs a cache slot.
   */
  decide(principal: Principal | null, method: string, routePattern: string): Decision;
  /** Same as `decide`: the decision already names its rule. */
  explain(principal: Principal | null, method: string, routePattern: string): Decision;
  /**
   * Decides a request on its concrete path, already canonical (`canonicalRequestPath`: decoded,
   * lower-case, no empty segments). Every segment is a literal here: `/v1/{users}` is the literal
   * `{users}`, never a parameter. This is what the gate uses; `decide` is for patterns.
   */
  decidePath(principal: Principal | null, method: string, canonicalPath: string): Decision;
}

const ADMIN = 1;
const SELF_SERVICE = 2;
const AUTH_REQUIRED = 4;

interface CompiledRoute {
  readonly method: string;
  readonly segments: readonly string[];
  flags: number;
}

interface PathEntry {
  readonly segments: readonly string[];
  readonly flagsByMethod: Map<string, number>;
}

// Bounds keep arbitrary input (a scanner's random paths) from growing the caches without limit;
// past them a lookup is still correct, it just recomputes.
const MAX_CACHED_PATHS = 2048;
const MAX_CACHED_METHODS = 32;

/**
 * Compiles the REST rule (docs/phoenix-contract.md#rest-rule) for a set of routes. Gatehouse's own routes are always
 * included, then the preset's (Phoenix's by default), then the options add the host app's own.
 *
 * Order, as in Phoenix: no principal → 401 `Invalid token`; authentication disabled →
 * allowed, except auth-required (API-key) routes → 403; a VIEWER using a method other than
 * GET/HEAD on a route that is not self-service → 403 (before the admin rule, so a viewer writing
 * to an admin route hears about being a viewer); an admin-only route for a non-admin → 403.
 * A SYSTEM-role API key is not an admin; the admin secret is.
 *
 * Throws a `ConfigError` listing every malformed route spec.
 */
export function createRestPolicy(options: RestPolicyOptions = {}): RestPolicy {
  const preset = presetOf(options.preset);
  const routes = compileRoutes(options, preset);
  const pathCache = new Map<string, PathEntry>();
  const methodCache = new Map<string, string>();

  const canonicalMethod = (method: string): string => {
    let canonical = methodCache.get(method);
    if (canonical === undefined) {
      canonical = method.toUpperCase();
      if (methodCache.size < MAX_CACHED_METHODS) methodCache.set(method, canonical);
    }
    return canonical;
  };

  const routeFlags = (method: string, pattern: string): number => {
    let entry = pathCache.get(pattern);
    if (entry === undefined) {
      entry = { segments: routeSegments(pattern), flagsByMethod: new Map() };
      if (pathCache.size < MAX_CACHED_PATHS) pathCache.set(pattern, entry);
    }
    let flags = entry.flagsByMethod.get(method);
    if (flags === undefined) {
      flags = matchFlags(routes, method, entry.segments);
      if (entry.flagsByMethod.size < MAX_CACHED_METHODS) entry.flagsByMethod.set(method, flags);
    }
    return flags;
  };

  // Concrete paths are many (one per id); the cache starts over when full so hot paths stay cached.
  const concreteCache = new Map<string, PathEntry>();
  const pathFlags = (method: string, path: string): number => {
    let entry = concreteCache.get(path);
    if (entry === undefined) {
      entry = { segments: path.split('/').filter((segment) => segment !== ''), flagsByMethod: new Map() };
      if (concreteCache.size >= MAX_CACHED_PATHS) concreteCache.clear();
      concreteCache.set(path, entry);
    }
    let flags = entry.flagsByMethod.get(method);
    if (flags === undefined) {
      flags = matchFlags(routes, method, entry.segments);
      if (entry.flagsByMethod.size < MAX_CACHED_METHODS) entry.flagsByMethod.set(method, flags);
    }
    return flags;
  };

  const decide = (principal: Principal | null, method: string, routePattern: string): Decision => {
    if (principal == null) return DECISIONS.unauthenticated;
    const verb = canonicalMethod(typeof method === 'string' ? method : '');
    return decideOnFlags(principal, verb, routeFlags(verb, typeof routePattern === 'string' ? routePattern : ''));
  };
  const decidePath = (principal: Principal | null, method: string, canonicalPath: string): Decision => {
    if (principal == null) return DECISIONS.unauthenticated;
    const verb = canonicalMethod(typeof method === 'string' ? method : '');
    return decideOnFlags(principal, verb, pathFlags(verb, canonicalPath));
  };

  const decideOnFlags = (principal: Principal, verb: string, flags: number): Decision => {
    if (principal.kind === 'anonymous') {
      return (flags & AUTH_REQUIRED) !== 0 ? DECISIONS.authDisabledApiKeys : DECISIONS.authDisabled;
    }
    if (verb !== 'GET' && verb !== 'HEAD' && (flags & SELF_SERVICE) === 0 && isViewer(principal)) {
      return DECISIONS.viewerReadOnly;
    }
    if ((flags & ADMIN) !== 0) return isAdmin(principal) ? DECISIONS.admin : DECISIONS.adminOnly;
    return (flags & SELF_SERVICE) !== 0 ? DECISIONS.selfService : DECISIONS.authenticated;
  };

  return Object.freeze({ preset: preset.name, decide, explain: decide, decidePath });
}

let defaultPolicy: RestPolicy | undefined;
const policiesByOptions = new WeakMap<RestPolicyOptions, RestPolicy>();

/**
 * One-shot form of `createRestPolicy(options).decide(...)`. Without options it uses the built-in
 * routes; with options the compiled policy is cached per options object, so pass the same object
 * each time (or better, keep the result of `createRestPolicy`).
 */
export function decideRest(
  principal: Principal | null,
  method: string,
  routePattern: string,
  options?: RestPolicyOptions,
): Decision {
  return policyFor(options).decide(principal, method, routePattern);
}

/** Same as `decideRest`: the decision already names its rule. */
export function explainRest(
  principal: Principal | null,
  method: string,
  routePattern: string,
  options?: RestPolicyOptions,
): Decision {
  return decideRest(principal, method, routePattern, options);
}

function policyFor(options: RestPolicyOptions | undefined): RestPolicy {
  if (options === undefined) return (defaultPolicy ??= createRestPolicy());
  let policy = policiesByOptions.get(options);
  if (policy === undefined) {
    policy = createRestPolicy(options);
    policiesByOptions.set(options, policy);
  }
  return policy;
}

function presetOf(preset: RestPolicyOptions['preset']): RoutePreset {
  if (preset === undefined) return ROUTE_PRESETS.phoenix;
  if (typeof preset === 'string') {
    if (Object.hasOwn(ROUTE_PRESETS, preset)) return ROUTE_PRESETS[preset];
    throw new ConfigError([
      {
        variable: 'preset',
        message: `unknown route preset ${JSON.stringify(preset)}; expected ${Object.keys(ROUTE_PRESETS).join(' or ')}, or a RoutePreset object`,
      },
    ]);
  }
  if (typeof preset !== 'object' || preset === null || typeof preset.name !== 'string' || preset.name === '') {
    throw new ConfigError([
      { variable: 'preset', message: 'expected a preset name or an object with a non-empty name and route lists' },
    ]);
  }
  return preset;
}

function compileRoutes(options: RestPolicyOptions, preset: RoutePreset): CompiledRoute[] {
  const byKey = new Map<string, CompiledRoute>();
  const issues: ConfigIssue[] = [];
  const add = (specs: readonly string[] | undefined, flag: number, variable: string): void => {
    if (specs === undefined) return;
    if (!Array.isArray(specs)) {
      issues.push({ variable, message: 'expected an array of "METHOD /path" strings' });
      return;
    }
    specs.forEach((spec: unknown, index) => {
      const parsed = typeof spec === 'string' ? parseRouteSpec(spec) : 'expected a "METHOD /path" string';
      if (typeof parsed === 'string') {
        issues.push({ variable: `${variable}[${index}]`, message: parsed });
        return;
      }
      const key = `${parsed.method} /${parsed.segments.join('/')}`;
      const existing = byKey.get(key);
      if (existing === undefined) byKey.set(key, { method: parsed.method, segments: parsed.segments, flags: flag });
      else existing.flags |= flag;
    });
  };
  add(GATEHOUSE_ADMIN_ROUTES, ADMIN, 'builtInAdminRoutes');
  add(GATEHOUSE_SELF_SERVICE_ROUTES, SELF_SERVICE, 'builtInSelfServiceRoutes');
  add(BUILT_IN_API_KEY_ROUTES, AUTH_REQUIRED, 'builtInApiKeyRoutes');
  add(preset.adminRoutes, ADMIN, `preset(${preset.name}).adminRoutes`);
  add(preset.selfServiceRoutes, SELF_SERVICE, `preset(${preset.name}).selfServiceRoutes`);
  add(preset.authRequiredRoutes, AUTH_REQUIRED, `preset(${preset.name}).authRequiredRoutes`);
  add(options.adminRoutes, ADMIN, 'adminRoutes');
  add(options.selfServiceRoutes, SELF_SERVICE, 'selfServiceRoutes');
  add(options.authRequiredRoutes, AUTH_REQUIRED, 'authRequiredRoutes');
  if (issues.length > 0) throw new ConfigError(issues);
  return [...byKey.values()];
}

/**
 * Flags of the route a router would dispatch to: among the declared routes matching the method
 * and the segments, the most specific one (a literal segment beats a parameter at the first place
 * they differ), with the flags of equally specific declarations (e.g. `GET` and `*`) combined.
 * A parameter in the input only matches a parameter in a declaration, so `/v1/users/{id}` never
 * takes on the rules of `/v1/users/api_keys`.
 */
function matchFlags(routes: readonly CompiledRoute[], method: string, segments: readonly string[]): number {
  let best: readonly string[] | null = null;
  let flags = 0;
  for (const route of routes) {
    if (!methodMatches(route.method, method)) continue;
    if (!segmentsMatch(route.segments, segments)) continue;
    const order = best === null ? 1 : compareSpecificity(route.segments, best);
    if (order > 0) {
      best = route.segments;
      flags = route.flags;
    } else if (order === 0) {
      flags |= route.flags;
    }
  }
  return flags;
}

// Most routers answer HEAD with the GET handler, so a GET route's rules bind HEAD as well.
function methodMatches(declared: string, method: string): boolean {
  return declared === '*' || declared === method || (method === 'HEAD' && declared === 'GET');
}

function segmentsMatch(declared: readonly string[], input: readonly string[]): boolean {
  if (declared.length !== input.length) return false;
  for (let i = 0; i < declared.length; i++) {
    const segment = declared[i];
    if (segment !== PARAM && segment !== input[i]) return false;
  }
  return true;
}

/** > 0 when `a` is more specific than `b`; both are assumed to match the same input. */
function compareSpecificity(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const aParam = a[i] === PARAM;
    const bParam = b[i] === PARAM;
    if (aParam !== bParam) return aParam ? -1 : 1;
  }
  return 0;
}
