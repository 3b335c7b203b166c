import type { IdpConfig } from '../config/index.js';

/**
 * Whether an ID token shows the authentication strength the IdP's configuration asks for: `acr`
 * one of `requiredAcr`, and `amr` holding one of `requiredAmr`. Only the ID token speaks here
 * (UserInfo describes the user, not this authentication). Null when it does; otherwise the reason,
 * for the log.
 */
export function authenticationStrengthProblem(
  idClaims: Readonly<Record<string, unknown>>,
  idp: Pick<IdpConfig, 'requiredAcr' | 'requiredAmr'>,
): string | null {
  if (idp.requiredAcr.length > 0) {
    const acr = idClaims.acr;
    if (typeof acr !== 'string' || !idp.requiredAcr.includes(acr)) return 'the ID token lacks a required acr';
  }
  if (idp.requiredAmr.length > 0) {
    const amr = idClaims.amr;
    if (!Array.isArray(amr) || !amr.some((method) => typeof method === 'string' && idp.requiredAmr.includes(method))) {
      return 'the ID token lacks a required amr';
    }
  }
  return null;
}
