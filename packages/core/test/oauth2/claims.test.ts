import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IdpConfig, parseAuthEnv } from '../../src/config/index.js';
import { hasSufficientClaims, parseUserInfo, pruneClaims } from '../../src/oauth2/index.js';

/** The IdP `test`, parsed by the real config parser; `settings` are `PHOENIX_OAUTH2_TEST_<suffix>`. */
function idp(settings: Record<string, string> = {}): IdpConfig {
  const env: Record<string, string> = {
    PHOENIX_ENABLE_AUTH: 'true',
    PHOENIX_SECRET: 'claimstestsecret0123456789abcdefghijk',
    PHOENIX_OAUTH2_TEST_CLIENT_ID: 'client-id',
    PHOENIX_OAUTH2_TEST_CLIENT_SECRET: 'client-secret',
    PHOENIX_OAUTH2_TEST_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
  };
  for (const [suffix, value] of Object.entries(settings)) env[`PHOENIX_OAUTH2_TEST_${suffix}`] = value;
  const [only] = parseAuthEnv(env).oauth2.idps;
  return only!;
}

const plain = idp();
const GROUPS = { GROUPS_ATTRIBUTE_PATH: 'groups', ALLOWED_GROUPS: 'admins' };

describe('pruneClaims (docs/phoenix-contract.md#oauth2-claims, the dropped claims)', () => {
  it('drops null, blank strings and empty arrays/objects, keeps everything else as it is', () => {
    const claims = {
      gone_null: null,
      gone_undefined: undefined,
      gone_empty: '',
      gone_blank: ' \t\n',
      gone_list: [],
      gone_object: {},
      zero: 0,
      no: false,
      padded: '  x  ',
      list_of_null: [null],
      object_of_null: { a: null },
    };
    expect(pruneClaims(claims)).toStrictEqual({
      zero: 0,
      no: false,
      padded: '  x  ',
      list_of_null: [null],
      object_of_null: { a: null },
    });
  });

  it('only looks at the top level', () => {
    expect(pruneClaims({ nested: { inner: '', list: [] } })).toStrictEqual({ nested: { inner: '', list: [] } });
  });

  it('returns a new object and leaves its argument alone', () => {
    const claims = { a: '', b: 'x' };
    const pruned = pruneClaims(claims);
    expect(pruned).not.toBe(claims);
    expect(claims).toStrictEqual({ a: '', b: 'x' });
  });

  it('keeps a "__proto__" claim as an ordinary claim', () => {
    const claims = JSON.parse('{"__proto__": {"polluted": true}, "sub": "1"}') as Record<string, unknown>;
    const pruned = pruneClaims(claims);
    expect(Object.getPrototypeOf(pruned)).toBe(Object.prototype);
    expect(Object.keys(pruned)).toEqual(['__proto__', 'sub']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('property: keeps exactly the non-empty claims, and is idempotent', () => {
    const isEmpty = (value: unknown) =>
      value === null ||
      (typeof value === 'string' && value.trim() === '') ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (claims) => {
        const pruned = pruneClaims(claims);
        for (const [key, value] of Object.entries(claims)) {
          if (isEmpty(value)) expect(Object.hasOwn(pruned, key)).toBe(false);
          else expect(pruned[key]).toBe(value);
        }
        expect(pruneClaims(pruned)).toStrictEqual(pruned);
      }),
    );
  });
});

describe('hasSufficientClaims (docs/phoenix-contract.md#oauth2-callback step 11)', () => {
  it('needs a non-blank string at the email path', () => {
    expect(hasSufficientClaims({ email: 'a@example.com' }, plain)).toBe(true);
    for (const email of [undefined, null, '', '   ', 42, true, ['a@example.com'], { value: 'a@example.com' }]) {
      expect(hasSufficientClaims({ sub: '1', email }, plain)).toBe(false);
    }
  });

  it('follows a custom or nested email path', () => {
    expect(
      hasSufficientClaims(
        { preferred_username: 'u@corp.example' },
        idp({ EMAIL_ATTRIBUTE_PATH: 'preferred_username' }),
      ),
    ).toBe(true);
    expect(hasSufficientClaims({ email: 'u@corp.example' }, idp({ EMAIL_ATTRIBUTE_PATH: 'preferred_username' }))).toBe(
      false,
    );
    expect(
      hasSufficientClaims({ attributes: { mail: 'u@corp.example' } }, idp({ EMAIL_ATTRIBUTE_PATH: 'attributes.mail' })),
    ).toBe(true);
  });

  it('with groups configured, needs at least one group, allowed or not', () => {
    const config = idp(GROUPS);
    expect(hasSufficientClaims({ email: 'a@example.com', groups: ['somebody-else'] }, config)).toBe(true);
    expect(hasSufficientClaims({ email: 'a@example.com', groups: 'admins' }, config)).toBe(true);
    expect(hasSufficientClaims({ email: 'a@example.com', groups: [] }, config)).toBe(false);
    expect(hasSufficientClaims({ email: 'a@example.com', groups: [['admins'], { name: 'admins' }] }, config)).toBe(
      false,
    );
    expect(hasSufficientClaims({ email: 'a@example.com' }, config)).toBe(false);
  });

  it('reads namespaced and nested group paths', () => {
    const url = idp({ GROUPS_ATTRIBUTE_PATH: '"https://myapp.com/groups"', ALLOWED_GROUPS: 'x' });
    expect(hasSufficientClaims({ email: 'a@example.com', 'https://myapp.com/groups': ['g'] }, url)).toBe(true);
    expect(hasSufficientClaims({ email: 'a@example.com', groups: ['g'] }, url)).toBe(false);
    const cognito = idp({ GROUPS_ATTRIBUTE_PATH: '"cognito:groups"', ALLOWED_GROUPS: 'x' });
    expect(hasSufficientClaims({ email: 'a@example.com', 'cognito:groups': ['g'] }, cognito)).toBe(true);
    const nested = idp({ GROUPS_ATTRIBUTE_PATH: 'realm_access.groups', ALLOWED_GROUPS: 'x' });
    expect(hasSufficientClaims({ email: 'a@example.com', realm_access: { groups: ['g'] } }, nested)).toBe(true);
  });

  it('with a role path, needs a role value (whether it maps or not), strict or not', () => {
    for (const strict of ['true', 'false']) {
      const config = idp({ ROLE_ATTRIBUTE_PATH: 'role', ROLE_MAPPING: 'Owner:ADMIN', ROLE_ATTRIBUTE_STRICT: strict });
      expect(hasSufficientClaims({ email: 'a@example.com', role: 'Owner' }, config)).toBe(true);
      expect(hasSufficientClaims({ email: 'a@example.com', role: 'NotMapped' }, config)).toBe(true);
      expect(hasSufficientClaims({ email: 'a@example.com', role: ['Owner'] }, config)).toBe(true);
      expect(hasSufficientClaims({ email: 'a@example.com', role: '  ' }, config)).toBe(false);
      expect(hasSufficientClaims({ email: 'a@example.com', role: [] }, config)).toBe(false);
      expect(hasSufficientClaims({ email: 'a@example.com' }, config)).toBe(false);
    }
    const nested = idp({ ROLE_ATTRIBUTE_PATH: 'resource_access.phoenix.roles' });
    expect(
      hasSufficientClaims({ email: 'a@example.com', resource_access: { phoenix: { roles: ['admin'] } } }, nested),
    ).toBe(true);
  });

  it('counts a JMESPath runtime error as a missing claim', () => {
    const conditional = idp({ ROLE_ATTRIBUTE_PATH: "contains(groups[*], 'admin') && 'ADMIN' || 'VIEWER'" });
    expect(hasSufficientClaims({ email: 'a@example.com' }, conditional)).toBe(false);
    expect(hasSufficientClaims({ email: 'a@example.com', groups: ['dev'] }, conditional)).toBe(true);
    const badGroups = idp({ GROUPS_ATTRIBUTE_PATH: 'sort(groups)', ALLOWED_GROUPS: 'x' });
    expect(hasSufficientClaims({ email: 'a@example.com' }, badGroups)).toBe(false);
  });

  it('property: sufficient claims always yield an e-mail parseUserInfo accepts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue()), (email) => {
        const claims = { sub: 'subject', email };
        if (hasSufficientClaims(claims, plain)) expect(parseUserInfo(claims, plain).ok).toBe(true);
      }),
    );
  });
});

describe('parseUserInfo (docs/phoenix-contract.md#oauth2-claims)', () => {
  const ok = (claims: Record<string, unknown>, config: IdpConfig = plain) => {
    const result = parseUserInfo(claims, config);
    if (!result.ok) throw new Error(`expected success, got: ${result.reason}`);
    return result.info;
  };
  const failure = (claims: Record<string, unknown>, config: IdpConfig = plain) => {
    const result = parseUserInfo(claims, config);
    if (result.ok) throw new Error('expected a failure');
    expect(result.code).toBe('missing_email_scope');
    return result.reason;
  };

  it.each([
    [
      'Google',
      {
        sub: '1234567890',
        email: 'User@Gmail.com',
        name: 'Jane Doe',
        picture: 'https://lh3.googleusercontent.com/a/x',
      },
    ],
    [
      'Auth0',
      {
        sub: 'auth0|1234567890',
        email: 'user@gmail.com',
        name: 'Jane Doe',
        picture: 'https://s.gravatar.com/avatar/x',
      },
    ],
    ['Okta', { sub: '00u1a2b3c4d5e6f7g8h9', email: 'user@gmail.com', name: 'Jane Doe' }],
    [
      'Keycloak',
      {
        sub: 'f1e2d3c4-b5a6-4789-8abc-def012345678',
        email: 'user@gmail.com',
        name: 'Jane Doe',
        preferred_username: 'jane',
      },
    ],
    ['Cognito', { sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', email: 'user@gmail.com', 'cognito:username': 'jane' }],
  ])('accepts a %s-shaped token', (_provider, claims) => {
    const info = ok(claims);
    expect(info.subject).toBe(claims.sub);
    expect(info.email).toBe(claims.email.toLowerCase());
    expect(info.username).toBe('name' in claims ? claims.name : null);
    expect(info.profilePictureUrl).toBe('picture' in claims ? claims.picture : null);
  });

  it('accepts an integer sub (GitLab) and stringifies it', () => {
    expect(ok({ sub: 12345, email: 'user@gitlab.example' }).subject).toBe('12345');
    expect(ok({ sub: 0, email: 'user@gitlab.example' }).subject).toBe('0');
  });

  it('trims the sub', () => {
    expect(ok({ sub: '  abc  ', email: 'a@example.com' }).subject).toBe('abc');
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '  \t '],
    ['a boolean', true],
    ['a fraction', 1.5],
    ['an integer beyond 2^53 (already rounded by JSON parsing)', 2 ** 53],
    ['an object', { id: '1' }],
    ['an array', ['1']],
  ])('refuses a sub that is %s', (_what, sub) => {
    expect(failure({ sub, email: 'a@example.com' })).toMatch(/'sub' claim/);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
    ['a number', 42],
    ['a list', ['a@example.com']],
  ])('refuses an e-mail that is %s', (_what, email) => {
    expect(failure({ sub: '1', email })).toContain("EMAIL_ATTRIBUTE_PATH 'email'");
  });

  it('trims and lower-cases the e-mail, without checking its format', () => {
    expect(ok({ sub: '1', email: '  Jane.Doe@Example.COM \n' }).email).toBe('jane.doe@example.com');
    expect(ok({ sub: '1', email: 'Not An Email' }).email).toBe('not an email');
  });

  it.each([
    ['preferred_username', { preferred_username: ' Jane@Corp.Example ' }],
    ['upn', { upn: 'JANE@corp.example' }],
    ['attributes.mail', { attributes: { mail: 'Jane@Corp.Example' } }],
    ['"custom:email"', { 'custom:email': 'Jane@Corp.Example' }],
  ])('reads the e-mail at the custom path %s (Entra ID without email)', (path, claims) => {
    const config = idp({ EMAIL_ATTRIBUTE_PATH: path });
    expect(ok({ sub: '1', ...claims }, config).email).toBe('jane@corp.example');
    expect(failure({ sub: '1', email: 'jane@corp.example' }, config)).toContain(path);
  });

  it('reads name as the username when it is a non-blank string (trimmed), else ignores it', () => {
    expect(ok({ sub: '1', email: 'a@example.com', name: '  Jane  ' }).username).toBe('Jane');
    for (const name of ['', '   ', 42, ['Jane'], { first: 'Jane' }, null]) {
      expect(ok({ sub: '1', email: 'a@example.com', name }).username).toBeNull();
    }
  });

  it('reads picture as the profile picture URL when it is a non-blank string, else ignores it', () => {
    expect(ok({ sub: '1', email: 'a@example.com', picture: ' https://img.example/p.png ' }).profilePictureUrl).toBe(
      'https://img.example/p.png',
    );
    for (const picture of ['', '  ', 1, { url: 'https://img.example/p.png' }, null]) {
      expect(ok({ sub: '1', email: 'a@example.com', picture }).profilePictureUrl).toBeNull();
    }
  });

  it('checks sub before e-mail', () => {
    expect(failure({})).toMatch(/'sub' claim/);
  });

  it('never puts the claim values in the reason', () => {
    expect(failure({ sub: 9.75, email: 'secret@example.com' })).not.toMatch(/9\.75|secret/);
    expect(failure({ sub: 'visible-sub', email: 1234567 })).not.toMatch(/visible-sub|1234567/);
  });

  it('property: any non-blank string e-mail comes out trimmed and lower-cased; any safe integer sub as its digits', () => {
    fc.assert(
      fc.property(
        fc.string().filter((email) => email.trim() !== ''),
        fc.maxSafeInteger(),
        (email, sub) => {
          const info = ok({ sub, email });
          expect(info.email).toBe(email.trim().toLowerCase());
          expect(info.subject).toBe(String(sub));
        },
      ),
    );
  });
});
