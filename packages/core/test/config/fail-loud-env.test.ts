import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { editDistance, findUnknownVariables, parseAuthEnv } from '../../src/config/index.js';

const SECRET = 'test-secret-0123456789-abcdefghijklmn';

function issuesOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    parseAuthEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('URLs are http or https', () => {
  it.each(['ftp://x', 'javascript://x/alert(1)', 'file://host/etc/passwd', 'ws://phoenix.example.com'])(
    'PHOENIX_ROOT_URL=%s is refused, naming the schemes',
    (url) => {
      const issues = issuesOf({ PHOENIX_ROOT_URL: url });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({
        variable: 'PHOENIX_ROOT_URL',
        message: expect.stringContaining('only http:// and https://'),
      });
    },
  );

  it('http and https pass, in any case', () => {
    expect(parseAuthEnv({ PHOENIX_ROOT_URL: 'https://p.example.com/app' }).publicUrl).toBe('https://p.example.com/app');
    expect(parseAuthEnv({ PHOENIX_ROOT_URL: 'HTTP://p.example.com' }).rootUrl).toBe('HTTP://p.example.com');
  });

  it('the same rule for CSRF origins and IdP discovery URLs', () => {
    expect(issuesOf({ PHOENIX_CSRF_TRUSTED_ORIGINS: 'https://ok.example.com,ftp://bad.example.com' })).toEqual([
      { variable: 'PHOENIX_CSRF_TRUSTED_ORIGINS', message: expect.stringContaining('ftp://bad.example.com') },
    ]);
    const idp = issuesOf({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      PHOENIX_OAUTH2_ACME_CLIENT_ID: 'id',
      PHOENIX_OAUTH2_ACME_CLIENT_SECRET: 'secret',
      PHOENIX_OAUTH2_ACME_OIDC_CONFIG_URL: 'ftp://idp.example.com/.well-known/openid-configuration',
    });
    expect(idp).toEqual([
      { variable: 'PHOENIX_OAUTH2_ACME_OIDC_CONFIG_URL', message: expect.stringContaining('must use HTTPS') },
    ]);
  });
});

describe('the initial admin password meets the password policy', () => {
  it('a one-character password is refused at start-up, without quoting it', () => {
    const issues = issuesOf({
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'q',
    });
    expect(issues).toEqual([
      { variable: 'PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD', message: expect.stringContaining('at least 4 characters') },
    ]);
    expect(issues[0]!.message).not.toMatch(/'q'|"q"/);
  });

  it('the strong policy applies when it is on; unset keeps Phoenix’s default', () => {
    const strong = {
      PHOENIX_ENABLE_AUTH: 'true',
      PHOENIX_SECRET: SECRET,
      PHOENIX_ENABLE_STRONG_PASSWORD_POLICY: 'true',
    };
    expect(
      issuesOf({ ...strong, PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'long-enough-but-weak' })[0]?.message,
    ).toContain('at least one uppercase letter');
    expect(issuesOf({ ...strong, PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'Str0ng+Initial!' })).toEqual([]);
    expect(parseAuthEnv(strong).defaultAdminInitialPassword).toBe('admin');
  });
});

describe('unknown variables', () => {
  it('flags a misspelt PHOENIX_ or GATEHOUSE_ variable with the nearest known name', () => {
    expect(
      findUnknownVariables({
        PHOENIX_SECERT: 'x',
        PHOENIX_ENABLE_AUHT: 'true',
        GATEHOUSE_ALLOWED_HOST: 'a.example.com',
        PHOENIX_COMPLETELY_DIFFERENT_THING: '1',
        HOME: '/root',
      }),
    ).toEqual([
      { variable: 'GATEHOUSE_ALLOWED_HOST', suggestion: 'GATEHOUSE_ALLOWED_HOSTS' },
      { variable: 'PHOENIX_COMPLETELY_DIFFERENT_THING', suggestion: null },
      { variable: 'PHOENIX_ENABLE_AUHT', suggestion: 'PHOENIX_ENABLE_AUTH' },
      { variable: 'PHOENIX_SECERT', suggestion: 'PHOENIX_SECRET' },
    ]);
  });

  it('knows every variable core reads, LDAP and IdP settings, Phoenix’s non-auth settings and the caller’s own', () => {
    expect(
      findUnknownVariables(
        {
          PHOENIX_SECRET: SECRET,
          PHOENIX_LDAP_BIND_DN: 'cn=x',
          PHOENIX_OAUTH2_ACME_CLIENT_ID: 'id',
          PHOENIX_OAUTH2_ACME_CLIENT_SECERT: 's',
          PHOENIX_WORKING_DIR: '/data',
          PHOENIX_SQL_DATABASE_URL: 'sqlite:///x',
          PHOENIX_COLLECTOR_ENDPOINT: 'http://c',
          GATEHOUSE_PASSWORD_HASH_QUEUE: '8',
          GATEHOUSE_REDIS_URL: 'redis://r',
        },
        { known: ['GATEHOUSE_REDIS_URL'] },
      ),
    ).toEqual([{ variable: 'PHOENIX_OAUTH2_ACME_CLIENT_SECERT', suggestion: 'PHOENIX_OAUTH2_ACME_CLIENT_SECRET' }]);
  });

  it('follows the configured prefix', () => {
    expect(findUnknownVariables({ MYAPP_SECERT: 'x', PHOENIX_SECERT: 'y' }, { prefix: 'MYAPP_' })).toEqual([
      { variable: 'MYAPP_SECERT', suggestion: 'MYAPP_SECRET' },
    ]);
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('SECERT', 'SECRET')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
