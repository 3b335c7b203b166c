/**
 * The REST rule (docs/phoenix-contract.md#rest-rule) for arbitrary method × path × principal: it never throws, answers
 * with one of the shared decisions, and however a route is spelled (case, slashes, query, parameter
 * names, concrete ids) a viewer cannot write outside self-service routes and nobody but an admin
 * passes an admin-only route. Host-declared admin routes are held to the same rule.
 */
import {
  ANONYMOUS_PRINCIPAL,
  ConfigError,
  DECISIONS,
  type Decision,
  type Principal,
  ROLES,
  adminSecretPrincipal,
  createRestPolicy,
  decideRest,
  sessionPrincipal,
  systemApiKeyPrincipal,
  userApiKeyPrincipal,
} from '@gatehouse-auth/core';
import {
  BUILT_IN_ADMIN_ROUTES,
  BUILT_IN_API_KEY_ROUTES,
  BUILT_IN_SELF_SERVICE_ROUTES,
} from '@gatehouse-auth/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIMEOUT_MS, runs } from './runs.js';

/** Admin-only operations listed in docs/phoenix-contract.md#rest-rule (Gatehouse may add more, never drop one). */
const REFERENCE_ADMIN_ROUTES = [
  'GET /v1/users',
  'POST /v1/users',
  'DELETE /v1/users/{id}',
  'PUT /v1/projects/{id}',
  'DELETE /v1/projects/{id}',
  'PUT /v1/secrets',
  'GET /v1/users/api_keys',
  'GET /v1/system/api_keys',
  'POST /v1/system/api_keys',
  'DELETE /v1/system/api_keys/{id}',
];
/** Writes the REST rule lets viewers make. */
const REFERENCE_VIEWER_WRITES = [
  'POST /v1/user/api_keys',
  'DELETE /v1/user/api_keys/{id}',
  'POST /v1/chat/completions',
];
/** Routes with no rule of their own: any authenticated role may read, non-viewers may write. */
const ORDINARY_ROUTES = [
  'GET /v1/projects',
  'POST /v1/projects',
  'GET /v1/projects/{id}',
  'PATCH /v1/projects/{id}',
  'POST /v1/datasets/{id}/examples',
  'DELETE /v1/datasets/{id}',
  'POST /v1/traces',
  'POST /v1/spans/{id}/notes',
  'GET /v1/users/{id}',
  'PUT /v1/users/{id}/password',
  'GET /v1/secrets',
  'OPTIONS /v1/projects',
];
const ROUTES = [
  ...new Set([
    ...BUILT_IN_ADMIN_ROUTES,
    ...BUILT_IN_SELF_SERVICE_ROUTES,
    ...BUILT_IN_API_KEY_ROUTES,
    ...ORDINARY_ROUTES,
  ]),
];

const DECISION_SET = new Set<Decision>(Object.values(DECISIONS));
const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', 'PROPFIND', ''];

const principal: fc.Arbitrary<Principal | null> = fc.oneof(
  fc.constant(null),
  fc.constant(ANONYMOUS_PRINCIPAL),
  fc.tuple(fc.nat(), fc.constantFrom(...ROLES)).map(([id, role]) => sessionPrincipal(id, role)),
  fc.tuple(fc.nat(), fc.constantFrom(...ROLES)).map(([id, role]) => userApiKeyPrincipal(id, role)),
  fc.nat().map(systemApiKeyPrincipal),
  fc.nat().map(adminSecretPrincipal),
);

const isAdmin = (p: Principal) =>
  p.kind === 'admin_secret' || ((p.kind === 'session' || p.kind === 'user_api_key') && p.role === 'ADMIN');
const isViewer = (p: Principal) => (p.kind === 'session' || p.kind === 'user_api_key') && p.role === 'VIEWER';

/** Which lists a canonical `METHOD /path` is on; HEAD is answered like GET. */
function listed(method: string, path: string, list: readonly string[]): boolean {
  const upper = method.toUpperCase();
  return (
    list.includes(`${upper} ${path}`) ||
    list.includes(`* ${path}`) ||
    (upper === 'HEAD' && list.includes(`GET ${path}`))
  );
}

/** The REST rule in its order: 401, auth off, viewer writes, admin-only, then allowed. */
function expectedDecision(who: Principal | null, method: string, path: string): Decision {
  if (who === null) return DECISIONS.unauthenticated;
  const selfService = listed(method, path, BUILT_IN_SELF_SERVICE_ROUTES);
  if (who.kind === 'anonymous')
    return listed(method, path, BUILT_IN_API_KEY_ROUTES) ? DECISIONS.authDisabledApiKeys : DECISIONS.authDisabled;
  const upper = method.toUpperCase();
  if (upper !== 'GET' && upper !== 'HEAD' && !selfService && isViewer(who)) return DECISIONS.viewerReadOnly;
  if (listed(method, path, BUILT_IN_ADMIN_ROUTES)) return isAdmin(who) ? DECISIONS.admin : DECISIONS.adminOnly;
  return selfService ? DECISIONS.selfService : DECISIONS.authenticated;
}

/** A concrete id never spelled like a literal segment of another route. */
const concreteId = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcXYZ0189-_'), minLength: 1, maxLength: 8 }).map((id) => `id${id}`),
  fc.constantFrom('42', 'ü', '..', '.', '%2F', '%2e%2e', 'a%2Fb', 'UVNlcjox', '\u0000', '💥', 'x'.repeat(10_000)),
);
const paramSpelling = fc.oneof(fc.constantFrom('{id}', ':id', '{user_id}', ':id{[0-9]+}', '{}'), concreteId);

/** One route spelled the way some router or client might: any case, extra slashes, query, fragment. */
const spelledRoute = fc
  .tuple(
    fc.constantFrom(...ROUTES),
    fc.array(paramSpelling, { minLength: 3, maxLength: 3 }),
    fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    fc.constantFrom('', '/', '//', '?x=1', '/?a=/v1/users#x', '#/v1/users', '?'),
    fc.constantFrom('', '/', '//'),
  )
  .map(([spec, params, upper, suffix, leading]) => {
    const [method = '', path = ''] = spec.split(' ');
    let next = 0;
    const segments = path
      .split('/')
      .filter(Boolean)
      .map((segment, i) => {
        if (segment === '{id}') return params[next++] ?? '{id}';
        return upper[i] === true ? segment.toUpperCase() : segment;
      });
    const spelledMethod = upper[7] === true ? method.toLowerCase() : method;
    return {
      method,
      path,
      spelledMethod,
      spelled: `${leading}${segments.join(upper[6] === true ? '//' : '/')}${suffix}`,
    };
  });

const anyMethod = fc.oneof(
  fc.constantFrom('GET', 'get', 'Head', 'HEAD', ...WRITE_METHODS, 'pOsT', 'GET ', ' GET', 'G\u0000ET', 'ǴET'),
  fc.string({ maxLength: 10 }),
);
const anyPath = fc.oneof(
  spelledRoute.map(({ spelled }) => spelled),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((text) => `/v1/${text}`),
  fc.string({
    unit: fc.constantFrom(
      '/',
      'v1',
      'users',
      'USERS',
      'api_keys',
      '..',
      '.',
      '%2F',
      '%2f',
      '?',
      '#',
      ':id',
      '{id}',
      '{',
      '}',
      '\\',
      ' ',
    ),
    maxLength: 12,
  }),
  fc.constantFrom(
    '',
    '/',
    '//',
    '/v1/users/..',
    '/v1/users/x/..',
    '/v1/users%2Fapi_keys',
    `/v1/${'a/'.repeat(50_000)}`,
    '/v1/users\u0000',
    '/v1/users\uFF0Fapi_keys',
  ),
);

describe('REST rule (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('answers every method × path × principal with a shared decision, the same every time, from any policy instance', () => {
    const longLived = createRestPolicy();
    fc.assert(
      fc.property(principal, anyMethod, anyPath, (who, method, path) => {
        const decision = longLived.decide(who, method, path);
        expect(DECISION_SET.has(decision)).toBe(true);
        expect(longLived.decide(who, method, path)).toBe(decision);
        expect(createRestPolicy().decide(who, method, path)).toBe(decision);
        expect(decideRest(who, method, path)).toBe(decision);
        if (who === null) expect(decision).toBe(DECISIONS.unauthenticated);
        else if (who.kind === 'anonymous')
          expect([DECISIONS.authDisabled, DECISIONS.authDisabledApiKeys]).toContain(decision);
        if (decision === DECISIONS.admin) expect(who !== null && isAdmin(who)).toBe(true);
        const upper = method.toUpperCase();
        if (who !== null && isViewer(who) && upper !== 'GET' && upper !== 'HEAD') {
          expect([DECISIONS.viewerReadOnly, DECISIONS.selfService]).toContain(decision);
        }
      }),
      runs(1000),
    );
  });

  it('decides every spelling of a route as the REST rule decides the route itself', () => {
    fc.assert(
      fc.property(principal, spelledRoute, fc.boolean(), (who, route, head) => {
        // HEAD rides on GET routes; another method would be another route (`DELETE /v1/users/api_keys` is `/v1/users/{id}`).
        const method = head && route.method === 'GET' ? 'HEAD' : route.spelledMethod;
        const expected = expectedDecision(who, method, route.path);
        expect(decideRest(who, method, route.spelled), `${method} ${route.spelled}`).toBe(expected);
        // With authentication on, admin-only routes admit admins only (auth off skips the rule).
        if (
          expected.allowed &&
          who !== null &&
          who.kind !== 'anonymous' &&
          listed(method, route.path, BUILT_IN_ADMIN_ROUTES)
        ) {
          expect(isAdmin(who)).toBe(true);
        }
      }),
      runs(3000, {
        examples: [
          [
            sessionPrincipal(2, 'MEMBER'),
            { method: 'GET', path: '/v1/users', spelledMethod: 'get', spelled: '//V1//Users//?x=1' },
            false,
          ],
          [
            sessionPrincipal(3, 'VIEWER'),
            { method: 'DELETE', path: '/v1/users/{id}', spelledMethod: 'delete', spelled: '/v1/users/..' },
            false,
          ],
          [
            userApiKeyPrincipal(4, 'MEMBER'),
            { method: 'GET', path: '/v1/users/api_keys', spelledMethod: 'GET', spelled: '/v1/USERS/API_KEYS#x' },
            true,
          ],
          [
            systemApiKeyPrincipal(1),
            { method: 'PUT', path: '/v1/secrets', spelledMethod: 'PUT', spelled: '/v1/secrets/' },
            false,
          ],
        ],
      }),
    );
  });

  it('keeps every admin-only route of the REST rule admin-only, and every viewer write it allows', () => {
    for (const route of REFERENCE_ADMIN_ROUTES) expect(BUILT_IN_ADMIN_ROUTES).toContain(route);
    for (const route of REFERENCE_VIEWER_WRITES) expect(BUILT_IN_SELF_SERVICE_ROUTES).toContain(route);
  });

  it('gives the same answers after a scanner has filled its caches with thousands of odd paths and methods', () => {
    const policy = createRestPolicy();
    const member = sessionPrincipal(7, 'MEMBER');
    const noise = fc.sample(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 30 })), {
      numRuns: 3000,
      seed: 7,
    });
    for (const [method, path] of noise) policy.decide(member, method, `/v1/${path}`);
    fc.assert(
      fc.property(principal, spelledRoute, (who, route) => {
        expect(policy.decide(who, route.spelledMethod, route.spelled)).toBe(
          expectedDecision(who, route.method, route.path),
        );
      }),
      runs(1000),
    );
  });

  it('holds host-declared admin routes to the admin rule, and refuses malformed specs with a ConfigError only', () => {
    const spec = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('GET', 'put', '*', 'Delete'),
          fc.constantFrom('/v1/things', '/v1/things/{id}', '/V1/Things/:thing_id/', '/v1/things/{id}/parts'),
        )
        .map(([method, path]) => `${method} ${path}`),
      fc.string({ maxLength: 20 }),
      fc.constantFrom('', 'GET', 'GET v1/things', 'G3T /x', 'GET /a b', '  PUT   /v1/x  '),
    );
    fc.assert(
      fc.property(
        fc.array(spec, { maxLength: 4 }),
        principal,
        fc.constantFrom(...WRITE_METHODS.slice(0, 4), 'GET'),
        (adminRoutes, who, method) => {
          let policy: ReturnType<typeof createRestPolicy>;
          try {
            policy = createRestPolicy({ adminRoutes });
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect((error as ConfigError).issues.every((issue) => issue.variable.startsWith('adminRoutes['))).toBe(
              true,
            );
            return;
          }
          for (const declared of adminRoutes) {
            const [declaredMethod = '', path = ''] = declared.trim().split(/\s+/);
            if (declaredMethod !== '*' && declaredMethod.toUpperCase() !== method) continue;
            const decision = policy.decide(who, method, path.replace(/\{id\}|:thing_id/g, 'id-1'));
            if (decision.allowed && who !== null && who.kind !== 'anonymous') expect(isAdmin(who)).toBe(true);
          }
        },
      ),
      runs(1000),
    );
  });
});
