/**
 * `PHOENIX_OAUTH2_<IDP>_ROLE_MAPPING` (docs/phoenix-contract.md#role-mapping) and role resolution through
 * `ROLE_ATTRIBUTE_PATH` (docs/phoenix-contract.md#oauth2-groups-and-roles) under arbitrary mappings, JMESPath expressions and claims. The
 * resolution is compared with an oracle written from the contract (docs/phoenix-contract.md); whatever the input, the
 * outcome is ADMIN, MEMBER or VIEWER, the documented fallback, or a denial — never SYSTEM and
 * never an exception.
 */
import { ConfigError, type IdpConfig, parseAuthEnv, resolveAccess } from '@gatehouse-auth/core';
import { collectRoleMapping } from '@gatehouse-auth/core/internal';
import fc from 'fast-check';
import jmespath from 'jmespath';
import { describe, expect, it } from 'vitest';
import {
  type Env,
  VALID_SECRET,
  idpEnv,
  idpVar,
  jmespathExpression,
  padding,
  PREFIX,
  roleMappingValue,
} from './env.js';
import { TIMEOUT_MS, runs } from './runs.js';

const ASSIGNABLE = ['ADMIN', 'MEMBER', 'VIEWER'] as const;
type Assignable = (typeof ASSIGNABLE)[number];
const isAssignable = (value: string): value is Assignable => (ASSIGNABLE as readonly string[]).includes(value);
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/; // eslint-disable-line no-control-regex -- what must be escaped

/** docs/phoenix-contract.md#role-mapping as written: items split on `,`, trimmed, empty ones skipped; split at the first `:`; later keys win. */
function referenceMapping(raw: string): { mapping: Map<string, Assignable> | null; bad: number } {
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  if (items.length === 0) return { mapping: null, bad: 0 };
  const mapping = new Map<string, Assignable>();
  let bad = 0;
  for (const item of items) {
    const [idpRole, ...rest] = item.split(':');
    const role = rest.join(':').trim().toUpperCase();
    if (rest.length === 0 || idpRole?.trim() === '' || !isAssignable(role)) bad += 1;
    else mapping.set(idpRole?.trim() ?? '', role);
  }
  return { mapping, bad };
}

const mappingText = fc.oneof(
  roleMappingValue,
  fc.string({ maxLength: 30 }),
  fc
    .array(
      fc.tuple(
        padding,
        fc.string({ maxLength: 6 }),
        padding,
        fc.constantFrom('admin', 'MEMBER', 'Viewer', 'SYSTEM', 'sYsTeM', 'root', '', 'ADMIN:x'),
      ),
      { maxLength: 5 },
    )
    .map((items) => items.map(([a, key, b, role]) => `${a}${key}${b}:${a}${role}${b}`).join(',')),
);

/** One IdP `okta` with the given settings, parsed by the real parser. */
function parseIdp(settings: Record<string, string>): { ok: true; idp: IdpConfig } | { ok: false; error: ConfigError } {
  const env: Env = { [`${PREFIX}ENABLE_AUTH`]: 'true', [`${PREFIX}SECRET`]: VALID_SECRET, ...idpEnv('OKTA', settings) };
  try {
    const [idp] = parseAuthEnv(env).oauth2.idps;
    if (idp === undefined) throw new Error('the IdP was not configured');
    return { ok: true, idp };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error };
    throw error;
  }
}

/** Python's `str()` of a JSON scalar, as docs/phoenix-contract.md#oauth2-groups-and-roles compares values; integers print without a decimal point. */
function pythonText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  return null;
}

/** A JMESPath evaluation that fails is an absent claim; so is anything that is not JSON (a prototype method). */
function search(claims: unknown, expression: string): unknown {
  try {
    const result: unknown = jmespath.search(claims, expression);
    return typeof result === 'function' ? undefined : result;
  } catch {
    return undefined;
  }
}

type Expected = { allowed: false } | { allowed: true; role: Assignable | null };

/** docs/phoenix-contract.md#oauth2-groups-and-roles: the group gate, then the role with its strict / VIEWER fallback. */
function expectedAccess(claims: Record<string, unknown>, settings: Settings): Expected {
  if (settings.groups) {
    const raw = search(claims, 'groups');
    const groups = Array.isArray(raw)
      ? raw.map(pythonText).filter((text) => text !== null)
      : [pythonText(raw)].filter((text) => text !== null);
    if (!groups.includes('admins')) return { allowed: false };
  }
  if (settings.rolePath === null) return { allowed: true, role: null };
  const fallback: Expected = settings.strict ? { allowed: false } : { allowed: true, role: 'VIEWER' };
  const raw = search(claims, settings.rolePath);
  const value = pythonText(Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return fallback;
  const mapping = referenceMapping(settings.mapping).mapping;
  if (mapping !== null) return mapping.has(value) ? { allowed: true, role: mapping.get(value) ?? 'VIEWER' } : fallback;
  const upper = value.toUpperCase();
  return isAssignable(upper) ? { allowed: true, role: upper } : fallback;
}

interface Settings {
  rolePath: string | null;
  mapping: string;
  strict: boolean;
  groups: boolean;
}

const settingsArbitrary: fc.Arbitrary<Settings> = fc.record({
  rolePath: fc.option(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'role',
          'roles[0]',
          'nested.role',
          'nested.roles',
          'role || roles[0]',
          'to_string(level)',
          "'ADMIN'",
        ),
      },
      { weight: 2, arbitrary: jmespathExpression },
    ),
    { nil: null, freq: 6 },
  ),
  mapping: fc.constantFrom(
    '',
    'Owner:ADMIN',
    'Owner:admin, Dev:MEMBER ,admin:VIEWER',
    'R:member,',
    '1:ADMIN,True:MEMBER,1.5:VIEWER',
  ),
  strict: fc.boolean(),
  groups: fc.boolean(),
});

const roleLike = fc.constantFrom(
  'ADMIN',
  'admin',
  ' Admin ',
  'MEMBER',
  'viewer',
  'SYSTEM',
  'system',
  'ſystem',
  'admın',
  'ADMİN',
  'Owner',
  'owner',
  'Dev',
  'R',
  'admins',
  '',
  ' ',
  '\u0000ADMIN',
);
const claimValue = fc.oneof(
  roleLike,
  fc.array(roleLike, { maxLength: 3 }),
  fc.constantFrom(1, 0, 1.5, -0, 1e21, true, false, null, [], {}, [['ADMIN']], [1, true]),
  fc.jsonValue({ maxDepth: 2 }),
);
const claimsArbitrary = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom(
        'role',
        'roles',
        'groups',
        'level',
        'cognito:groups',
        'email',
        '__proto__',
        'constructor',
        'toString',
        'valueOf',
      ),
      claimValue,
      { maxKeys: 5 },
    ),
    fc.option(fc.dictionary(fc.constantFrom('role', 'roles'), claimValue, { maxKeys: 2 }), { nil: undefined }),
  )
  // Claims arrive as JSON: an own `__proto__` key is data, as JSON.parse makes it.
  .map(
    ([top, nested]) =>
      JSON.parse(JSON.stringify(nested === undefined ? top : { ...top, nested })) as Record<string, unknown>,
  );

describe('ROLE_MAPPING (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('maps only to ADMIN, MEMBER or VIEWER, and reports every other item, as docs/phoenix-contract.md#role-mapping reads', () => {
    fc.assert(
      fc.property(mappingText, (raw) => {
        const { mapping, problems } = collectRoleMapping(raw, 'okta');
        const expected = referenceMapping(raw);
        expect(problems.length).toBe(expected.bad);
        expect(mapping === null ? null : [...mapping]).toEqual(
          expected.mapping === null ? null : [...expected.mapping],
        );
        for (const [key, role] of mapping ?? []) {
          expect(ASSIGNABLE).toContain(role);
          expect(key).toBe(key.trim());
          expect(key).not.toBe('');
          expect(key).not.toMatch(/[,:]/);
        }
        for (const problem of problems) expect(CONTROL.test(problem)).toBe(false);
      }),
      runs(1000, { examples: [['x:SYSTEM'], ['x:ſystem'], ['Dev:admın'], ['a:b:ADMIN'], ['a:ADMIN,a:VIEWER']] }),
    );
  });

  it('formats back to itself', () => {
    fc.assert(
      fc.property(mappingText, padding, (raw, pad) => {
        const { mapping } = collectRoleMapping(raw, 'okta');
        fc.pre(mapping !== null && mapping.size > 0);
        const formatted = [...(mapping ?? [])]
          .map(([key, role]) => `${pad}${key}${pad}:${pad}${role.toLowerCase()}${pad}`)
          .join(',');
        expect(collectRoleMapping(`${formatted},`, 'okta')).toEqual({ mapping, problems: [] });
      }),
      runs(500),
    );
  });

  it('refuses SYSTEM in any spelling at start-up, naming the variable', () => {
    const withSystem = fc
      .tuple(mappingText, fc.constantFrom('SYSTEM', 'system', ' System ', 'ſystem'), padding)
      .map(([raw, system, pad]) => `${raw},${pad}Owner${pad}:${system}`);
    fc.assert(
      fc.property(withSystem, (raw) => {
        const parsed = parseIdp({ ROLE_ATTRIBUTE_PATH: 'role', ROLE_MAPPING: raw });
        expect(parsed.ok).toBe(false);
        if (parsed.ok) return;
        expect(parsed.error.issues.some((issue) => /SYSTEM/.test(issue.message))).toBe(true);
        for (const issue of parsed.error.issues) expect(issue.variable).toBe(idpVar(PREFIX, 'OKTA', 'ROLE_MAPPING'));
      }),
      runs(50),
    );
  });
});

describe('role resolution through ROLE_ATTRIBUTE_PATH (fuzzed)', { timeout: TIMEOUT_MS }, () => {
  it('agrees with docs/phoenix-contract.md#oauth2-groups-and-roles for any expression and any claims, and never throws or yields SYSTEM', () => {
    fc.assert(
      fc.property(
        settingsArbitrary,
        fc.array(claimsArbitrary, { minLength: 1, maxLength: 12 }),
        (settings, claimsList) => {
          // A blank expression is an unset one (docs/phoenix-contract.md#env-parsing); mapping and strict need a path (#oauth2-idps).
          const pathSet = settings.rolePath !== null && settings.rolePath.trim() !== '';
          const env: Record<string, string> = {};
          if (settings.rolePath !== null) env.ROLE_ATTRIBUTE_PATH = settings.rolePath;
          if (pathSet && settings.mapping !== '') env.ROLE_MAPPING = settings.mapping;
          if (pathSet && settings.strict) env.ROLE_ATTRIBUTE_STRICT = 'true';
          if (settings.groups) Object.assign(env, { GROUPS_ATTRIBUTE_PATH: 'groups', ALLOWED_GROUPS: 'admins' });
          const parsed = parseIdp(env);
          const compiles = !pathSet || compilesInJmespath(settings.rolePath ?? '');
          expect(parsed.ok, parsed.ok ? '' : parsed.error.message).toBe(compiles);
          if (!parsed.ok) {
            for (const issue of parsed.error.issues)
              expect(issue.variable).toBe(idpVar(PREFIX, 'OKTA', 'ROLE_ATTRIBUTE_PATH'));
            return;
          }
          // The parser trims the expression: the oracle evaluates what was configured.
          const effective: Settings = {
            ...settings,
            rolePath: parsed.idp.rolePath?.expression ?? null,
            strict: pathSet && settings.strict,
          };
          for (const claims of claimsList) {
            const decision = resolveAccess(claims, parsed.idp);
            expect(CONTROL.test(decision.reason)).toBe(false);
            if (decision.allowed) {
              expect(decision.role).not.toBe('SYSTEM');
              if (decision.role === null) expect(parsed.idp.rolePath).toBeNull();
              else expect(ASSIGNABLE).toContain(decision.role);
            } else {
              expect(effective.strict || settings.groups).toBe(true);
            }
            const expected = expectedAccess(claims, effective);
            expect(decision.allowed ? { allowed: true, role: decision.role } : { allowed: false }).toEqual(expected);
          }
        },
      ),
      runs(120, {
        examples: [
          [{ rolePath: "'SYSTEM'", mapping: '', strict: false, groups: false }, [{}]],
          [{ rolePath: 'constructor', mapping: '', strict: true, groups: false }, [{}]],
          [{ rolePath: 'abs(role)', mapping: 'Owner:ADMIN', strict: true, groups: false }, [{ role: 'Owner' }]],
          [
            { rolePath: 'role', mapping: '', strict: false, groups: false },
            [{ role: ['SYSTEM'] }, { role: ' admin ' }],
          ],
        ],
      }),
    );
  });
});

function compilesInJmespath(expression: string): boolean {
  try {
    (jmespath as unknown as { compile(expression: string): unknown }).compile(expression.trim());
    return true;
  } catch {
    return false;
  }
}
