import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_REFERENCE,
  GATEHOUSE_CONFIG_REFERENCE,
  IDP_CONFIG_REFERENCE,
  LDAP_CONFIG_REFERENCE,
  parseAuthEnv,
  renderConfigReference,
} from '../../src/config/index.js';
import { LDAP_SUFFIXES } from '../../src/config/ldap.js';
import { IDP_SUFFIXES } from '../../src/config/oauth2-idps.js';
import { GATEHOUSE_VARIABLES, VARIABLES } from '../../src/config/variables.js';
import { VALID_SECRET, idpEnv } from './helpers.js';

const PAGE = new URL('../../../../docs/configuration-reference.md', import.meta.url);

function documentedDefault(variable: string): string | null {
  const row = CONFIG_REFERENCE.find((entry) => entry.variable === variable);
  if (row === undefined) throw new Error(`${variable} is not in CONFIG_REFERENCE`);
  return row.default;
}

function documentedIdpDefault(suffix: string): string | null {
  const row = IDP_CONFIG_REFERENCE.find((entry) => entry.variable === suffix);
  if (row === undefined) throw new Error(`${suffix} is not in IDP_CONFIG_REFERENCE`);
  return row.default;
}

describe('configuration reference', () => {
  it('documents exactly the global variables the parser reads', () => {
    const read = VARIABLES.map((variable) => `PHOENIX_${variable}`).sort();
    expect(CONFIG_REFERENCE.map((entry) => entry.variable).sort()).toEqual(read);
    expect(new Set(CONFIG_REFERENCE.map((entry) => entry.variable)).size).toBe(CONFIG_REFERENCE.length);
  });

  it('documents exactly the GATEHOUSE_ variables the parser reads, with their defaults', () => {
    expect(GATEHOUSE_CONFIG_REFERENCE.map((entry) => entry.variable).sort()).toEqual(
      GATEHOUSE_VARIABLES.map((variable) => `GATEHOUSE_${variable}`).sort(),
    );
    const { passwordHashing } = parseAuthEnv({});
    const byName = new Map(GATEHOUSE_CONFIG_REFERENCE.map((entry) => [entry.variable, entry]));
    expect(String(passwordHashing.maxQueue)).toBe(byName.get('GATEHOUSE_PASSWORD_HASH_QUEUE')?.default);
    expect(passwordHashing.concurrency).toBeNull();
    expect(byName.get('GATEHOUSE_PASSWORD_HASH_CONCURRENCY')?.default).toBeNull();
    for (const entry of GATEHOUSE_CONFIG_REFERENCE) expect(entry.description, entry.variable).toMatch(/^\S[^\n]*$/);
  });

  it('documents exactly the per-IdP suffixes the parser reads', () => {
    expect(IDP_CONFIG_REFERENCE.map((entry) => entry.variable).sort()).toEqual([...IDP_SUFFIXES].sort());
  });

  it('documents exactly the LDAP suffixes the parser reads, with the defaults it applies', () => {
    expect(LDAP_CONFIG_REFERENCE.map((entry) => entry.variable).sort()).toEqual([...LDAP_SUFFIXES].sort());
    const ldap = parseAuthEnv({
      PHOENIX_LDAP_HOST: 'h',
      PHOENIX_LDAP_USER_SEARCH_BASE_DNS: '[""]',
      PHOENIX_LDAP_GROUP_ROLE_MAPPINGS: '[{"group_dn":"*","role":"VIEWER"}]',
    }).ldap;
    const documented = (suffix: string) => LDAP_CONFIG_REFERENCE.find((entry) => entry.variable === suffix)?.default;
    expect(String(ldap?.port)).toBe(documented('PORT'));
    expect(ldap?.tlsMode).toBe(documented('TLS_MODE'));
    expect(String(ldap?.tlsVerify)).toBe(documented('TLS_VERIFY'));
    expect(ldap?.userSearchFilter).toBe(documented('USER_SEARCH_FILTER'));
    expect(ldap?.emailAttribute).toBe(documented('ATTR_EMAIL'));
    expect(ldap?.displayNameAttribute).toBe(documented('ATTR_DISPLAY_NAME'));
    expect(ldap?.memberOfAttribute).toBe(documented('ATTR_MEMBER_OF'));
    expect(String(ldap?.allowSignUp)).toBe(documented('ALLOW_SIGN_UP'));
    expect(LDAP_CONFIG_REFERENCE.filter((entry) => entry.secret).map((entry) => entry.variable)).toEqual([
      'BIND_PASSWORD',
    ]);
  });

  it('gives every entry a one-line description', () => {
    for (const entry of [...CONFIG_REFERENCE, ...IDP_CONFIG_REFERENCE, ...LDAP_CONFIG_REFERENCE]) {
      expect(entry.description, entry.variable).toMatch(/^\S[^\n]*$/);
    }
  });

  it('marks the redacted values as secrets', () => {
    const secrets = CONFIG_REFERENCE.filter((entry) => entry.secret).map((entry) => entry.variable);
    expect(secrets.sort()).toEqual(
      [
        'PHOENIX_ADMIN_SECRET',
        'PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD',
        'PHOENIX_SECRET',
        'PHOENIX_SMTP_PASSWORD',
      ].sort(),
    );
    expect(IDP_CONFIG_REFERENCE.filter((entry) => entry.secret).map((entry) => entry.variable)).toEqual([
      'CLIENT_SECRET',
    ]);
  });

  it('documents the defaults parseAuthEnv applies', () => {
    const config = parseAuthEnv({});
    expect(String(config.enabled)).toBe(documentedDefault('PHOENIX_ENABLE_AUTH'));
    expect(String(!config.basicAuthEnabled)).toBe(documentedDefault('PHOENIX_DISABLE_BASIC_AUTH'));
    expect(String(!config.rateLimitEnabled)).toBe(documentedDefault('PHOENIX_DISABLE_RATE_LIMIT'));
    expect(String(!config.bruteForce.enabled)).toBe(documentedDefault('PHOENIX_DISABLE_BRUTE_FORCE_LOGIN_PROTECTION'));
    expect(String(config.bruteForce.maxAttempts)).toBe(
      documentedDefault('PHOENIX_BRUTE_FORCE_LOGIN_PROTECTION_MAX_ATTEMPTS'),
    );
    expect(String(config.passwordPolicy === 'strong')).toBe(documentedDefault('PHOENIX_ENABLE_STRONG_PASSWORD_POLICY'));
    expect(String(config.tokens.accessTtlSeconds / 60)).toBe(documentedDefault('PHOENIX_ACCESS_TOKEN_EXPIRY_MINUTES'));
    expect(String(config.tokens.refreshTtlSeconds / 60)).toBe(
      documentedDefault('PHOENIX_REFRESH_TOKEN_EXPIRY_MINUTES'),
    );
    expect(String(config.tokens.passwordResetTtlSeconds / 60)).toBe(
      documentedDefault('PHOENIX_PASSWORD_RESET_TOKEN_EXPIRY_MINUTES'),
    );
    expect(String(config.cookies.secure)).toBe(documentedDefault('PHOENIX_USE_SECURE_COOKIES'));
    expect(config.cookies.path).toBe(documentedDefault('PHOENIX_COOKIES_PATH'));
    expect(config.cookies.namePrefix).toBe(documentedDefault('PHOENIX_COOKIE_NAME_PREFIX'));
    expect(config.defaultAdminInitialPassword).toBe(documentedDefault('PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD'));
    expect(config.managementUrl).toBe(documentedDefault('PHOENIX_MANAGEMENT_URL'));
    expect(config.supportEmail).toBe(documentedDefault('PHOENIX_SUPPORT_EMAIL'));
    expect(config.smtp).toBeNull();
    expect(documentedDefault('PHOENIX_SMTP_HOSTNAME')).toBeNull();
  });

  it('documents the SMTP defaults applied once a hostname is set', () => {
    const { smtp } = parseAuthEnv({
      PHOENIX_SMTP_HOSTNAME: 'smtp.example.com',
      PHOENIX_SMTP_USERNAME: 'user',
      PHOENIX_SMTP_PASSWORD: 'password',
    });
    expect(String(smtp?.port)).toBe(documentedDefault('PHOENIX_SMTP_PORT'));
    expect(smtp?.mailFrom).toBe(documentedDefault('PHOENIX_SMTP_MAIL_FROM'));
    expect(String(smtp?.validateCerts)).toBe(documentedDefault('PHOENIX_SMTP_VALIDATE_CERTS'));
  });

  it('documents the per-IdP defaults', () => {
    const config = parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: VALID_SECRET, ...idpEnv('okta') });
    const [idp] = config.oauth2.idps;
    expect(idp).toBeDefined();
    if (idp === undefined) return;
    expect(String(idp.allowSignUp)).toBe(documentedIdpDefault('ALLOW_SIGN_UP'));
    expect(String(idp.autoLogin)).toBe(documentedIdpDefault('AUTO_LOGIN'));
    expect(String(idp.usePkce)).toBe(documentedIdpDefault('USE_PKCE'));
    expect(idp.tokenEndpointAuthMethod).toBe(documentedIdpDefault('TOKEN_ENDPOINT_AUTH_METHOD'));
    expect(String(idp.roleAttributeStrict)).toBe(documentedIdpDefault('ROLE_ATTRIBUTE_STRICT'));
    expect(String(idp.roleResync)).toBe(documentedIdpDefault('ROLE_RESYNC'));
    expect(idp.emailPath.evaluate({ email: 'a@example.com' })).toBe('a@example.com');
    expect(documentedIdpDefault('EMAIL_ATTRIBUTE_PATH')).toBe('email');
    expect(idp.groupsPath).toBeNull();
    expect(documentedIdpDefault('GROUPS_ATTRIBUTE_PATH')).toBeNull();
  });

  it('matches the committed docs/configuration-reference.md', () => {
    let committed: string;
    try {
      committed = readFileSync(PAGE, 'utf8');
    } catch {
      committed = '';
    }
    if (committed !== renderConfigReference()) {
      expect.fail('docs/configuration-reference.md is stale: run node scripts/gen-config-reference.mjs');
    }
  });
});
