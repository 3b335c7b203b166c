import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IdpConfig, parseAuthEnv } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { type AccessDecision, normalizeGroups, normalizeRoleValue, resolveAccess } from '../../src/oauth2/index.js';

function envFor(settings: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: 'accesstestsecret0123456789abcdefghijk',
    PHOENIX_OAUTH2_TEST_CLIENT_ID: 'client-id',
    PHOENIX_OAUTH2_TEST_CLIENT_SECRET: 'client-secret',
    PHOENIX_OAUTH2_TEST_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
  };
  for (const [suffix, value] of Object.entries(settings)) env[`PHOENIX_OAUTH2_TEST_${suffix}`] = value;
  return env;
}

/** The IdP `test`, parsed by the real config parser; `settings` are `PHOENIX_OAUTH2_TEST_<suffix>`. */
function idp(settings: Record<string, string> = {}): IdpConfig {
  const [only] = parseAuthEnv(envFor(settings)).oauth2.idps;
  return only!;
}

const groupsIdp = (allowed: string, path = 'groups') => idp({ GROUPS_ATTRIBUTE_PATH: path, ALLOWED_GROUPS: allowed });
const roleIdp = (path: string, extra: Record<string, string> = {}) => idp({ ROLE_ATTRIBUTE_PATH: path, ...extra });
const MAPPING = 'Owner:ADMIN,Developer:MEMBER,Reader:VIEWER';

function granted(decision: AccessDecision): string | null {
  if (!decision.allowed) throw new Error(`expected access, got: ${decision.reason}`);
  return decision.role;
}

function denied(decision: AccessDecision): string {
  if (decision.allowed) throw new Error(`expected a denial, got role ${String(decision.role)}`);
  return decision.reason;
}

describe('normalizeGroups (docs/phoenix-contract.md#oauth2-groups-and-roles)', () => {
  it('turns a string into a one-item list, kept exactly', () => {
    expect(normalizeGroups('admins')).toEqual(['admins']);
    expect(normalizeGroups(' Admins ')).toEqual([' Admins ']);
    expect(normalizeGroups('')).toEqual(['']);
  });

  it('prints numbers and booleans the way Python does', () => {
    expect(normalizeGroups(1)).toEqual(['1']);
    expect(normalizeGroups(true)).toEqual(['True']);
    expect(normalizeGroups(false)).toEqual(['False']);
    expect(normalizeGroups(2.5)).toEqual(['2.5']);
    expect(normalizeGroups(1e21)).toEqual(['1000000000000000000000']);
  });

  it('keeps the scalar items of a list, stringified, and skips nested lists and objects', () => {
    expect(normalizeGroups(['a', 1, true, null, ['nested'], { name: 'x' }, 2.5, ''])).toEqual([
      'a',
      '1',
      'True',
      '2.5',
      '',
    ]);
  });

  it('gives nothing for anything else', () => {
    for (const value of [undefined, null, {}, { groups: ['a'] }, []]) expect(normalizeGroups(value)).toEqual([]);
  });

  it('property: a list of strings comes back unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (groups) => {
        expect(normalizeGroups(groups)).toEqual(groups);
      }),
    );
  });

  it('property: only strings come out, never more than went in', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const groups = normalizeGroups(value);
        expect(groups.every((group) => typeof group === 'string')).toBe(true);
        expect(groups.length).toBeLessThanOrEqual(Array.isArray(value) ? value.length : 1);
      }),
    );
  });
});

describe('normalizeRoleValue (docs/phoenix-contract.md#oauth2-groups-and-roles)', () => {
  it.each([
    [' admin ', 'admin'],
    ['Owner', 'Owner'],
    ['', null],
    ['   ', null],
    [1, '1'],
    [true, 'True'],
    [['Owner', 'Reader'], 'Owner'],
    [[' Owner '], 'Owner'],
    [[5], '5'],
    [[false], 'False'],
    [[' ', 'ADMIN'], null],
    [[['ADMIN']], null],
    [[{ role: 'ADMIN' }], null],
    [[], null],
    [{ role: 'ADMIN' }, null],
    [null, null],
    [undefined, null],
  ])('%j → %j', (value, expected) => {
    expect(normalizeRoleValue(value)).toBe(expected);
  });

  it('property: never blank and never padded', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const role = normalizeRoleValue(value);
        if (role !== null) expect(role).toBe(role.trim() === '' ? null : role.trim());
      }),
    );
  });
});

describe('resolveAccess: the group gate (docs/phoenix-contract.md#oauth2-groups-and-roles)', () => {
  it('lets everybody through when no groups are configured', () => {
    expect(granted(resolveAccess({}, idp()))).toBeNull();
  });

  it('grants when any group is allowed', () => {
    const decision = resolveAccess({ groups: ['viewers', 'admins'] }, groupsIdp('admins,owners'));
    expect(granted(decision)).toBeNull();
    expect(decision.reason).toContain("'admins'");
  });

  it('accepts a single string as the group claim', () => {
    expect(granted(resolveAccess({ groups: 'admins' }, groupsIdp('admins')))).toBeNull();
  });

  it.each([
    ['no allowed group', { groups: ['viewers'] }],
    ['a missing claim', {}],
    ['an empty list', { groups: [] }],
    ['only an empty string', { groups: [''] }],
    ['another case', { groups: ['Admins', 'ADMINS'] }],
    ['surrounding whitespace', { groups: [' admins', 'admins '] }],
    ['a control character', { groups: ['admins\u0000', '\u200badmins'] }],
    ['a Cyrillic look-alike', { groups: ['\u0430dmins'] }],
    ['the group in a nested list', { groups: [['admins']] }],
    ['the group in an object', { groups: [{ name: 'admins' }] }],
  ])('denies with %s', (_what, claims) => {
    expect(denied(resolveAccess(claims, groupsIdp('admins')))).toMatch(/^Access denied/);
  });

  it('denies when the path names a claim that is not there', () => {
    expect(denied(resolveAccess({ groups: ['admins'] }, groupsIdp('admins', 'memberOf')))).toContain("'memberOf'");
  });

  it('matches numbers and booleans by their Python string form', () => {
    expect(granted(resolveAccess({ groups: [1, true] }, groupsIdp('1')))).toBeNull();
    expect(granted(resolveAccess({ groups: [1, true] }, groupsIdp('True')))).toBeNull();
    denied(resolveAccess({ groups: [true] }, groupsIdp('true')));
  });

  it.each([
    ['"https://myapp.com/groups"', { 'https://myapp.com/groups': ['admins'] }],
    ['"cognito:groups"', { 'cognito:groups': ['admins'] }],
    ['realm_access.groups', { realm_access: { groups: ['admins'] } }],
    ['groups[*].name', { groups: [{ name: 'viewers' }, { name: 'admins' }] }],
  ])('reads groups at %s', (path, claims) => {
    expect(granted(resolveAccess(claims, groupsIdp('admins', path)))).toBeNull();
    denied(resolveAccess({ groups: ['admins'] }, groupsIdp('admins', path)));
  });

  it('treats a JMESPath runtime error as a missing claim', () => {
    expect(denied(resolveAccess({}, groupsIdp('admins', 'sort(groups)')))).toMatch(/no groups found/);
    expect(granted(resolveAccess({ groups: ['admins'] }, groupsIdp('admins', 'sort(groups)')))).toBeNull();
  });

  it('finds the allowed group among many, and names only the first ten when denying', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `group-${i}`);
    expect(granted(resolveAccess({ groups: [...many, 'admins'] }, groupsIdp('admins')))).toBeNull();
    const reason = denied(resolveAccess({ groups: many }, groupsIdp('admins')));
    expect(reason).toContain("'group-9'");
    expect(reason).not.toContain("'group-10'");
    expect(reason).toContain('990 more');
  });

  it('escapes control characters in group names it reports', () => {
    expect(denied(resolveAccess({ groups: ['evil\nINFO forged line'] }, groupsIdp('admins')))).not.toContain('\n');
  });

  it('runs before the role: a group denial wins over a strict role denial', () => {
    const config = idp({
      GROUPS_ATTRIBUTE_PATH: 'groups',
      ALLOWED_GROUPS: 'admins',
      ROLE_ATTRIBUTE_PATH: 'role',
      ROLE_ATTRIBUTE_STRICT: 'true',
    });
    expect(denied(resolveAccess({ groups: ['viewers'] }, config))).toMatch(/groups/);
    expect(denied(resolveAccess({ groups: ['admins'] }, config))).toMatch(/role/);
    const both = resolveAccess({ groups: ['admins'], role: 'member' }, config);
    expect(granted(both)).toBe('MEMBER');
    expect(both.reason).toMatch(/'admins'.*; .*'member'/);
  });
});

describe('resolveAccess: the role (docs/phoenix-contract.md#oauth2-groups-and-roles)', () => {
  it('gives no role (null) without ROLE_ATTRIBUTE_PATH, whatever the claims say', () => {
    const decision = resolveAccess({ role: 'ADMIN', roles: ['ADMIN'] }, idp());
    expect(granted(decision)).toBeNull();
    expect(decision.reason).toContain('ROLE_ATTRIBUTE_PATH');
  });

  it.each([
    ['admin', 'ADMIN'],
    ['Member', 'MEMBER'],
    [' viewer ', 'VIEWER'],
    [['admin', 'viewer'], 'ADMIN'],
  ])('without a mapping, uses %j upper-cased when it is a role', (role, expected) => {
    expect(granted(resolveAccess({ role }, roleIdp('role')))).toBe(expected);
  });

  it('reads a nested role list (Keycloak resource_access.phoenix.roles) by its first element', () => {
    const config = roleIdp('resource_access.phoenix.roles');
    expect(granted(resolveAccess({ resource_access: { phoenix: { roles: ['member', 'admin'] } } }, config))).toBe(
      'MEMBER',
    );
  });

  it('reads a namespaced role claim', () => {
    expect(granted(resolveAccess({ 'https://myapp.com/role': 'admin' }, roleIdp('"https://myapp.com/role"')))).toBe(
      'ADMIN',
    );
  });

  it('maps IdP roles exactly and case-sensitively', () => {
    const config = roleIdp('role', { ROLE_MAPPING: MAPPING });
    expect(granted(resolveAccess({ role: 'Owner' }, config))).toBe('ADMIN');
    expect(granted(resolveAccess({ role: 'Developer' }, config))).toBe('MEMBER');
    expect(granted(resolveAccess({ role: 'Reader' }, config))).toBe('VIEWER');
    expect(granted(resolveAccess({ role: ' Owner ' }, config))).toBe('ADMIN'); // the value is trimmed first
    expect(granted(resolveAccess({ role: 'owner' }, config))).toBe('VIEWER');
    expect(granted(resolveAccess({ role: 'OWNER' }, config))).toBe('VIEWER');
  });

  it('with a mapping, a raw Phoenix role name that is not a key is just unmapped', () => {
    expect(granted(resolveAccess({ role: 'ADMIN' }, roleIdp('role', { ROLE_MAPPING: MAPPING })))).toBe('VIEWER');
    denied(resolveAccess({ role: 'ADMIN' }, roleIdp('role', { ROLE_MAPPING: MAPPING, ROLE_ATTRIBUTE_STRICT: 'true' })));
  });

  it('maps numbers and booleans by their Python string form', () => {
    const config = roleIdp('role', { ROLE_MAPPING: '1:ADMIN,True:MEMBER' });
    expect(granted(resolveAccess({ role: 1 }, config))).toBe('ADMIN');
    expect(granted(resolveAccess({ role: [true] }, config))).toBe('MEMBER');
  });

  const fallbacks: [string, Record<string, string>, Record<string, unknown>][] = [
    ['a missing role', {}, {}],
    ['a blank role', {}, { role: '  ' }],
    ['an empty role list', {}, { role: [] }],
    ['a role object', {}, { role: { name: 'admin' } }],
    ['an unmapped role', { ROLE_MAPPING: MAPPING }, { role: 'Stranger' }],
    ['a role that is no Phoenix role', {}, { role: 'superuser' }],
    ['SYSTEM', {}, { role: 'SYSTEM' }],
    ['system', {}, { role: 'system' }],
    ['a runtime JMESPath error', { ROLE_ATTRIBUTE_PATH: 'unknown_fn(role)' }, { role: 'admin' }],
  ];

  it.each(fallbacks)('non-strict: %s gives VIEWER', (_what, settings, claims) => {
    const decision = resolveAccess(claims, roleIdp('role', settings));
    expect(granted(decision)).toBe('VIEWER');
    expect(decision.reason).toMatch(/defaulting to VIEWER/);
  });

  it.each(fallbacks)('strict: %s is denied', (_what, settings, claims) => {
    const reason = denied(resolveAccess(claims, roleIdp('role', { ...settings, ROLE_ATTRIBUTE_STRICT: 'true' })));
    expect(reason).toMatch(/^Access denied: .* ROLE_ATTRIBUTE_STRICT is on$/);
  });

  it('says why SYSTEM is refused', () => {
    expect(resolveAccess({ role: 'system' }, roleIdp('role')).reason).toContain('SYSTEM is never assignable');
  });

  it('refuses SYSTEM as a ROLE_MAPPING target at start-up', () => {
    let error: unknown;
    try {
      parseAuthEnv(envFor({ ROLE_ATTRIBUTE_PATH: 'role', ROLE_MAPPING: 'Root:SYSTEM' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.message).join('\n')).toContain(
      'SYSTEM role cannot be assigned via OAuth2',
    );
  });

  describe('conditional expressions', () => {
    const expression = "contains(groups[*], 'admin') && 'ADMIN' || 'VIEWER'";

    it('compute the role from other claims', () => {
      expect(granted(resolveAccess({ groups: ['dev', 'admin'] }, roleIdp(expression)))).toBe('ADMIN');
      expect(granted(resolveAccess({ groups: ['dev'] }, roleIdp(expression)))).toBe('VIEWER');
    });

    it('count as missing when the groups claim is absent (a runtime error)', () => {
      expect(resolveAccess({}, roleIdp(expression)).reason).toMatch(/no role found/);
      expect(granted(resolveAccess({}, roleIdp(expression)))).toBe('VIEWER');
      denied(resolveAccess({}, roleIdp(expression, { ROLE_ATTRIBUTE_STRICT: 'true' })));
    });

    it('may be a constant, and a constant SYSTEM is still refused', () => {
      expect(granted(resolveAccess({}, roleIdp("'ADMIN'")))).toBe('ADMIN');
      expect(granted(resolveAccess({}, roleIdp("'SYSTEM'")))).toBe('VIEWER');
      denied(resolveAccess({}, roleIdp("'SYSTEM'", { ROLE_ATTRIBUTE_STRICT: 'true' })));
    });
  });
});

describe('resolveAccess: properties', () => {
  const claimValue = fc.oneof(fc.constantFrom('admin', 'Owner', 'SYSTEM', 'member', ' viewer ', 'x'), fc.jsonValue());
  const claims = fc.record({ groups: claimValue, role: claimValue }, { requiredKeys: [] });
  const configs = [
    idp(),
    roleIdp('role'),
    roleIdp('role', { ROLE_MAPPING: MAPPING }),
    roleIdp('role', { ROLE_ATTRIBUTE_STRICT: 'true' }),
    roleIdp('role', { ROLE_MAPPING: MAPPING, ROLE_ATTRIBUTE_STRICT: 'true' }),
    groupsIdp('admin,Owner'),
    idp({
      GROUPS_ATTRIBUTE_PATH: 'groups',
      ALLOWED_GROUPS: 'admin',
      ROLE_ATTRIBUTE_PATH: "contains(groups[*], 'admin') && 'ADMIN' || role",
    }),
  ];

  it('never throws; grants only ADMIN/MEMBER/VIEWER, and null exactly when there is no role path', () => {
    fc.assert(
      fc.property(claims, fc.constantFrom(...configs), (input, config) => {
        const decision = resolveAccess(input, config);
        expect(decision.reason.length).toBeGreaterThan(0);
        if (!decision.allowed) return;
        if (config.rolePath === null) expect(decision.role).toBeNull();
        else expect(['ADMIN', 'MEMBER', 'VIEWER']).toContain(decision.role);
      }),
    );
  });

  it('without strict mode or groups, the role never denies', () => {
    const config = roleIdp('role', { ROLE_MAPPING: MAPPING });
    fc.assert(
      fc.property(claims, (input) => {
        expect(resolveAccess(input, config).allowed).toBe(true);
      }),
    );
  });

  it('a strict mapping grants only the mapped role of the normalised value', () => {
    const config = roleIdp('role', { ROLE_MAPPING: MAPPING, ROLE_ATTRIBUTE_STRICT: 'true' });
    fc.assert(
      fc.property(claims, (input) => {
        const decision = resolveAccess(input, config);
        const value = normalizeRoleValue(input.role);
        expect(decision.allowed ? decision.role : undefined).toBe(
          value === null ? undefined : config.roleMapping?.get(value),
        );
      }),
    );
  });

  it('the reason never carries other claims', () => {
    fc.assert(
      fc.property(claims, fc.constantFrom(...configs), fc.string(), (input, config, secret) => {
        const marker = `SECRET-${secret}`;
        const decision = resolveAccess({ ...input, sub: marker, email: `${marker}@example.com`, name: marker }, config);
        expect(decision.reason).not.toContain('SECRET-');
      }),
    );
  });
});
