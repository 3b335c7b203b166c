/** `mfa_challenge`: a login between its password and its second factor; good for nothing else. */
export type TokenKind = 'access' | 'refresh' | 'password_reset' | 'api_key' | 'mfa_challenge';

export const TOKEN_KINDS: readonly TokenKind[] = Object.freeze([
  'access',
  'refresh',
  'password_reset',
  'api_key',
  'mfa_challenge',
]);

export function isTokenKind(value: unknown): value is TokenKind {
  return typeof value === 'string' && (TOKEN_KINDS as readonly string[]).includes(value);
}

/**
 * The JOSE `typ` header of each kind (explicit typing, RFC 8725 §3.11). Lower case so that it is
 * already in the form RFC 7515 says receivers compare in.
 */
export function tokenType(kind: TokenKind): string {
  return `gh-${kind}+jwt`;
}

export const KIND_BY_TYPE: ReadonlyMap<string, TokenKind> = new Map(
  TOKEN_KINDS.map((kind) => [tokenType(kind), kind] as const),
);
