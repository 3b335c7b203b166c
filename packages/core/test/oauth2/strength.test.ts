import { describe, expect, it } from 'vitest';
import { parseAuthEnv } from '../../src/config/index.js';
import { authenticationStrengthProblem } from '../../src/oauth2/strength.js';

const none = { requiredAcr: [], requiredAmr: [] };

describe('authenticationStrengthProblem (per-IdP acr/amr requirement)', () => {
  it('asks nothing when nothing is configured (SSO users are exempt by default)', () => {
    expect(authenticationStrengthProblem({}, none)).toBeNull();
  });

  it('needs an acr from the list', () => {
    const idp = { requiredAcr: ['urn:mfa', 'gold'], requiredAmr: [] };
    expect(authenticationStrengthProblem({ acr: 'gold' }, idp)).toBeNull();
    expect(authenticationStrengthProblem({ acr: 'bronze' }, idp)).toBe('the ID token lacks a required acr');
    expect(authenticationStrengthProblem({}, idp)).toBe('the ID token lacks a required acr');
    expect(authenticationStrengthProblem({ acr: ['gold'] }, idp)).toBe('the ID token lacks a required acr');
  });

  it('needs at least one amr from the list', () => {
    const idp = { requiredAcr: [], requiredAmr: ['mfa', 'hwk'] };
    expect(authenticationStrengthProblem({ amr: ['pwd', 'hwk'] }, idp)).toBeNull();
    expect(authenticationStrengthProblem({ amr: ['pwd'] }, idp)).toBe('the ID token lacks a required amr');
    expect(authenticationStrengthProblem({ amr: 'mfa' }, idp)).toBe('the ID token lacks a required amr');
    expect(authenticationStrengthProblem({}, idp)).toBe('the ID token lacks a required amr');
  });

  it('is read from PHOENIX_OAUTH2_<IDP>_REQUIRED_ACR / _REQUIRED_AMR as comma lists', () => {
    const config = parseAuthEnv({
      PHOENIX_OAUTH2_CORP_CLIENT_ID: 'id',
      PHOENIX_OAUTH2_CORP_CLIENT_SECRET: 'secret',
      PHOENIX_OAUTH2_CORP_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
      PHOENIX_OAUTH2_CORP_REQUIRED_ACR: 'gold, urn:mfa,gold',
      PHOENIX_OAUTH2_CORP_REQUIRED_AMR: 'mfa',
    });
    expect(config.oauth2.idps[0]).toMatchObject({ requiredAcr: ['gold', 'urn:mfa'], requiredAmr: ['mfa'] });
  });
});
