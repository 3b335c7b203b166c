import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS_PRINCIPAL,
  BUILT_IN_ADMIN_ROUTES,
  BUILT_IN_API_KEY_ROUTES,
  BUILT_IN_SELF_SERVICE_ROUTES,
  DECISIONS,
  adminSecretPrincipal,
  createRestPolicy,
  decideRest,
  explainRest,
  sessionPrincipal,
  systemApiKeyPrincipal,
  userApiKeyPrincipal,
  type RestPolicyOptions,
} from '../../src/policy/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { ADMIN_ID, MEMBER_ID, RULE_OUTCOME, SYSTEM_USER_ID, VIEWER_ID, expandRow } from './fixtures.js';

const admin = sessionPrincipal(ADMIN_ID, 'ADMIN');
const member = sessionPrincipal(MEMBER_ID, 'MEMBER');
const viewer = sessionPrincipal(VIEWER_ID, 'VIEWER');
const viewerKey = userApiKeyPrincipal(VIEWER_ID, 'VIEWER');
const memberKey = userApiKeyPrincipal(MEMBER_ID, 'MEMBER');
const systemKey = systemApiKeyPrincipal(SYSTEM_USER_ID);
const secret = adminSecretPrincipal(SYSTEM_USER_ID);

// Columns: session ADMIN, session MEMBER, session VIEWER, user key ADMIN, user key MEMBER,
// user key VIEWER, system key, admin secret, anonymous (auth off), no principal.
const SHAPES = {
  adminRead: [
    'admin',
    'admin-only',
    'admin-only',
    'admin',
    'admin-only',
    'admin-only',
    'admin-only',
    'admin',
    'auth-disabled',
    'unauthenticated',
  ],
  adminWrite: [
    'admin',
    'admin-only',
    'viewer-read-only',
    'admin',
    'admin-only',
    'viewer-read-only',
    'admin-only',
    'admin',
    'auth-disabled',
    'unauthenticated',
  ],
  adminKeyRead: [
    'admin',
    'admin-only',
    'admin-only',
    'admin',
    'admin-only',
    'admin-only',
    'admin-only',
    'admin',
    'auth-disabled-api-keys',
    'unauthenticated',
  ],
  adminKeyWrite: [
    'admin',
    'admin-only',
    'viewer-read-only',
    'admin',
    'admin-only',
    'viewer-read-only',
    'admin-only',
    'admin',
    'auth-disabled-api-keys',
    'unauthenticated',
  ],
  self: [
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'auth-disabled',
    'unauthenticated',
  ],
  selfKey: [
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'self-service',
    'auth-disabled-api-keys',
    'unauthenticated',
  ],
  read: [
    'authenticated',
    'authenticated',
    'authenticated',
    'authenticated',
    'authenticated',
    'authenticated',
    'authenticated',
    'authenticated',
    'auth-disabled',
    'unauthenticated',
  ],
  write: [
    'authenticated',
    'authenticated',
    'viewer-read-only',
    'authenticated',
    'authenticated',
    'viewer-read-only',
    'authenticated',
    'authenticated',
    'auth-disabled',
    'unauthenticated',
  ],
} as const;
type Shape = keyof typeof SHAPES;

// Every path of a built-in rule x every common method. Undeclared methods on a rule's path fall
// back to the plain read/write rule; HEAD inherits GET's rules (routers serve HEAD with GET).
const BUILT_IN_TABLE: ReadonlyArray<readonly [string, string, Shape]> = [
  ['GET', '/v1/users', 'adminRead'],
  ['HEAD', '/v1/users', 'adminRead'],
  ['GET', '/v1/audit_events', 'adminRead'],
  ['HEAD', '/v1/audit_events', 'adminRead'],
  ['POST', '/v1/users', 'adminWrite'],
  ['PUT', '/v1/users', 'write'],
  ['PATCH', '/v1/users', 'write'],
  ['DELETE', '/v1/users', 'write'],

  ['GET', '/v1/users/{id}', 'read'],
  ['HEAD', '/v1/users/{id}', 'read'],
  ['POST', '/v1/users/{id}', 'write'],
  ['PUT', '/v1/users/{id}', 'write'],
  ['PATCH', '/v1/users/{id}', 'adminWrite'],
  ['DELETE', '/v1/users/{id}', 'adminWrite'],

  ['GET', '/v1/user', 'self'],
  ['HEAD', '/v1/user', 'self'],
  ['POST', '/v1/user', 'write'],
  ['PUT', '/v1/user', 'write'],
  ['PATCH', '/v1/user', 'self'],
  ['DELETE', '/v1/user', 'write'],

  ['GET', '/v1/user/api_keys', 'selfKey'],
  ['HEAD', '/v1/user/api_keys', 'selfKey'],
  ['POST', '/v1/user/api_keys', 'selfKey'],
  ['PUT', '/v1/user/api_keys', 'write'],
  ['PATCH', '/v1/user/api_keys', 'write'],
  ['DELETE', '/v1/user/api_keys', 'write'],

  ['GET', '/v1/user/api_keys/{id}', 'read'],
  ['HEAD', '/v1/user/api_keys/{id}', 'read'],
  ['POST', '/v1/user/api_keys/{id}', 'write'],
  ['PUT', '/v1/user/api_keys/{id}', 'write'],
  ['PATCH', '/v1/user/api_keys/{id}', 'write'],
  ['DELETE', '/v1/user/api_keys/{id}', 'selfKey'],

  ['GET', '/v1/users/api_keys', 'adminKeyRead'],
  ['HEAD', '/v1/users/api_keys', 'adminKeyRead'],
  ['POST', '/v1/users/api_keys', 'write'],
  ['PUT', '/v1/users/api_keys', 'write'],
  // A router would dispatch these to /v1/users/{id}, so its admin rule applies.
  ['PATCH', '/v1/users/api_keys', 'adminWrite'],
  ['DELETE', '/v1/users/api_keys', 'adminWrite'],

  ['GET', '/v1/system/api_keys', 'adminKeyRead'],
  ['HEAD', '/v1/system/api_keys', 'adminKeyRead'],
  ['POST', '/v1/system/api_keys', 'adminKeyWrite'],
  ['PUT', '/v1/system/api_keys', 'write'],
  ['PATCH', '/v1/system/api_keys', 'write'],
  ['DELETE', '/v1/system/api_keys', 'write'],

  ['GET', '/v1/system/api_keys/{id}', 'read'],
  ['HEAD', '/v1/system/api_keys/{id}', 'read'],
  ['POST', '/v1/system/api_keys/{id}', 'write'],
  ['PUT', '/v1/system/api_keys/{id}', 'write'],
  ['PATCH', '/v1/system/api_keys/{id}', 'write'],
  ['DELETE', '/v1/system/api_keys/{id}', 'adminKeyWrite'],

  ['GET', '/v1/user/sessions', 'self'],
  ['HEAD', '/v1/user/sessions', 'self'],
  ['POST', '/v1/user/sessions', 'write'],
  ['DELETE', '/v1/user/sessions', 'self'],
  ['GET', '/v1/user/sessions/{id}', 'read'],
  ['PATCH', '/v1/user/sessions/{id}', 'write'],
  ['DELETE', '/v1/user/sessions/{id}', 'self'],

  ['GET', '/v1/users/{id}/sessions', 'adminRead'],
  ['HEAD', '/v1/users/{id}/sessions', 'adminRead'],
  ['POST', '/v1/users/{id}/sessions', 'write'],
  ['DELETE', '/v1/users/{id}/sessions', 'adminWrite'],

  ['GET', '/v1/projects/{id}', 'read'],
  ['HEAD', '/v1/projects/{id}', 'read'],
  ['POST', '/v1/projects/{id}', 'write'],
  ['PUT', '/v1/projects/{id}', 'adminWrite'],
  ['PATCH', '/v1/projects/{id}', 'write'],
  ['DELETE', '/v1/projects/{id}', 'adminWrite'],

  ['GET', '/v1/secrets', 'read'],
  ['HEAD', '/v1/secrets', 'read'],
  ['POST', '/v1/secrets', 'write'],
  ['PUT', '/v1/secrets', 'adminWrite'],
  ['PATCH', '/v1/secrets', 'write'],
  ['DELETE', '/v1/secrets', 'write'],

  ['GET', '/v1/chat/completions', 'read'],
  ['HEAD', '/v1/chat/completions', 'read'],
  ['POST', '/v1/chat/completions', 'self'],
  ['PUT', '/v1/chat/completions', 'write'],
  ['PATCH', '/v1/chat/completions', 'write'],
  ['DELETE', '/v1/chat/completions', 'write'],

  // Second factors: the caller's own (viewers included), and the admin reset.
  ['GET', '/v1/user/mfa', 'self'],
  ['POST', '/v1/user/mfa', 'write'],
  ['POST', '/v1/user/mfa/totp', 'self'],
  ['POST', '/v1/user/mfa/totp/confirm', 'self'],
  ['POST', '/v1/user/mfa/totp/remove', 'self'],
  ['POST', '/v1/user/mfa/recovery-codes', 'self'],
  ['DELETE', '/v1/users/{id}/mfa', 'adminWrite'],
  ['GET', '/v1/users/{id}/mfa', 'read'],
];

describe('decideRest: built-in routes x methods x principals', () => {
  it('the table covers every built-in rule', () => {
    const declared = [...BUILT_IN_ADMIN_ROUTES, ...BUILT_IN_SELF_SERVICE_ROUTES, ...BUILT_IN_API_KEY_ROUTES];
    const rows = new Set(BUILT_IN_TABLE.map(([method, path]) => `${method} ${path}`));
    for (const spec of declared) expect(rows).toContain(spec);
    expect(BUILT_IN_ADMIN_ROUTES).toHaveLength(15);
    expect(BUILT_IN_SELF_SERVICE_ROUTES).toHaveLength(14);
    expect(BUILT_IN_API_KEY_ROUTES).toHaveLength(7);
  });

  const cases = BUILT_IN_TABLE.flatMap(([method, path, shape]) => expandRow(`${method} ${path}`, SHAPES[shape]));

  it.each(cases)('%s by %s -> %s', (route, _label, principal, rule) => {
    const [method, path] = route.split(' ') as [string, string];
    const decision = decideRest(principal, method, path);
    expect(decision).toEqual({ rule, ...RULE_OUTCOME[rule]! });
    expect(explainRest(principal, method, path)).toBe(decision);
  });
});

describe("decideRest: the facts of Phoenix's test matrix (docs/phoenix-contract.md#rest-rule)", () => {
  it('a viewer writing to an admin-only route hears the viewer rule first', () => {
    expect(decideRest(viewer, 'POST', '/v1/users')).toEqual({
      allowed: false,
      status: 403,
      rule: 'viewer-read-only',
      message: 'This action requires the MEMBER or ADMIN role: viewers have read-only access.',
    });
    expect(decideRest(viewerKey, 'DELETE', '/v1/projects/{id}').rule).toBe('viewer-read-only');
  });

  it('unauthenticated is a 401 before any 403', () => {
    for (const [method, path] of [
      ['POST', '/v1/users'],
      ['DELETE', '/v1/traces/{id}'],
      ['GET', '/v1/projects'],
      ['POST', '/v1/user/api_keys'],
    ] as const) {
      expect(decideRest(null, method, path)).toEqual({
        allowed: false,
        status: 401,
        rule: 'unauthenticated',
        message: 'Authentication required',
      });
    }
  });

  it('a SYSTEM-role key is refused on admin routes but may write data', () => {
    expect(decideRest(systemKey, 'GET', '/v1/users')).toEqual({
      allowed: false,
      status: 403,
      rule: 'admin-only',
      message: 'This action requires the ADMIN role.',
    });
    expect(decideRest(systemKey, 'GET', '/v1/projects')).toBe(DECISIONS.authenticated);
    expect(decideRest(systemKey, 'POST', '/v1/traces')).toBe(DECISIONS.authenticated);
    expect(decideRest(systemKey, 'POST', '/v1/datasets/upload')).toBe(DECISIONS.authenticated);
  });

  it('the admin secret passes the admin rule', () => {
    expect(decideRest(secret, 'POST', '/v1/users')).toBe(DECISIONS.admin);
    expect(decideRest(secret, 'DELETE', '/v1/system/api_keys/{id}')).toBe(DECISIONS.admin);
  });

  it.each([
    ['POST', '/v1/user/api_keys'],
    ['DELETE', '/v1/user/api_keys/{id}'],
    ['POST', '/v1/chat/completions'],
    ['PATCH', '/v1/user'],
  ])('viewers may call the self-service route %s %s', (method, path) => {
    expect(decideRest(viewer, method, path)).toBe(DECISIONS.selfService);
    expect(decideRest(viewerKey, method, path)).toBe(DECISIONS.selfService);
  });

  // A representative slice of the 48 viewer-blocked writes.
  it.each([
    ['POST', '/v1/datasets/upload'],
    ['DELETE', '/v1/traces/{trace_identifier}'],
    ['POST', '/v1/projects'],
    ['PUT', '/v1/prompts/{prompt_identifier}'],
    ['POST', '/v1/prompts'],
    ['POST', '/v1/traces'],
    ['POST', '/v1/span_annotations'],
    ['POST', '/v1/trace_annotations'],
    ['POST', '/v1/document_annotations'],
    ['POST', '/v1/session_annotations'],
    ['POST', '/v1/span_notes'],
    ['DELETE', '/v1/spans/{span_identifier}'],
    ['POST', '/v1/projects/{project_identifier}/spans'],
    ['DELETE', '/v1/datasets/{id}'],
    ['POST', '/v1/datasets/{dataset_id}/experiments'],
    ['POST', '/v1/experiments/{experiment_id}/runs'],
    ['POST', '/v1/experiment_evaluations'],
    ['DELETE', '/v1/experiments/{experiment_id}'],
    ['DELETE', '/v1/sessions/{session_identifier}'],
    ['POST', '/v1/datasets/{id}/labels'],
    ['POST', '/v1/datasets/{id}/splits'],
    ['POST', '/v1/annotation_configs'],
    ['PUT', '/v1/annotation_configs/{config_id}'],
    ['DELETE', '/v1/annotation_configs/{config_id}'],
    ['PATCH', '/v1/prompts/{prompt_identifier}/tags'],
  ])('viewers are blocked from %s %s, members and admins are not', (method, path) => {
    expect(decideRest(viewer, method, path)).toBe(DECISIONS.viewerReadOnly);
    expect(decideRest(viewerKey, method, path)).toBe(DECISIONS.viewerReadOnly);
    expect(decideRest(member, method, path)).toBe(DECISIONS.authenticated);
    expect(decideRest(memberKey, method, path)).toBe(DECISIONS.authenticated);
    expect(decideRest(admin, method, path)).toBe(DECISIONS.authenticated);
  });

  it.each([
    ['GET', '/v1/projects'],
    ['GET', '/v1/projects/fake-id-x'],
    ['GET', '/v1/datasets/{id}'],
    ['GET', '/v1/prompts'],
    ['HEAD', '/v1/traces/{id}'],
  ])('common reads (%s %s) are allowed for every role', (method, path) => {
    for (const principal of [admin, member, viewer, viewerKey, systemKey, secret]) {
      expect(decideRest(principal, method, path).allowed).toBe(true);
    }
  });

  it('auth disabled: everything is allowed except the API-key routes', () => {
    expect(decideRest(ANONYMOUS_PRINCIPAL, 'DELETE', '/v1/users/{id}')).toBe(DECISIONS.authDisabled);
    expect(decideRest(ANONYMOUS_PRINCIPAL, 'PUT', '/v1/secrets')).toBe(DECISIONS.authDisabled);
    for (const spec of BUILT_IN_API_KEY_ROUTES) {
      const [method, path] = spec.split(' ') as [string, string];
      const decision = decideRest(ANONYMOUS_PRINCIPAL, method, path);
      expect(decision).toEqual({
        allowed: false,
        status: 403,
        rule: 'auth-disabled-api-keys',
        message: 'Authentication must be enabled to manage API keys',
      });
      expect(decision.message).toMatch(/authentication/i);
    }
  });
});

describe('decideRest: methods and pattern spellings', () => {
  it.each(['delete', 'Delete', 'DELETE', 'dElEtE'])('method %s is matched case-insensitively', (method) => {
    expect(decideRest(member, method, '/v1/users/{id}')).toBe(DECISIONS.adminOnly);
    expect(decideRest(viewer, method, '/v1/traces/{id}')).toBe(DECISIONS.viewerReadOnly);
  });

  it.each(['get', 'head', 'Get'])('safe method %s is a read for viewers', (method) => {
    expect(decideRest(viewer, method, '/v1/traces/{id}')).toBe(DECISIONS.authenticated);
  });

  it.each(['OPTIONS', 'TRACE', 'PURGE', ''])('any other method (%j) counts as a write for viewers', (method) => {
    expect(decideRest(viewer, method, '/v1/traces')).toBe(DECISIONS.viewerReadOnly);
    expect(decideRest(member, method, '/v1/traces')).toBe(DECISIONS.authenticated);
  });

  it.each([
    '/v1/users/{id}',
    '/v1/users/:id',
    '/v1/users/{user_id}',
    '/v1/users/:user_id/',
    '/v1/users/{id}/',
    '/v1/users/:id{[0-9]+}',
    '/V1/Users/:id',
    '//v1//users//:id//',
    '/v1/users/:id?force=true',
    '/v1/users/42',
    '/v1/users/VXNlcjox',
  ])('%s is DELETE /v1/users/{id}', (pattern) => {
    expect(decideRest(member, 'DELETE', pattern)).toBe(DECISIONS.adminOnly);
    expect(decideRest(viewer, 'DELETE', pattern)).toBe(DECISIONS.viewerReadOnly);
    expect(decideRest(admin, 'DELETE', pattern)).toBe(DECISIONS.admin);
  });

  it('a parameter never takes on the rules of a literal route next to it', () => {
    // GET /v1/users/api_keys is admin-only; GET /v1/users/{id} is not.
    expect(decideRest(member, 'GET', '/v1/users/:id')).toBe(DECISIONS.authenticated);
    expect(decideRest(member, 'GET', '/v1/users/api_keys/')).toBe(DECISIONS.adminOnly);
    expect(decideRest(member, 'GET', '/v1/users/API_KEYS')).toBe(DECISIONS.adminOnly);
  });

  it('concrete paths of self-service routes are recognised', () => {
    expect(decideRest(viewer, 'DELETE', '/v1/user/api_keys/VXNlckFwaUtleTox')).toBe(DECISIONS.selfService);
    expect(decideRest(viewer, 'POST', '/v1/user/api_keys/')).toBe(DECISIONS.selfService);
  });

  it('returns identical constants on repeated calls (nothing is built per call)', () => {
    const first = decideRest(member, 'DELETE', '/v1/users/:id');
    for (let i = 0; i < 5; i++) expect(decideRest(member, 'delete', '/v1/users/:id')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('stays correct past its cache bounds', () => {
    const policy = createRestPolicy();
    for (let i = 0; i < 3000; i++)
      expect(policy.decide(viewer, 'POST', `/v1/things/${i}/x${i}`)).toBe(DECISIONS.viewerReadOnly);
    for (let i = 0; i < 40; i++) expect(policy.decide(member, `M${i}`, '/v1/users')).toBe(DECISIONS.authenticated);
    expect(policy.decide(member, 'POST', '/v1/users')).toBe(DECISIONS.adminOnly);
    expect(policy.decide(member, 'DELETE', '/v1/users/77')).toBe(DECISIONS.adminOnly);
  });
});

describe('createRestPolicy: host routes', () => {
  const options: RestPolicyOptions = {
    adminRoutes: ['PUT /v1/things/{id}', 'delete /v1/things/:thing_id/', '* /v1/admin/{section}'],
    selfServiceRoutes: ['POST /v1/things/{id}/star', 'PATCH /v1/me/preferences'],
    authRequiredRoutes: ['GET /v1/tokens'],
  };
  const policy = createRestPolicy(options);

  it('applies host admin routes, whatever the parameter spelling', () => {
    expect(policy.decide(member, 'PUT', '/v1/things/:id')).toBe(DECISIONS.adminOnly);
    expect(policy.decide(member, 'DELETE', '/v1/things/{thing}')).toBe(DECISIONS.adminOnly);
    expect(policy.decide(systemKey, 'PUT', '/v1/things/{id}')).toBe(DECISIONS.adminOnly);
    expect(policy.decide(admin, 'PUT', '/v1/things/{id}')).toBe(DECISIONS.admin);
    expect(policy.decide(secret, 'PUT', '/v1/things/{id}')).toBe(DECISIONS.admin);
    expect(policy.decide(member, 'GET', '/v1/things/{id}')).toBe(DECISIONS.authenticated);
    expect(policy.decide(viewer, 'PUT', '/v1/things/{id}')).toBe(DECISIONS.viewerReadOnly);
  });

  it('applies a `*` method to every method, GET included', () => {
    for (const method of ['GET', 'HEAD', 'POST', 'PATCH']) {
      expect(policy.decide(member, method, '/v1/admin/:section')).toBe(DECISIONS.adminOnly);
    }
    expect(policy.decide(viewer, 'GET', '/v1/admin/{section}')).toBe(DECISIONS.adminOnly);
  });

  it('applies host self-service routes', () => {
    expect(policy.decide(viewer, 'POST', '/v1/things/:id/star')).toBe(DECISIONS.selfService);
    expect(policy.decide(viewer, 'PATCH', '/v1/me/preferences/')).toBe(DECISIONS.selfService);
    expect(policy.decide(viewer, 'DELETE', '/v1/things/:id/star')).toBe(DECISIONS.viewerReadOnly);
  });

  it('applies host auth-required routes when auth is disabled', () => {
    expect(policy.decide(ANONYMOUS_PRINCIPAL, 'GET', '/v1/tokens')).toBe(DECISIONS.authDisabledApiKeys);
    expect(policy.decide(ANONYMOUS_PRINCIPAL, 'PUT', '/v1/things/{id}')).toBe(DECISIONS.authDisabled);
  });

  it('keeps the built-in routes', () => {
    expect(policy.decide(member, 'GET', '/v1/users')).toBe(DECISIONS.adminOnly);
    expect(policy.explain(viewer, 'POST', '/v1/chat/completions')).toBe(DECISIONS.selfService);
  });

  it('does not leak host routes into the default policy', () => {
    expect(decideRest(member, 'PUT', '/v1/things/{id}')).toBe(DECISIONS.authenticated);
    expect(decideRest(member, 'PUT', '/v1/things/{id}', options)).toBe(DECISIONS.adminOnly);
    expect(decideRest(member, 'PUT', '/v1/things/{id}', { adminRoutes: ['PUT /v1/things/:x'] })).toBe(
      DECISIONS.adminOnly,
    );
  });

  it('reports every malformed spec at once', () => {
    let caught: unknown;
    try {
      createRestPolicy({
        adminRoutes: ['/v1/no-method', 'PUT v1/no-slash', 'GET /v1/ok'],
        selfServiceRoutes: ['P0ST /v1/x', 42 as unknown as string],
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues).toEqual([
      { variable: 'adminRoutes[0]', message: 'expected "METHOD /path", got "/v1/no-method"' },
      { variable: 'adminRoutes[1]', message: 'invalid path "v1/no-slash" in "PUT v1/no-slash"' },
      { variable: 'selfServiceRoutes[0]', message: 'invalid method "P0ST" in "P0ST /v1/x"' },
      { variable: 'selfServiceRoutes[1]', message: 'expected a "METHOD /path" string' },
    ]);
  });
});
