import { describe, expect, it } from 'vitest';
import { type IdpConfig, compilePath, defaultDisplayName, parseAuthEnv } from '../../src/config/index.js';
import { type Env, VALID_SECRET, idpEnv, issuesOf } from './helpers.js';

const URL_ = 'https://example.com/.well-known/openid-configuration';

/** The single IdP of an environment that must parse. */
function idpOf(env: Env): IdpConfig {
  const idps = parseAuthEnv(env).oauth2.idps;
  expect(idps).toHaveLength(1);
  return idps[0]!;
}

function testIdp(overrides: Env = {}): Env {
  return idpEnv('test', overrides);
}

describe('OAuth2 IdP config (reference TestOAuth2ClientConfigFromEnv)', () => {
  it('basic configuration with defaults', () => {
    const idp = idpOf({
      PHOENIX_OAUTH2_GOOGLE_CLIENT_ID: 'test_client_id',
      PHOENIX_OAUTH2_GOOGLE_CLIENT_SECRET: 'test_secret',
      PHOENIX_OAUTH2_GOOGLE_OIDC_CONFIG_URL: 'https://accounts.google.com/.well-known/openid-configuration',
    });
    expect(idp).toMatchObject({
      name: 'google',
      displayName: 'Google',
      clientId: 'test_client_id',
      clientSecret: 'test_secret',
      oidcConfigUrl: 'https://accounts.google.com/.well-known/openid-configuration',
      allowSignUp: true,
      autoLogin: false,
      usePkce: false,
      tokenEndpointAuthMethod: 'client_secret_basic',
      scopes: ['openid', 'email', 'profile'],
      groupsPath: null,
      allowedGroups: [],
      rolePath: null,
      roleMapping: null,
      roleAttributeStrict: false,
      roleResync: true,
    });
    expect(idp.emailPath.expression).toBe('email');
  });

  it('PKCE public client without a client secret (auth method none)', () => {
    const idp = idpOf({
      PHOENIX_OAUTH2_MOBILE_CLIENT_ID: 'mobile_client',
      PHOENIX_OAUTH2_MOBILE_USE_PKCE: 'true',
      PHOENIX_OAUTH2_MOBILE_TOKEN_ENDPOINT_AUTH_METHOD: 'none',
      PHOENIX_OAUTH2_MOBILE_OIDC_CONFIG_URL: 'https://auth.example.com/.well-known/openid-configuration',
    });
    expect(idp).toMatchObject({ clientSecret: null, usePkce: true, tokenEndpointAuthMethod: 'none' });
  });

  it('a public client may still carry a secret', () => {
    expect(idpOf(testIdp({ TOKEN_ENDPOINT_AUTH_METHOD: 'none' })).clientSecret).toBe('secret');
  });

  it('PKCE hybrid client with a client secret', () => {
    const idp = idpOf({
      PHOENIX_OAUTH2_HYBRID_CLIENT_ID: 'hybrid_client',
      PHOENIX_OAUTH2_HYBRID_CLIENT_SECRET: 'hybrid_secret',
      PHOENIX_OAUTH2_HYBRID_USE_PKCE: 'true',
      PHOENIX_OAUTH2_HYBRID_OIDC_CONFIG_URL: 'https://auth.example.com/.well-known/openid-configuration',
    });
    expect(idp).toMatchObject({ clientSecret: 'hybrid_secret', usePkce: true });
  });

  it.each([
    [
      'CLIENT_ID',
      '',
      'Client ID must be set for the test OAuth2 IDP via the PHOENIX_OAUTH2_TEST_CLIENT_ID environment variable',
    ],
    [
      'CLIENT_ID',
      '   ',
      'Client ID must be set for the test OAuth2 IDP via the PHOENIX_OAUTH2_TEST_CLIENT_ID environment variable',
    ],
    [
      'CLIENT_SECRET',
      '   ',
      'Client secret must be set for the test OAuth2 IDP via the PHOENIX_OAUTH2_TEST_CLIENT_SECRET environment variable',
    ],
    [
      'OIDC_CONFIG_URL',
      '   ',
      'OpenID Connect configuration URL must be set for the test OAuth2 IDP via the PHOENIX_OAUTH2_TEST_OIDC_CONFIG_URL environment variable',
    ],
  ])('required field %s=%j is rejected', (suffix, value, message) => {
    expect(issuesOf(testIdp({ [suffix]: value }))).toEqual([{ variable: `PHOENIX_OAUTH2_TEST_${suffix}`, message }]);
  });

  it.each([
    [
      'CLIENT_ID',
      'Client ID must be set for the test OAuth2 IDP via the PHOENIX_OAUTH2_TEST_CLIENT_ID environment variable',
    ],
    [
      'OIDC_CONFIG_URL',
      'OpenID Connect configuration URL must be set for the test OAuth2 IDP via the PHOENIX_OAUTH2_TEST_OIDC_CONFIG_URL environment variable',
    ],
    [
      'CLIENT_SECRET',
      'Client secret must be set for the test OAuth2 IDP via the PHOENIX_OAUTH2_TEST_CLIENT_SECRET environment variable',
    ],
  ])('missing %s is rejected (secret: traditional flow without PKCE)', (suffix, message) => {
    expect(issuesOf(testIdp({ [suffix]: undefined }))).toEqual([
      { variable: `PHOENIX_OAUTH2_TEST_${suffix}`, message },
    ]);
  });

  it.each([
    ['not-a-valid-url', 'Invalid OIDC configuration URL for test OAuth2 IDP: not-a-valid-url'],
    [
      'example.com/.well-known/openid-configuration',
      'Invalid OIDC configuration URL for test OAuth2 IDP: example.com/.well-known/openid-configuration',
    ],
    ['https://', 'Invalid OIDC configuration URL for test OAuth2 IDP: https://'],
  ])('malformed URL %j is rejected', (value, message) => {
    expect(issuesOf(testIdp({ OIDC_CONFIG_URL: value }))).toEqual([
      { variable: 'PHOENIX_OAUTH2_TEST_OIDC_CONFIG_URL', message },
    ]);
  });

  it.each([
    'http://example.com/.well-known/openid-configuration',
    // 0.0.0.0 binds every interface; it is not a client-facing loopback name.
    'http://0.0.0.0:8080/.well-known/openid-configuration',
    'http://localhost.example.com/.well-known/openid-configuration',
    'ftp://localhost/.well-known/openid-configuration',
  ])('non-HTTPS %j is rejected', (value) => {
    expect(issuesOf(testIdp({ OIDC_CONFIG_URL: value }))).toEqual([
      {
        variable: 'PHOENIX_OAUTH2_TEST_OIDC_CONFIG_URL',
        message: `OIDC configuration URL for test OAuth2 IDP must use HTTPS (except for localhost). Got: '${value}'`,
      },
    ]);
  });

  it.each([
    'http://localhost:8080/.well-known/openid-configuration',
    'http://127.0.0.1:8080/.well-known/openid-configuration',
    'http://[::1]:8080/.well-known/openid-configuration',
    'http://LOCALHOST/.well-known/openid-configuration',
  ])('HTTP is allowed for loopback %j, kept verbatim', (value) => {
    expect(idpOf(idpEnv('local', { OIDC_CONFIG_URL: value })).oidcConfigUrl).toBe(value);
  });

  it.each([
    [
      'invalid_method',
      "Invalid TOKEN_ENDPOINT_AUTH_METHOD for test. Allowed: client_assertion_jwt, client_secret_basic, client_secret_post, none. Got: 'invalid_method'",
    ],
    [
      'private_key_jwt',
      "Invalid TOKEN_ENDPOINT_AUTH_METHOD for test. Allowed: client_assertion_jwt, client_secret_basic, client_secret_post, none. Got: 'private_key_jwt'",
    ],
  ])('TOKEN_ENDPOINT_AUTH_METHOD=%j is rejected', (value, message) => {
    expect(issuesOf(testIdp({ TOKEN_ENDPOINT_AUTH_METHOD: value }))).toEqual([
      { variable: 'PHOENIX_OAUTH2_TEST_TOKEN_ENDPOINT_AUTH_METHOD', message },
    ]);
  });

  it.each([
    ['CLIENT_SECRET_POST', 'client_secret_post'],
    ['Client_Secret_Basic', 'client_secret_basic'],
    ['NONE', 'none'],
    ['', 'client_secret_basic'],
  ])('TOKEN_ENDPOINT_AUTH_METHOD=%j is read case-insensitively as %j', (value, method) => {
    expect(idpOf(testIdp({ TOKEN_ENDPOINT_AUTH_METHOD: value })).tokenEndpointAuthMethod).toBe(method);
  });

  it('PKCE with auth method none', () => {
    const idp = idpOf(testIdp({ CLIENT_SECRET: undefined, USE_PKCE: 'true', TOKEN_ENDPOINT_AUTH_METHOD: 'none' }));
    expect(idp).toMatchObject({ usePkce: true, tokenEndpointAuthMethod: 'none', clientSecret: null });
  });

  it.each(['client_secret_basic', 'client_secret_post'])('PKCE with %s still requires CLIENT_SECRET', (method) => {
    expect(
      issuesOf(testIdp({ CLIENT_SECRET: undefined, USE_PKCE: 'true', TOKEN_ENDPOINT_AUTH_METHOD: method })),
    ).toEqual([
      {
        variable: 'PHOENIX_OAUTH2_TEST_CLIENT_SECRET',
        message:
          'Client secret must be set for the test OAuth2 IDP via the PHOENIX_OAUTH2_TEST_CLIENT_SECRET environment variable',
      },
    ]);
  });

  it.each([
    ['openid groups offline_access openid', ['openid', 'email', 'profile', 'groups', 'offline_access']],
    ['  groups   offline_access  ', ['openid', 'email', 'profile', 'groups', 'offline_access']],
    ['profile email', ['openid', 'email', 'profile']],
    ['', ['openid', 'email', 'profile']],
  ])('SCOPES=%j adds to the baseline without duplicates', (value, scopes) => {
    expect(idpOf(testIdp({ SCOPES: value })).scopes).toEqual(scopes);
  });

  it('ALLOWED_GROUPS requires GROUPS_ATTRIBUTE_PATH', () => {
    expect(issuesOf(testIdp({ ALLOWED_GROUPS: 'admin,developers' }))).toEqual([
      {
        variable: 'PHOENIX_OAUTH2_TEST_ALLOWED_GROUPS',
        message:
          'ALLOWED_GROUPS is set for test but GROUPS_ATTRIBUTE_PATH is not. GROUPS_ATTRIBUTE_PATH must be configured to use group-based access control.',
      },
    ]);
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['whitespace only', '  ,  ,  '],
    ['only commas', ',,,'],
  ])('GROUPS_ATTRIBUTE_PATH requires ALLOWED_GROUPS (%s)', (_case, allowedGroups) => {
    expect(issuesOf(testIdp({ GROUPS_ATTRIBUTE_PATH: 'groups', ALLOWED_GROUPS: allowedGroups }))).toEqual([
      {
        variable: 'PHOENIX_OAUTH2_TEST_GROUPS_ATTRIBUTE_PATH',
        message:
          'GROUPS_ATTRIBUTE_PATH is set for test but ALLOWED_GROUPS is not. If you want to extract groups, you must specify which groups are allowed. ' +
          "If you don't need group-based access control, remove GROUPS_ATTRIBUTE_PATH.",
      },
    ]);
  });

  it('a whitespace-only GROUPS_ATTRIBUTE_PATH counts as unset', () => {
    expect(idpOf(testIdp({ GROUPS_ATTRIBUTE_PATH: '   ' })).groupsPath).toBeNull();
    expect(issuesOf(testIdp({ GROUPS_ATTRIBUTE_PATH: '  ', ALLOWED_GROUPS: 'admin' }))).toHaveLength(1);
  });

  it.each([
    'admin,users,admin,developers,users',
    'admin, users, admin, developers,users',
    'admin , users , admin , developers , users',
  ])('ALLOWED_GROUPS=%j is de-duplicated in order', (value) => {
    expect(idpOf(testIdp({ GROUPS_ATTRIBUTE_PATH: 'groups', ALLOWED_GROUPS: value })).allowedGroups).toEqual([
      'admin',
      'users',
      'developers',
    ]);
  });

  it('trims every value', () => {
    const idp = idpOf({
      PHOENIX_OAUTH2_TEST_CLIENT_ID: '  client_id  ',
      PHOENIX_OAUTH2_TEST_CLIENT_SECRET: '  secret  ',
      PHOENIX_OAUTH2_TEST_OIDC_CONFIG_URL: `  ${URL_}  `,
      PHOENIX_OAUTH2_TEST_DISPLAY_NAME: '  My Provider  ',
      PHOENIX_OAUTH2_TEST_SCOPES: '  groups   offline_access  ',
      PHOENIX_OAUTH2_TEST_GROUPS_ATTRIBUTE_PATH: '  groups  ',
      PHOENIX_OAUTH2_TEST_ALLOWED_GROUPS: '  admin , developers  ',
    });
    expect(idp).toMatchObject({
      clientId: 'client_id',
      clientSecret: 'secret',
      oidcConfigUrl: URL_,
      displayName: 'My Provider',
      scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
      allowedGroups: ['admin', 'developers'],
    });
    expect(idp.groupsPath?.expression).toBe('groups');
  });

  it('ALLOWED_GROUPS is comma-separated', () => {
    expect(
      idpOf(testIdp({ GROUPS_ATTRIBUTE_PATH: 'groups', ALLOWED_GROUPS: 'admin,developers,viewers' })).allowedGroups,
    ).toEqual(['admin', 'developers', 'viewers']);
  });

  it('a space-separated ALLOWED_GROUPS is one group name', () => {
    expect(
      idpOf(testIdp({ GROUPS_ATTRIBUTE_PATH: 'groups', ALLOWED_GROUPS: 'admin developers viewers' })).allowedGroups,
    ).toEqual(['admin developers viewers']);
  });

  it.each([
    ['myidp', 'Myidp'],
    ['my_idp', 'My Idp'],
    ['google', 'Google'],
    ['aws_cognito', 'AWS Cognito'],
    ['microsoft_entra_id', 'Microsoft Entra ID'],
    ['okta2sso', 'Okta2Sso'],
    ['_x__y', ' X  Y'],
  ])('the default display name of %j is %j', (name, displayName) => {
    expect(defaultDisplayName(name)).toBe(displayName);
  });

  it('the display name defaults through the environment too', () => {
    expect(idpOf(idpEnv('myidp')).displayName).toBe('Myidp');
    expect(idpOf(idpEnv('aws_cognito', { DISPLAY_NAME: '' })).displayName).toBe('AWS Cognito');
    expect(idpOf(idpEnv('microsoft_entra_id')).name).toBe('microsoft_entra_id');
  });

  it('IdP names come from upper-case variable names and are lower-cased', () => {
    expect(idpOf(idpEnv('GOOGLE')).name).toBe('google');
  });
});

describe('OAuth2 role mapping (reference TestOAuth2ClientConfigFromEnv)', () => {
  const withRole = (overrides: Env) => testIdp({ ROLE_ATTRIBUTE_PATH: 'roles', ...overrides });
  const entries = (idp: IdpConfig) => (idp.roleMapping === null ? null : Object.fromEntries(idp.roleMapping));

  it.each<[string, string, Record<string, string> | null]>([
    ['single', 'Owner:ADMIN', { Owner: 'ADMIN' }],
    [
      'multiple',
      'Owner:ADMIN,Developer:MEMBER,Reader:VIEWER',
      { Owner: 'ADMIN', Developer: 'MEMBER', Reader: 'VIEWER' },
    ],
    [
      'case-insensitive role side',
      'owner:admin,dev:member,view:viewer',
      { owner: 'ADMIN', dev: 'MEMBER', view: 'VIEWER' },
    ],
    ['whitespace', '  Owner : ADMIN , Developer : MEMBER  ', { Owner: 'ADMIN', Developer: 'MEMBER' }],
    ['trailing and empty items', 'Owner:ADMIN,,Developer:MEMBER,', { Owner: 'ADMIN', Developer: 'MEMBER' }],
    ['later duplicates win', 'Owner:VIEWER,Owner:ADMIN', { Owner: 'ADMIN' }],
    ['empty', '', null],
    ['only commas', ' , ,', null],
  ])('%s: %j', (_case, mapping, expected) => {
    expect(entries(idpOf(withRole({ ROLE_MAPPING: mapping })))).toEqual(expected);
  });

  it('splits an item at the first colon, so an IdP role containing ":" cannot be mapped', () => {
    expect(issuesOf(withRole({ ROLE_MAPPING: 'urn:role:admin:ADMIN' }))).toEqual([
      {
        variable: 'PHOENIX_OAUTH2_TEST_ROLE_MAPPING',
        message:
          "Invalid ROLE_MAPPING for test: 'role:admin:ADMIN' is not a valid Phoenix role. Valid roles are: ADMIN, MEMBER, VIEWER (case-insensitive).",
      },
    ]);
  });

  it('IdP role keys stay case-sensitive', () => {
    const mapping = idpOf(withRole({ ROLE_MAPPING: 'Owner:ADMIN' })).roleMapping!;
    expect(mapping.get('Owner')).toBe('ADMIN');
    expect(mapping.get('owner')).toBeUndefined();
    expect(mapping.has('OWNER')).toBe(false);
  });

  it.each([
    [
      'missing colon',
      'OwnerADMIN',
      "Invalid ROLE_MAPPING format for test: 'OwnerADMIN'. Expected format: 'IdpRole:PhoenixRole' (e.g., 'Owner:ADMIN,Developer:MEMBER')",
    ],
    ['empty IdP role', ':ADMIN', "Invalid ROLE_MAPPING for test: IDP role cannot be empty in ':ADMIN'"],
    ['blank IdP role', '  :ADMIN', "Invalid ROLE_MAPPING for test: IDP role cannot be empty in ':ADMIN'"],
    [
      'SYSTEM',
      'SuperAdmin:SYSTEM',
      'Invalid ROLE_MAPPING for test: SYSTEM role cannot be assigned via OAuth2. SYSTEM is an internal-only role for system API keys. Valid roles are: ADMIN, MEMBER, VIEWER',
    ],
    [
      'lower-case system',
      'SuperAdmin:system',
      'Invalid ROLE_MAPPING for test: SYSTEM role cannot be assigned via OAuth2. SYSTEM is an internal-only role for system API keys. Valid roles are: ADMIN, MEMBER, VIEWER',
    ],
    [
      'invalid role',
      'Owner:SUPERUSER',
      "Invalid ROLE_MAPPING for test: 'SUPERUSER' is not a valid Phoenix role. Valid roles are: ADMIN, MEMBER, VIEWER (case-insensitive).",
    ],
    [
      'empty role',
      'Owner:',
      "Invalid ROLE_MAPPING for test: '' is not a valid Phoenix role. Valid roles are: ADMIN, MEMBER, VIEWER (case-insensitive).",
    ],
  ])('%s is rejected', (_case, mapping, message) => {
    expect(issuesOf(withRole({ ROLE_MAPPING: mapping }))).toEqual([
      { variable: 'PHOENIX_OAUTH2_TEST_ROLE_MAPPING', message },
    ]);
  });

  it('reports every bad item', () => {
    expect(issuesOf(withRole({ ROLE_MAPPING: 'a,Owner:ADMIN,b:GOD' })).map((issue) => issue.message)).toEqual([
      "Invalid ROLE_MAPPING format for test: 'a'. Expected format: 'IdpRole:PhoenixRole' (e.g., 'Owner:ADMIN,Developer:MEMBER')",
      "Invalid ROLE_MAPPING for test: 'GOD' is not a valid Phoenix role. Valid roles are: ADMIN, MEMBER, VIEWER (case-insensitive).",
    ]);
  });

  it('strict mode can be enabled', () => {
    expect(idpOf(withRole({ ROLE_MAPPING: 'Owner:ADMIN', ROLE_ATTRIBUTE_STRICT: 'true' })).roleAttributeStrict).toBe(
      true,
    );
  });

  it('a role path without a mapping is allowed', () => {
    const idp = idpOf(withRole({}));
    expect(idp.rolePath?.expression).toBe('roles');
    expect(idp.roleMapping).toBeNull();
  });

  it('role settings default to off, resync to on', () => {
    expect(idpOf(testIdp())).toMatchObject({
      rolePath: null,
      roleMapping: null,
      roleAttributeStrict: false,
      roleResync: true,
    });
  });

  it('ROLE_RESYNC=false is accepted with a role path', () => {
    expect(idpOf(withRole({ ROLE_RESYNC: 'false' })).roleResync).toBe(false);
  });

  it.each([
    [
      'ROLE_MAPPING',
      'Owner:ADMIN',
      'Invalid configuration for test: ROLE_MAPPING is set but ROLE_ATTRIBUTE_PATH is not configured. ROLE_MAPPING requires ROLE_ATTRIBUTE_PATH to specify where to extract the role from.',
    ],
    [
      'ROLE_ATTRIBUTE_STRICT',
      'true',
      'Invalid configuration for test: ROLE_ATTRIBUTE_STRICT is set to true but ROLE_ATTRIBUTE_PATH is not configured. ROLE_ATTRIBUTE_STRICT only applies when role extraction is enabled via ROLE_ATTRIBUTE_PATH.',
    ],
    [
      'ROLE_RESYNC',
      'false',
      'Invalid configuration for test: ROLE_RESYNC is set to false but ROLE_ATTRIBUTE_PATH is not configured. ' +
        'Without ROLE_ATTRIBUTE_PATH roles are never synchronised from the IdP, so there is no role sync to disable.',
    ],
  ])('%s=%s without ROLE_ATTRIBUTE_PATH is rejected', (suffix, value, message) => {
    expect(issuesOf(testIdp({ [suffix]: value }))).toEqual([{ variable: `PHOENIX_OAUTH2_TEST_${suffix}`, message }]);
  });

  it('the defaults of the role switches need no path', () => {
    expect(
      idpOf(testIdp({ ROLE_ATTRIBUTE_STRICT: 'false', ROLE_RESYNC: 'true', ROLE_MAPPING: '' })).rolePath,
    ).toBeNull();
  });

  it('a malformed mapping without a path reports both problems', () => {
    expect(issuesOf(testIdp({ ROLE_MAPPING: 'OwnerADMIN' })).map((issue) => issue.message)).toEqual([
      "Invalid ROLE_MAPPING format for test: 'OwnerADMIN'. Expected format: 'IdpRole:PhoenixRole' (e.g., 'Owner:ADMIN,Developer:MEMBER')",
      'Invalid configuration for test: ROLE_MAPPING is set but ROLE_ATTRIBUTE_PATH is not configured. ROLE_MAPPING requires ROLE_ATTRIBUTE_PATH to specify where to extract the role from.',
    ]);
  });
});

describe('OAuth2 IdP discovery', () => {
  it('sorts IdPs by name and treats any known suffix as a declaration', () => {
    const config = parseAuthEnv({ ...idpEnv('okta'), ...idpEnv('azure'), ...idpEnv('google') });
    expect(config.oauth2.idps.map((idp) => idp.name)).toEqual(['azure', 'google', 'okta']);
  });

  it('one optional variable declares an IdP whose required variables are then enforced', () => {
    expect(issuesOf({ PHOENIX_OAUTH2_OKTA_DISPLAY_NAME: 'Okta' }).map((issue) => issue.variable)).toEqual([
      'PHOENIX_OAUTH2_OKTA_CLIENT_ID',
      'PHOENIX_OAUTH2_OKTA_OIDC_CONFIG_URL',
      'PHOENIX_OAUTH2_OKTA_CLIENT_SECRET',
    ]);
  });

  it('names with several words are split at the known suffix', () => {
    expect(
      idpOf(idpEnv('microsoft_entra_id', { ROLE_ATTRIBUTE_PATH: 'roles', ROLE_ATTRIBUTE_STRICT: 'true' })).name,
    ).toBe('microsoft_entra_id');
  });

  it('at most one IdP may auto-login', () => {
    const env = {
      ...idpEnv('azure', { AUTO_LOGIN: 'true' }),
      ...idpEnv('google', { AUTO_LOGIN: 'TRUE' }),
      ...idpEnv('okta'),
    };
    expect(issuesOf(env)).toEqual([
      {
        variable: 'PHOENIX_OAUTH2_GOOGLE_AUTO_LOGIN',
        message: 'only one auto-login client is allowed: AUTO_LOGIN is already enabled for the azure OAuth2 IDP',
      },
    ]);
    expect(parseAuthEnv({ ...idpEnv('azure'), ...idpEnv('google', { AUTO_LOGIN: 'true' }) }).oauth2.autoLoginIdp).toBe(
      'google',
    );
  });

  it.each(['authorize', 'token', 'revoke', 'register', 'consent'])('the name %j is reserved', (name) => {
    expect(issuesOf(idpEnv(name))).toEqual([
      {
        variable: `PHOENIX_OAUTH2_${name.toUpperCase()}_CLIENT_ID`,
        message:
          `OAuth2 IdP name '${name}' is reserved: /oauth2/${name} is a route of the OAuth2 authorization server ` +
          '(reserved: authorize, consent, register, revoke, token). Choose another IdP name.',
      },
    ]);
  });

  it('a name outside [a-z0-9_] is rejected', () => {
    expect(issuesOf({ 'PHOENIX_OAUTH2_MY-IDP_CLIENT_ID': 'x', 'PHOENIX_OAUTH2_MY-IDP_OIDC_CONFIG_URL': URL_ })).toEqual(
      [
        {
          variable: 'PHOENIX_OAUTH2_MY-IDP_CLIENT_ID',
          message:
            "OAuth2 IdP name 'my-idp' is not valid: the part between PHOENIX_OAUTH2_ and the setting name may contain only " +
            'letters, digits and underscores, because the lower-cased name is the login URL segment /oauth2/<name>/login',
        },
      ],
    );
  });

  it('a mixed-case variable declares the IdP but is never read', () => {
    expect(issuesOf({ ...idpEnv('google'), PHOENIX_OAUTH2_Google_DISPLAY_NAME: 'G' })).toEqual([
      {
        variable: 'PHOENIX_OAUTH2_Google_DISPLAY_NAME',
        message:
          'PHOENIX_OAUTH2_Google_DISPLAY_NAME is never read: IdP settings are read from upper-case names, so rename it to PHOENIX_OAUTH2_GOOGLE_DISPLAY_NAME',
      },
    ]);
    expect(issuesOf({ PHOENIX_OAUTH2_Okta_CLIENT_ID: 'x' }).map((issue) => issue.variable)).toEqual([
      'PHOENIX_OAUTH2_OKTA_CLIENT_ID',
      'PHOENIX_OAUTH2_OKTA_OIDC_CONFIG_URL',
      'PHOENIX_OAUTH2_OKTA_CLIENT_SECRET',
      'PHOENIX_OAUTH2_Okta_CLIENT_ID',
    ]);
  });

  describe('client_assertion_jwt (docs/phoenix-contract.md#client-assertion)', () => {
    const assertionIdp = (overrides: Env) => {
      const env = testIdp({ TOKEN_ENDPOINT_AUTH_METHOD: 'CLIENT_ASSERTION_JWT', ...overrides });
      delete env.PHOENIX_OAUTH2_TEST_CLIENT_SECRET;
      return env;
    };

    it('takes a direct absolute path, needs no secret, and ignores a secret that is set', () => {
      const idp = idpOf(assertionIdp({ CLIENT_ASSERTION_FILE: '/var/run/secrets/token' }));
      expect(idp).toMatchObject({
        tokenEndpointAuthMethod: 'client_assertion_jwt',
        clientAssertion: { path: '/var/run/secrets/token', variable: null },
      });
    });

    it('takes the name of the variable holding the path (read, never echoed)', () => {
      const env = {
        ...assertionIdp({ CLIENT_ASSERTION_FILE_ENV_VAR: 'AZURE_FEDERATED_TOKEN_FILE' }),
        AZURE_FEDERATED_TOKEN_FILE: ' /var/run/azure/token ',
      };
      expect(idpOf(env).clientAssertion).toEqual({
        path: '/var/run/azure/token',
        variable: 'AZURE_FEDERATED_TOKEN_FILE',
      });
    });

    it.each<[string, Env, string, string]>([
      [
        'both set',
        { CLIENT_ASSERTION_FILE: '/a', CLIENT_ASSERTION_FILE_ENV_VAR: 'X_TOKEN_FILE' },
        'CLIENT_ASSERTION_FILE_ENV_VAR',
        'CLIENT_ASSERTION_FILE and CLIENT_ASSERTION_FILE_ENV_VAR are mutually exclusive; set the path directly or name the variable holding it, not both',
      ],
      [
        'neither set',
        {},
        'CLIENT_ASSERTION_FILE',
        "client_assertion_file is required when token_endpoint_auth_method is 'client_assertion_jwt' (IDP: test). Set CLIENT_ASSERTION_FILE to the absolute path of the assertion file, or CLIENT_ASSERTION_FILE_ENV_VAR to the name of the variable holding it.",
      ],
      [
        'a relative direct path',
        { CLIENT_ASSERTION_FILE: 'token.jwt' },
        'CLIENT_ASSERTION_FILE',
        "client_assertion_file must be an absolute path (IDP: test), got 'token.jwt'",
      ],
      [
        'a named variable that is unset',
        { CLIENT_ASSERTION_FILE_ENV_VAR: 'X_TOKEN_FILE' },
        'CLIENT_ASSERTION_FILE_ENV_VAR',
        'CLIENT_ASSERTION_FILE_ENV_VAR names X_TOKEN_FILE, but that variable is unset or empty. Set X_TOKEN_FILE to the absolute path of the assertion file.',
      ],
      [
        'a named variable with a relative path',
        { CLIENT_ASSERTION_FILE_ENV_VAR: 'X_TOKEN_FILE', X_TOKEN_FILE: 'secret/relative/path' },
        'CLIENT_ASSERTION_FILE_ENV_VAR',
        'CLIENT_ASSERTION_FILE_ENV_VAR names X_TOKEN_FILE, but its value is not an absolute path. Set X_TOKEN_FILE to the absolute path of the assertion file.',
      ],
    ])('refuses %s', (_label, overrides, suffix, message) => {
      const env: Env = assertionIdp({});
      for (const [key, value] of Object.entries(overrides)) {
        if (key === 'X_TOKEN_FILE') env[key] = value;
        else env[`PHOENIX_OAUTH2_TEST_${key}`] = value;
      }
      expect(issuesOf(env)).toEqual([{ variable: `PHOENIX_OAUTH2_TEST_${suffix}`, message }]);
    });

    it('the assertion variables are ignored for the other methods', () => {
      const idp = idpOf(testIdp({ CLIENT_ASSERTION_FILE: 'relative-and-ignored' }));
      expect(idp).toMatchObject({ tokenEndpointAuthMethod: 'client_secret_basic', clientAssertion: null });
    });
  });

  it('OAuth2-only mode works once an IdP is configured', () => {
    const config = parseAuthEnv({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: VALID_SECRET,
      PHOENIX_DISABLE_BASIC_AUTH: 'true',
      ...idpEnv('okta'),
    });
    expect(config.basicAuthEnabled).toBe(false);
    expect(config.oauth2.idps).toHaveLength(1);
  });

  it('an IdP with a bad name still counts as an alternative to basic auth (only its own problem is reported)', () => {
    expect(
      issuesOf({
        PHOENIX_ENABLE_AUTH: 'true',
        PHOENIX_SECRET: VALID_SECRET,
        PHOENIX_DISABLE_BASIC_AUTH: 'true',
        ...idpEnv('token'),
      }),
    ).toHaveLength(1);
  });
});

describe('OAuth2 JMESPath attributes', () => {
  const hint =
    'Hint: Claim keys with special characters (colons, dots, slashes, hyphens) must be enclosed in double quotes. Examples: \'"cognito:groups"\', \'"https://myapp.com/groups"\'';

  it.each([
    ['GROUPS_ATTRIBUTE_PATH', 'cognito:groups', 'Unexpected token type: Colon, value: :'],
    ['ROLE_ATTRIBUTE_PATH', 'https://myapp.com/role', 'Unknown character:/'],
    ['EMAIL_ATTRIBUTE_PATH', 'foo(', 'Invalid token (EOF): ""'],
  ])('a syntax error in %s is reported at start-up', (suffix, expression, reason) => {
    const overrides: Env = { [suffix]: expression };
    if (suffix === 'GROUPS_ATTRIBUTE_PATH') overrides.ALLOWED_GROUPS = 'admin';
    expect(issuesOf(testIdp(overrides))).toEqual([
      {
        variable: `PHOENIX_OAUTH2_TEST_${suffix}`,
        message: `Invalid JMESPath expression in ${suffix}: '${expression}'. Error: ${reason}. ${hint}`,
      },
    ]);
  });

  it('quoted keys, nested paths, projections and constants evaluate', () => {
    const idp = idpOf(
      testIdp({
        GROUPS_ATTRIBUTE_PATH: '"cognito:groups"',
        ALLOWED_GROUPS: 'admins',
        ROLE_ATTRIBUTE_PATH: "contains(groups[*], 'admin') && 'ADMIN' || 'VIEWER'",
        EMAIL_ATTRIBUTE_PATH: 'user.profile."e-mail"',
      }),
    );
    expect(idp.groupsPath!.evaluate({ 'cognito:groups': ['admins', 'x'] })).toEqual(['admins', 'x']);
    expect(idp.rolePath!.evaluate({ groups: ['admin'] })).toBe('ADMIN');
    expect(idp.rolePath!.evaluate({ groups: ['dev'] })).toBe('VIEWER');
    expect(idp.emailPath.evaluate({ user: { profile: { 'e-mail': 'a@b.co' } } })).toBe('a@b.co');
    expect(idp.emailPath.evaluate({})).toBeNull();
  });

  it('evaluation never throws: runtime errors mean "absent"', () => {
    const idp = idpOf(testIdp({ ROLE_ATTRIBUTE_PATH: "contains(groups[*], 'admin') && 'ADMIN' || 'VIEWER'" }));
    // contains(null, …) is a type error at run time when the groups claim is missing.
    expect(idp.rolePath!.evaluate({})).toBeUndefined();
    expect(idp.rolePath!.evaluate(undefined)).toBeUndefined();
  });

  it.each([
    ['nofunc(a)', { a: 1 }],
    ['constructor', {}],
    ['length(a)', { a: 5 }],
  ])('%s evaluates to undefined instead of throwing', (expression, data) => {
    const compiled = compilePath(expression);
    expect(compiled.ok).toBe(true);
    if (compiled.ok) expect(compiled.path.evaluate(data)).toBeUndefined();
  });

  it('compilePath reports syntax errors', () => {
    expect(compilePath('a[')).toEqual({ ok: false, reason: expect.any(String) as string });
    const compiled = compilePath("'ADMIN'");
    expect(compiled.ok && compiled.path.evaluate({})).toBe('ADMIN');
  });

  it('a blank EMAIL_ATTRIBUTE_PATH falls back to email', () => {
    expect(idpOf(testIdp({ EMAIL_ATTRIBUTE_PATH: '   ' })).emailPath.expression).toBe('email');
    expect(
      idpOf(testIdp({ EMAIL_ATTRIBUTE_PATH: 'preferred_username' })).emailPath.evaluate({
        preferred_username: 'u@x.io',
      }),
    ).toBe('u@x.io');
  });
});

describe('OAuth2 client IDs across IdPs (Gatehouse rule)', () => {
  const base: Env = { PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: VALID_SECRET };

  it('refuses one client ID for two IdPs with different discovery URLs, naming the second', () => {
    const issues = issuesOf({
      ...base,
      ...idpEnv('alpha'),
      ...idpEnv('beta', { OIDC_CONFIG_URL: 'https://other.example.com/.well-known/openid-configuration' }),
    });
    expect(issues).toEqual([
      expect.objectContaining({
        variable: 'PHOENIX_OAUTH2_BETA_CLIENT_ID',
        message: expect.stringContaining('uses the same client ID as the alpha IDP but another OIDC_CONFIG_URL'),
      }),
    ]);
  });

  it('allows it for the same identity provider (two entries, one discovery URL), and distinct IDs anywhere', () => {
    expect(parseAuthEnv({ ...base, ...idpEnv('alpha'), ...idpEnv('beta') }).oauth2.idps).toHaveLength(2);
    expect(
      parseAuthEnv({
        ...base,
        ...idpEnv('alpha'),
        ...idpEnv('beta', {
          CLIENT_ID: 'other',
          OIDC_CONFIG_URL: 'https://other.example.com/.well-known/openid-configuration',
        }),
      }).oauth2.idps,
    ).toHaveLength(2);
  });
});

describe('GATEHOUSE_OAUTH2_<IDP>_LOGOUT (RP-initiated logout, a Gatehouse addition)', () => {
  it('defaults to off and is read from the GATEHOUSE_ name whatever the prefix', () => {
    expect(idpOf(testIdp()).rpInitiatedLogout).toBe(false);
    expect(idpOf({ ...testIdp(), GATEHOUSE_OAUTH2_TEST_LOGOUT: 'true' }).rpInitiatedLogout).toBe(true);
    expect(idpOf({ ...testIdp(), GATEHOUSE_OAUTH2_TEST_LOGOUT: 'FALSE' }).rpInitiatedLogout).toBe(false);
    // The PHOENIX_ spelling is not Gatehouse's: it neither enables logout nor declares an IdP.
    expect(idpOf({ ...testIdp(), PHOENIX_OAUTH2_TEST_LOGOUT: 'true' }).rpInitiatedLogout).toBe(false);
    const custom = parseAuthEnv(
      {
        GATEHOUSE_OAUTH2_X_CLIENT_ID: 'c',
        GATEHOUSE_OAUTH2_X_CLIENT_SECRET: 's',
        GATEHOUSE_OAUTH2_X_OIDC_CONFIG_URL: URL_,
        GATEHOUSE_OAUTH2_X_LOGOUT: 'true',
      },
      { prefix: 'GATEHOUSE_' },
    );
    expect(custom.oauth2.idps.map((idp) => [idp.name, idp.rpInitiatedLogout])).toEqual([['x', true]]);
  });

  it('a value other than true/false is an error naming the variable', () => {
    expect(issuesOf({ ...testIdp(), GATEHOUSE_OAUTH2_TEST_LOGOUT: 'yes' })).toEqual([
      {
        variable: 'GATEHOUSE_OAUTH2_TEST_LOGOUT',
        message: "GATEHOUSE_OAUTH2_TEST_LOGOUT must be set to TRUE or FALSE (case-insensitive). Got: 'yes'",
      },
    ]);
  });

  it('one for an IdP that is not declared (a typo), or spelled in lower case, is an error, listed with the others', () => {
    const issues = issuesOf({
      ...testIdp(),
      GATEHOUSE_OAUTH2_TSET_LOGOUT: 'true',
      GATEHOUSE_OAUTH2_test_LOGOUT: 'true',
      PHOENIX_SECRET: 'short',
    });
    expect(issues.map((issue) => issue.variable).sort()).toEqual([
      'GATEHOUSE_OAUTH2_TSET_LOGOUT',
      'GATEHOUSE_OAUTH2_test_LOGOUT',
      'PHOENIX_SECRET',
    ]);
    expect(issues.find((issue) => issue.variable === 'GATEHOUSE_OAUTH2_TSET_LOGOUT')?.message).toMatch(
      /configures the OAuth2 IdP 'tset', which is not declared/,
    );
    expect(issues.find((issue) => issue.variable === 'GATEHOUSE_OAUTH2_test_LOGOUT')?.message).toMatch(
      /never read.*rename it to GATEHOUSE_OAUTH2_TEST_LOGOUT/,
    );
  });
});
