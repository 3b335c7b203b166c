import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAuthEnv } from '../../src/config/index.js';
import { type Env, VALID_SECRET, issuesOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-ldap-config-'));
const PEM = join(dir, 'ca.pem');
writeFileSync(PEM, '-----BEGIN CERTIFICATE-----\n');

const MAPPINGS = JSON.stringify([{ group_dn: 'cn=admins,ou=groups,dc=example,dc=com', role: 'admin' }]);

function ldapEnv(overrides: Env = {}): Env {
  return {
    PHOENIX_LDAP_HOST: 'ldap.example.com',
    PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '["ou=people,dc=example,dc=com"]',
    PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: MAPPINGS,
    ...overrides,
  };
}

const messages = (env: Env) => issuesOf(env).map((issue) => `${issue.variable}: ${issue.message}`);

describe('LDAP configuration', () => {
  it('is off without PHOENIX_LDAP_HOST, and then the other LDAP variables are not even read', () => {
    expect(parseAuthEnv({}).ldap).toBeNull();
    expect(
      parseAuthEnv({ PHOENIX_LDAP_HOST: '', PHOENIX_LDAP_PORT: 'nope', PHOENIX_LDAP_TLS_MODE: 'x' }).ldap,
    ).toBeNull();
  });

  it('applies the Phoenix defaults', () => {
    const { ldap } = parseAuthEnv(ldapEnv());
    expect(ldap).toMatchObject({
      hosts: ['ldap.example.com'],
      port: 389,
      tlsMode: 'starttls',
      tlsVerify: true,
      userSearchFilter: '(&(objectClass=user)(sAMAccountName=%s))',
      emailAttribute: 'mail',
      displayNameAttribute: 'displayName',
      memberOfAttribute: 'memberOf',
      uniqueIdAttribute: null,
      groupSearchFilter: null,
      allowSignUp: true,
      bindDn: null,
      groupRoleMappings: [{ groupDn: 'cn=admins,ou=groups,dc=example,dc=com', role: 'ADMIN' }],
    });
    expect(parseAuthEnv(ldapEnv({ PHOENIX_LDAP_TLS_MODE: 'LDAPS' })).ldap).toMatchObject({
      tlsMode: 'ldaps',
      port: 636,
    });
  });

  it('splits and trims hosts, canonicalises mapping DNs, trims base DNs and accepts the root DSE', () => {
    const { ldap } = parseAuthEnv(
      ldapEnv({
        PHOENIX_LDAP_HOST: ' a.example.com, ,b.example.com ',
        PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '[" ou=people,dc=example,dc=com ", ""]',
        PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: JSON.stringify([
          { group_dn: 'CN = Admins , OU = Groups , DC = example', role: 'Member', extra: 1 },
          { group_dn: ' * ', role: 'viewer' },
        ]),
      }),
    );
    expect(ldap?.hosts).toEqual(['a.example.com', 'b.example.com']);
    expect(ldap?.userSearchBaseDns).toEqual(['ou=people,dc=example,dc=com', '']);
    expect(ldap?.groupRoleMappings).toEqual([
      { groupDn: 'cn=admins,ou=groups,dc=example', role: 'MEMBER' },
      { groupDn: '*', role: 'VIEWER' },
    ]);
  });

  it('is validated even with auth off, and every problem is reported at once', () => {
    expect(
      messages({
        PHOENIX_ENABLE_AUTH: 'false',
        PHOENIX_LDAP_HOST: ',',
        PHOENIX_LDAP_PORT: '38x',
        PHOENIX_LDAP_TLS_MODE: 'TLS',
        PHOENIX_LDAP_TLS_VERIFY: 'yes',
        PHOENIX_LDAP_ALLOW_SIGN_UP: 'maybe',
        PHOENIX_LDAP_USER_SEARCH_FILTER: '(uid=x)',
        PHOENIX_LDAP_BIND_DN: 'not a valid dn',
        PHOENIX_LDAP_TLS_CLIENT_CERT_FILE: PEM,
        PHOENIX_LDAP_TLS_CA_CERT_FILE: join(dir, 'missing.pem'),
        PHOENIX_LDAP_ATTR_DISPLAY_NAME: 'display Name',
      }),
    ).toEqual([
      "PHOENIX_LDAP_HOST: PHOENIX_LDAP_HOST must contain at least one non-empty host. Example: 'ldap1.example.com,ldap2.example.com'",
      `PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: PHOENIX_LDAP_GROUP_ROLE_MAPPINGS must contain at least one mapping. Example: '[{"group_dn": "*", "role": "MEMBER"}]' (wildcard '*' grants MEMBER role to all authenticated LDAP users)`,
      "PHOENIX_LDAP_TLS_MODE: PHOENIX_LDAP_TLS_MODE must be 'none', 'starttls', or 'ldaps'. Got: 'tls'",
      "PHOENIX_LDAP_TLS_VERIFY: PHOENIX_LDAP_TLS_VERIFY must be set to TRUE or FALSE (case-insensitive). Got: 'yes'",
      `PHOENIX_LDAP_USER_SEARCH_BASE_DNS: PHOENIX_LDAP_USER_SEARCH_BASE_DNS must be set. Example: '["ou=users,dc=example,dc=com"]'`,
      "PHOENIX_LDAP_ALLOW_SIGN_UP: PHOENIX_LDAP_ALLOW_SIGN_UP must be set to TRUE or FALSE (case-insensitive). Got: 'maybe'",
      'PHOENIX_LDAP_PORT: Invalid value for environment variable PHOENIX_LDAP_PORT: 38x. Value must be an integer.',
      'PHOENIX_LDAP_TLS_CLIENT_KEY_FILE: PHOENIX_LDAP_TLS_CLIENT_CERT_FILE requires PHOENIX_LDAP_TLS_CLIENT_KEY_FILE to also be set',
      `PHOENIX_LDAP_TLS_CA_CERT_FILE: PHOENIX_LDAP_TLS_CA_CERT_FILE='${join(dir, 'missing.pem')}' does not exist or is not a file`,
      "PHOENIX_LDAP_ATTR_DISPLAY_NAME: PHOENIX_LDAP_ATTR_DISPLAY_NAME='display Name' contains spaces. LDAP attribute names do not contain spaces. Did you mean 'displayName'?",
      "PHOENIX_LDAP_USER_SEARCH_FILTER: PHOENIX_LDAP_USER_SEARCH_FILTER must contain '%s' placeholder for username. Got: '(uid=x)'",
      "PHOENIX_LDAP_BIND_DN: PHOENIX_LDAP_BIND_DN has invalid LDAP DN syntax: 'not a valid dn'. Expected format: 'cn=service,ou=accounts,dc=example,dc=com'",
      'PHOENIX_LDAP_BIND_PASSWORD: PHOENIX_LDAP_BIND_DN is set but PHOENIX_LDAP_BIND_PASSWORD is missing. Both are required for service account authentication.',
    ]);
  });

  it.each<[string, Env, string]>([
    [
      'a non-array base list',
      { PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '{"a":1}' },
      'PHOENIX_LDAP_USER_SEARCH_BASE_DNS must be a JSON array.',
    ],
    ['an empty base list', { PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '[]' }, 'must contain at least one base DN'],
    ['bad JSON', { PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '[' }, 'PHOENIX_LDAP_USER_SEARCH_BASE_DNS is not valid JSON'],
    [
      'a non-string base',
      { PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '[1]' },
      'PHOENIX_LDAP_USER_SEARCH_BASE_DNS[0] must be a string',
    ],
    [
      'a bad base DN',
      { PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '["not_a_valid_dn"]' },
      "PHOENIX_LDAP_USER_SEARCH_BASE_DNS[0] has invalid LDAP DN syntax: 'not_a_valid_dn'",
    ],
    ['a numeric-OID base DN', { PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '["2.5.4.3=x"]' }, 'invalid LDAP DN syntax'],
    [
      'a mapping that is no object',
      { PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: '["x"]' },
      'PHOENIX_LDAP_GROUP_ROLE_MAPPINGS[0] must be an object. Got: string',
    ],
    [
      'a mapping without role',
      { PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: '[{"group_dn":"*"}]' },
      "PHOENIX_LDAP_GROUP_ROLE_MAPPINGS[0] missing required field 'role'",
    ],
    [
      'a mapping with an empty DN',
      { PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: '[{"group_dn":" ","role":"ADMIN"}]' },
      'PHOENIX_LDAP_GROUP_ROLE_MAPPINGS[0].group_dn must be a non-empty string',
    ],
    [
      'the SYSTEM role',
      { PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: '[{"group_dn":"*","role":"system"}]' },
      "role must be one of ('ADMIN', 'MEMBER', 'VIEWER') (case-insensitive). Got: 'system'",
    ],
    [
      'an unparseable mapping DN',
      { PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: '[{"group_dn":"garbage","role":"ADMIN"}]' },
      "PHOENIX_LDAP_GROUP_ROLE_MAPPINGS[0].group_dn has invalid LDAP DN syntax: 'garbage'",
    ],
    [
      'a group filter without %s',
      { PHOENIX_LDAP_GROUP_SEARCH_FILTER: '(member=x)', PHOENIX_LDAP_GROUP_SEARCH_BASE_DNS: '["ou=g,dc=x"]' },
      "PHOENIX_LDAP_GROUP_SEARCH_FILTER must contain '%s' placeholder. Got: '(member=x)'",
    ],
    [
      'a group filter without bases',
      { PHOENIX_LDAP_GROUP_SEARCH_FILTER: '(member=%s)' },
      'Both are required for POSIX group search.',
    ],
    [
      'a group user attribute without filter',
      { PHOENIX_LDAP_GROUP_SEARCH_FILTER_USER_ATTR: 'uid' },
      'The user attribute setting only applies to group search filter mode.',
    ],
    [
      'a bind password without DN',
      { PHOENIX_LDAP_BIND_PASSWORD: 'pw' },
      'PHOENIX_LDAP_BIND_PASSWORD is set but PHOENIX_LDAP_BIND_DN is missing.',
    ],
    [
      'a client key without certificate',
      { PHOENIX_LDAP_TLS_CLIENT_KEY_FILE: PEM },
      'PHOENIX_LDAP_TLS_CLIENT_KEY_FILE requires PHOENIX_LDAP_TLS_CLIENT_CERT_FILE to also be set',
    ],
    ['a directory as CA file', { PHOENIX_LDAP_TLS_CA_CERT_FILE: dir }, 'does not exist or is not a file'],
    [
      'a port out of range',
      { PHOENIX_LDAP_PORT: '70000' },
      'PHOENIX_LDAP_PORT must be a port number from 1 to 65535. Got: 70000',
    ],
    ['a host with a scheme', { PHOENIX_LDAP_HOST: 'ldaps://x' }, 'must be bare host names or IP addresses'],
    [
      'no-email mode without a unique id',
      { PHOENIX_LDAP_ATTR_EMAIL: 'NULL' },
      "PHOENIX_LDAP_ATTR_UNIQUE_ID is required when PHOENIX_LDAP_ATTR_EMAIL is 'null'.",
    ],
    [
      'no-email mode without sign-up',
      { PHOENIX_LDAP_ATTR_EMAIL: '', PHOENIX_LDAP_ATTR_UNIQUE_ID: 'entryUUID', PHOENIX_LDAP_ALLOW_SIGN_UP: 'false' },
      'PHOENIX_LDAP_ALLOW_SIGN_UP must be True when',
    ],
    [
      'no-email mode with PHOENIX_ADMINS',
      { PHOENIX_LDAP_ATTR_EMAIL: 'null', PHOENIX_LDAP_ATTR_UNIQUE_ID: 'entryUUID', PHOENIX_ADMINS: 'a=a@example.com' },
      'PHOENIX_ADMINS is not supported when',
    ],
  ])('refuses %s', (_label, overrides, fragment) => {
    const all = messages(ldapEnv(overrides)).join('\n');
    expect(all).toContain(fragment);
  });

  it('no-email mode, and LDAP counts as an alternative to password login', () => {
    const config = parseAuthEnv(ldapEnv({ PHOENIX_LDAP_ATTR_EMAIL: 'Null', PHOENIX_LDAP_ATTR_UNIQUE_ID: 'entryUUID' }));
    expect(config.ldap).toMatchObject({ emailAttribute: null, uniqueIdAttribute: 'entryUUID' });
    const ldapOnly = parseAuthEnv(
      ldapEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: VALID_SECRET, PHOENIX_DISABLE_BASIC_AUTH: 'true' }),
    );
    expect(ldapOnly.basicAuthEnabled).toBe(false);
    expect(
      messages({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: VALID_SECRET, PHOENIX_DISABLE_BASIC_AUTH: 'true' }).join(
        '\n',
      ),
    ).toContain('or LDAP (PHOENIX_LDAP_HOST)');
  });

  it('keeps the bind password out of JSON and the other prefix applies', () => {
    const config = parseAuthEnv(
      ldapEnv({ PHOENIX_LDAP_BIND_DN: 'cn=svc,dc=example,dc=com', PHOENIX_LDAP_BIND_PASSWORD: 'hunter2-secret' }),
    );
    expect(config.ldap?.bindPassword).toBe('hunter2-secret');
    expect(JSON.stringify(config)).not.toContain('hunter2-secret');
    const other = parseAuthEnv(
      {
        GATEHOUSE_LDAP_HOST: 'h',
        GATEHOUSE_LDAP_USER_SEARCH_BASE_DNS: '[""]',
        GATEHOUSE_LDAP_GROUP_ROLE_MAPPINGS: '[{"group_dn":"*","role":"VIEWER"}]',
      },
      { prefix: 'GATEHOUSE_' },
    );
    expect(other.ldap?.hosts).toEqual(['h']);
  });
});
