import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTIONS,
  BUILT_IN_SELF_SERVICE_ROUTES,
  DECISIONS,
  PRINCIPAL_KINDS,
  ROLES,
  createRestPolicy,
  decide,
  decideRest,
  normaliseRoutePattern,
  type Action,
  type Principal,
} from '../../src/policy/index.js';

const KNOWN_DECISIONS = new Set(Object.values(DECISIONS));

const principalArb: fc.Arbitrary<Principal> = fc.record({
  kind: fc.constantFrom(...PRINCIPAL_KINDS),
  userId: fc.option(fc.nat({ max: 20 }), { nil: null }),
  role: fc.constantFrom(...ROLES),
});

const targetArb = fc.record(
  {
    userId: fc.nat({ max: 20 }),
    ownerId: fc.nat({ max: 20 }),
    isDefaultAdmin: fc.boolean(),
    isSystemUser: fc.boolean(),
  },
  { requiredKeys: [] },
);

// Segments drawn from the words the built-in routes use, parameter spellings and noise, so that
// random routes land near the interesting ones as well as far away.
const segmentArb = fc.oneof(
  fc.constantFrom('v1', 'users', 'user', 'api_keys', 'system', 'projects', 'secrets', 'chat', 'completions', 'traces'),
  fc.constantFrom('{id}', ':id', '{user_id}', ':x{[0-9]+}', '42'),
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/),
);
const pathArb = fc
  .array(segmentArb, { minLength: 0, maxLength: 5 })
  .chain((segments) => fc.constantFrom('', '/').map((tail) => `/${segments.join('/')}${tail}`));

/** Test-side oracle: does a router send `method path` to one of the built-in self-service routes? */
function isSelfServiceRoute(method: string, path: string): boolean {
  const input = normaliseRoutePattern(path).split('/');
  return BUILT_IN_SELF_SERVICE_ROUTES.some((spec) => {
    const [specMethod, specPath] = spec.split(' ') as [string, string];
    if (specMethod !== method.toUpperCase()) return false;
    const declared = normaliseRoutePattern(specPath).split('/');
    return declared.length === input.length && declared.every((segment, i) => segment === '{}' || segment === input[i]);
  });
}

function isRealAdmin(principal: Principal): boolean {
  return (
    principal.kind === 'admin_secret' ||
    ((principal.kind === 'session' || principal.kind === 'user_api_key') && principal.role === 'ADMIN')
  );
}

describe('policy properties', () => {
  it('a VIEWER never gets a non-GET/HEAD method on a non-self-service route', () => {
    const methodArb = fc.oneof(
      fc.constantFrom('POST', 'put', 'Patch', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', ''),
      fc.string({ maxLength: 10 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('session' as const, 'user_api_key' as const),
        fc.nat(),
        methodArb,
        pathArb,
        (kind, userId, method, path) => {
          const upper = method.toUpperCase();
          fc.pre(upper !== 'GET' && upper !== 'HEAD' && !isSelfServiceRoute(method, path));
          const decision = decideRest({ kind, userId, role: 'VIEWER' }, method, path);
          expect(decision.allowed).toBe(false);
          expect(decision).toBe(DECISIONS.viewerReadOnly);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('only admins (ADMIN role by session or key, or the admin secret) manage users', () => {
    const adminActions: Action[] = [
      'create_user',
      'delete_user',
      'change_other_password',
      'change_user_role',
      'list_users',
      'read_audit_events',
    ];
    fc.assert(
      fc.property(principalArb, fc.constantFrom(...adminActions), targetArb, (principal, action, target) => {
        if (decide(principal, action, target).allowed) expect(isRealAdmin(principal)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('a SYSTEM-role API key is never an admin and never mints keys', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ACTIONS), targetArb, pathArb, (action, target, path) => {
        const systemKey: Principal = { kind: 'system_api_key', userId: 1, role: 'SYSTEM' };
        const decision = decide(systemKey, action, target);
        expect(decision.rule).not.toBe('admin');
        if (action === 'create_own_user_key' || action === 'create_system_key') expect(decision.allowed).toBe(false);
        expect(decideRest(systemKey, 'POST', path).rule).not.toBe('admin');
      }),
      { numRuns: 1000 },
    );
  });

  it('decide always returns one of the shared decisions, and 401 exactly when there is no principal', () => {
    fc.assert(
      fc.property(
        fc.option(principalArb, { nil: null }),
        fc.constantFrom(...ACTIONS),
        targetArb,
        (principal, action, target) => {
          const decision = decide(principal, action, target);
          expect(KNOWN_DECISIONS.has(decision)).toBe(true);
          expect(decision.status === 401).toBe(principal === null);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decideRest never throws for arbitrary strings and always answers with a shared decision', () => {
    const policy = createRestPolicy({ adminRoutes: ['PUT /v1/things/{id}'] });
    fc.assert(
      fc.property(
        fc.option(principalArb, { nil: null }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), pathArb),
        (principal, method, path) => {
          const decision = decideRest(principal, method, path);
          expect(KNOWN_DECISIONS.has(decision)).toBe(true);
          expect(KNOWN_DECISIONS.has(policy.decide(principal, method, path))).toBe(true);
          if (principal === null) expect(decision).toBe(DECISIONS.unauthenticated);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('declared admin routes refuse every non-admin and admit every admin', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
        fc.array(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), { minLength: 1, maxLength: 4 }),
        principalArb,
        (method, segments, principal) => {
          fc.pre(principal.kind !== 'anonymous');
          const path = `/host/${segments.join('/')}`;
          const policy = createRestPolicy({ adminRoutes: [`${method} ${path}`] });
          const decision = policy.decide(principal, method, path);
          const viewerWrite =
            method !== 'GET' &&
            principal.role === 'VIEWER' &&
            principal.kind !== 'system_api_key' &&
            principal.kind !== 'admin_secret';
          if (viewerWrite) expect(decision).toBe(DECISIONS.viewerReadOnly);
          else expect(decision).toBe(isRealAdmin(principal) ? DECISIONS.admin : DECISIONS.adminOnly);
        },
      ),
      { numRuns: 300 },
    );
  });
});
