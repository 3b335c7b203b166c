/**
 * Every stable error code Gatehouse emits, with the HTTP status it maps to.
 * One table, shared by every adapter: a code's status never depends on the framework.
 */
export const HTTP_STATUS_BY_CODE = {
  // configuration (start-up only; never reaches a client in practice)
  config_invalid: 500,
  // input
  bad_request: 400,
  malformed_json: 400,
  malformed_path: 400,
  // a back-channel logout token that fails validation (OpenID Connect Back-Channel Logout 1.0 §2.8)
  invalid_logout_token: 400,
  host_not_allowed: 421,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_input: 422,
  invalid_email: 422,
  password_policy: 422,
  // a passkey registration whose attestation does not verify, or whose ceremony is gone (used, expired, another browser's)
  passkey_rejected: 400,
  // authentication
  unauthenticated: 401,
  invalid_token: 401,
  expired_token: 401,
  // the session reached its absolute lifetime: sign in again
  session_expired: 401,
  invalid_credentials: 401,
  untrusted_origin: 401,
  // a wrong, replayed or used second-factor code (TOTP, recovery code)
  invalid_mfa_code: 401,
  // the password was right, but this login needs its second step (`POST /auth/mfa/verify`)
  mfa_required: 401,
  // a passkey assertion that does not verify (unknown credential, signature, origin, counter, user verification, used ceremony)
  invalid_passkey: 401,
  // authorization
  forbidden: 403,
  auth_disabled: 403,
  basic_auth_disabled: 403,
  // second factors are not configured (no GATEHOUSE_ENCRYPTION_KEY), or the caller cannot hold one
  mfa_unavailable: 403,
  // resources
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  duplicate_email: 409,
  duplicate_username: 409,
  reserved_username: 409,
  mfa_already_enrolled: 409,
  passkey_already_registered: 409,
  // throttling
  rate_limited: 429,
  too_many_login_attempts: 429,
  // dependencies
  unavailable: 503,
  smtp_not_configured: 503,
  // too much work queued (password hashing): come back after Retry-After
  overloaded: 503,
  directory_unavailable: 503,
  // an optional package the feature in use needs is not installed (start-up only in practice)
  dependency_missing: 500,
  internal: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof HTTP_STATUS_BY_CODE;

export function httpStatusForCode(code: ErrorCode): number {
  return HTTP_STATUS_BY_CODE[code];
}
