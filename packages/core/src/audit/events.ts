/**
 * The security events Gatehouse records: one closed union, so a reader (the API, the CLI, a SIEM
 * export) can switch on `type` and know every field. Events never carry a secret, a token, a
 * password or a hash: only ids, names, e-mail addresses, roles and reasons. Where each type is
 * emitted is listed in docs/audit.md.
 */
import type { PrincipalKind, Role } from '../policy/index.js';
import type { ApiKeyKind, AuthMethod } from '../ports.js';

/** How a person proved who they are when a session began. */
export type AuditSignInMethod = 'password' | 'oauth2' | 'ldap';

/**
 * Why a sign-in was refused. Finer than what the client hears (always "invalid credentials"):
 * the audit trail is for administrators, who need to tell a typo from a probe.
 */
export type SignInFailureReason =
  /** No account with that e-mail or login name. */
  | 'unknown_user'
  /** The account exists; the password was wrong. */
  | 'invalid_password'
  /** The directory refused the name and password; it does not say which of the two was wrong. */
  | 'invalid_credentials'
  /** The account exists but does not sign in this way (an SSO or LDAP user trying a password). */
  | 'wrong_method'
  /** Refused before the password was checked: the account is locked out after repeated failures. */
  | 'locked_out'
  /** The password was right; the second factor (authenticator or recovery code) that followed was wrong. */
  | 'invalid_mfa_code'
  /** The directory accepted the password but its entry cannot become a user (no e-mail, no group, a conflict). */
  | 'not_allowed';

/** Why an SSO (OAuth2/OIDC) login was refused: the code the login page shows, plus what went wrong. */
export type SsoDenialReason =
  | 'unknown_idp'
  | 'auth_failed'
  | 'invalid_state'
  | 'unsafe_return_url'
  | 'no_oidc_support'
  | 'missing_email_scope'
  | 'oauth_error'
  | 'email_in_use'
  | 'sign_in_not_allowed';

/** Who ended a session: its owner, an administrator, the identity provider, or Gatehouse itself. */
export type SessionEndedBy = 'user' | 'admin' | 'identity_provider' | 'system';

/** Which kind of credential was accepted with a previous (retiring) secret. */
export type RotatedCredential =
  'access_token' | 'refresh_token' | 'api_key' | 'password_reset_token' | 'mfa_challenge_token';

/** The fields each event type carries besides the common ones. */
export interface AuditDetailsByType {
  'sign_in.succeeded': { readonly method: AuditSignInMethod; readonly idp: string | null; readonly sessionId: number };
  'sign_in.failed': {
    readonly method: AuditSignInMethod;
    readonly reason: SignInFailureReason;
    /** The e-mail or login name typed, only when it is a known account (never free text that might be a password). */
    readonly login: string | null;
  };
  /** The failure that locked the account: further attempts are refused until `lockedUntil` (epoch ms). */
  'sign_in.locked_out': {
    readonly method: AuditSignInMethod;
    readonly login: string | null;
    readonly lockedUntil: number;
  };
  /** The user signed out (every session of theirs ended). */
  sign_out: { readonly sessionsEnded: number };
  /** A consumed refresh token was presented again: the session it belonged to was ended. */
  'refresh_token.replayed': { readonly sessionId: number };
  'password.changed': { readonly by: 'self' | 'admin'; readonly sessionsEnded: boolean };
  /** A reset link was sent (only for accounts that can receive one; unknown e-mails leave no event). */
  'password.reset_requested': { readonly email: string };
  'password.reset_completed': Record<string, never>;
  'user.created': {
    readonly email: string;
    readonly username: string;
    readonly role: Role;
    readonly authMethod: AuthMethod;
    /** `admin`: the API or CLI; `sign_up`: first SSO or LDAP login; `bootstrap`: the default admin, PHOENIX_ADMINS. */
    readonly via: 'admin' | 'sign_up' | 'bootstrap';
  };
  'user.deleted': { readonly email: string; readonly username: string };
  /** `via`: `admin` by the API, `oauth2` / `ldap` when the IdP's or directory's groups moved the user. */
  'user.role_changed': { readonly from: Role; readonly to: Role; readonly via: 'admin' | 'oauth2' | 'ldap' };
  'api_key.created': {
    readonly keyId: number;
    readonly kind: ApiKeyKind;
    readonly name: string;
    readonly expiresAt: number | null;
  };
  'api_key.deleted': { readonly keyId: number; readonly kind: ApiKeyKind };
  'sso.denied': {
    readonly idp: string;
    readonly reason: SsoDenialReason;
    /** Plain text for administrators, no claim values. */ readonly detail: string;
  };
  /**
   * Sessions ended other than by signing out: one (`sessionId`) or all of the user's (`sessionId` null).
   * `reason` says why in a word (`revoked`, `password_changed`, `backchannel_logout`, `max_lifetime`, …).
   */
  'session.ended': { readonly sessionId: number | null; readonly by: SessionEndedBy; readonly reason: string };
  /**
   * A credential was accepted with a previous secret (`secretIndex`: its 1-based position in the
   * list of previous secrets). Emitted at most once per secret and credential kind per process per
   * hour, so it marks "still in use" without flooding.
   */
  'secret.previous_in_use': { readonly secretIndex: number; readonly credential: RotatedCredential };
  /** The process started with authentication disabled: every request is anonymous. */
  'auth.disabled_at_start': Record<string, never>;
}

export type AuditEventType = keyof AuditDetailsByType;

/** Every type, in a stable order (filters are checked against it). */
export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = Object.freeze([
  'sign_in.succeeded',
  'sign_in.failed',
  'sign_in.locked_out',
  'sign_out',
  'refresh_token.replayed',
  'password.changed',
  'password.reset_requested',
  'password.reset_completed',
  'user.created',
  'user.deleted',
  'user.role_changed',
  'api_key.created',
  'api_key.deleted',
  'sso.denied',
  'session.ended',
  'secret.previous_in_use',
  'auth.disabled_at_start',
] satisfies AuditEventType[]);

const TYPE_SET: ReadonlySet<string> = new Set(AUDIT_EVENT_TYPES);

export function isAuditEventType(value: unknown): value is AuditEventType {
  return typeof value === 'string' && TYPE_SET.has(value);
}

/**
 * Who did it: how the actor was authenticated (a principal kind), `user` for the subject acting
 * before they hold a credential (signing in, following a reset link), `anonymous` for nobody known,
 * `system` for Gatehouse itself (start-up), `cli` for the `gatehouse` command, `identity_provider`
 * for an IdP's back-channel call.
 */
export type AuditActorKind = PrincipalKind | 'user' | 'system' | 'cli' | 'identity_provider';

export interface AuditActor {
  readonly kind: AuditActorKind;
  /** The acting user; null when nobody is signed in (a failed sign-in) or for Gatehouse itself. */
  readonly userId: number | null;
}

/** Where the request came from; all null outside a request (start-up, the CLI). */
export interface AuditRequestContext {
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

/** What a service says happened: the type, its details, who did it and to whom. */
export type AuditEventInput = {
  [K in AuditEventType]: {
    readonly type: K;
    readonly details: AuditDetailsByType[K];
    /** Omitted: the subject acted on themselves (sign-in, sign-out), or nobody when there is no subject. */
    readonly actor?: AuditActor;
    /** The user the event is about; null when unknown (a failed sign-in for an unknown e-mail). */
    readonly subjectUserId: number | null;
  };
}[AuditEventType];

/** An event as stored, before it has an id. */
export type NewAuditEvent = {
  [K in AuditEventType]: {
    readonly type: K;
    readonly details: AuditDetailsByType[K];
    readonly occurredAt: number;
    readonly actor: AuditActor;
    readonly subjectUserId: number | null;
  } & AuditRequestContext;
}[AuditEventType];

/** An event as read back: ids ascend with insertion. */
export type AuditEventRecord = NewAuditEvent & { readonly id: number };

/** Keyset page over audit events, newest (highest id) first. */
export interface AuditEventQuery {
  beforeId?: number | null;
  limit: number;
  /** Only these types (empty or omitted: all). */
  types?: readonly AuditEventType[];
  /** Events where this user is the actor or the subject. */
  userId?: number | null;
  /** occurredAt >= since (epoch ms). */
  since?: number | null;
  /** occurredAt < until (epoch ms). */
  until?: number | null;
}
