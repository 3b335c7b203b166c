/**
 * The I/O core's services need, as interfaces passed in, never imported (docs/architecture.md#rule-2).
 * Row ids are integers; every timestamp is epoch milliseconds, so both store dialects and every
 * service speak the same units.
 */
import type { AuditEventQuery, AuditEventRecord, NewAuditEvent } from './audit/events.js';
import type { Role } from './policy/roles.js';

export type AuthMethod = 'LOCAL' | 'OAUTH2' | 'LDAP';
export type ApiKeyKind = 'user' | 'system';

export interface UserRecord {
  readonly id: number;
  readonly username: string;
  /** Stored trimmed and lower-cased; unique. */
  readonly email: string;
  readonly role: Role;
  readonly authMethod: AuthMethod;
  /** argon2id PHC string; null for OAuth-only users. */
  readonly passwordHash: string | null;
  /** "Password needs reset": the default admin and admin-created users until they choose their own. */
  readonly resetPassword: boolean;
  readonly oauth2ClientId: string | null;
  readonly oauth2UserId: string | null;
  readonly profilePictureUrl: string | null;
  /** LDAP users only: the directory's unique id (entryUUID, objectGUID…) as lower-case text, once known. */
  readonly ldapUniqueId: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewUser {
  username: string;
  email: string;
  role: Role;
  authMethod: AuthMethod;
  passwordHash: string | null;
  resetPassword: boolean;
  oauth2ClientId?: string | null;
  oauth2UserId?: string | null;
  profilePictureUrl?: string | null;
  ldapUniqueId?: string | null;
  createdAt: number;
}

export interface UserPatch {
  username?: string;
  email?: string;
  role?: Role;
  passwordHash?: string | null;
  resetPassword?: boolean;
  oauth2ClientId?: string | null;
  oauth2UserId?: string | null;
  profilePictureUrl?: string | null;
  ldapUniqueId?: string | null;
  updatedAt: number;
}

/** How a session was signed in to: the password form, an OAuth2/OIDC IdP (by its configured name), or LDAP. */
export type SignInMethod = 'password' | 'oauth2' | 'ldap';

/** Where and how a login happened, recorded once on its session row for the session list. */
export interface SessionOrigin {
  readonly signInMethod: SignInMethod;
  /** The IdP's configured name for `oauth2`; null otherwise. */
  readonly idp?: string | null;
  /** The client address as the trusted-proxy rule resolved it; null when unknown. */
  readonly clientAddress?: string | null;
  /** The `User-Agent` header, bounded in length; null when absent. */
  readonly userAgent?: string | null;
}

/** One login: the family every access and refresh token minted from it belongs to. */
export interface SessionRecord {
  readonly id: number;
  readonly userId: number;
  readonly createdAt: number;
  /** Idle end: the expiry of its newest refresh token. */
  readonly expiresAt: number;
  /** null for sessions created before sign-in methods were recorded. */
  readonly signInMethod: SignInMethod | null;
  readonly idp: string | null;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
  /** When a refresh last rotated its tokens; null until the first refresh. */
  readonly lastRefreshedAt: number | null;
}

export interface NewSession extends SessionOrigin {
  userId: number;
  createdAt: number;
  expiresAt: number;
}

/**
 * What ties a session to the OpenID Connect login it came from, so the IdP's logout can find it
 * (back-channel: by `sid` and/or `sub`) and a sign-out can end the IdP's session (RP-initiated:
 * the ID token as `id_token_hint`). Deleted with its session.
 */
export interface IdpSessionLink {
  readonly sessionId: number;
  /** The IdP's configured name (`/oauth2/<idp>/...`). */
  readonly idp: string;
  /** The ID token's `sub`. */
  readonly subject: string;
  /** The ID token's `sid` (the IdP's session id), when it sent one. */
  readonly sid: string | null;
  /** The ID token, encrypted and bound to the session (never stored in clear); null when not kept. */
  readonly sealedIdToken: string | null;
}

/** Which sessions an IdP's logout token names: at least one of `subject` and `sid`; both must match when both are given. */
export interface IdpLogoutQuery {
  readonly idp: string;
  readonly subject: string | null;
  readonly sid: string | null;
}

export interface RefreshTokenRecord {
  readonly id: number;
  readonly sessionId: number;
  readonly userId: number;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Set once, atomically, when the token is exchanged; a second use is a replay. */
  readonly consumedAt: number | null;
}

export interface AccessTokenRecord {
  readonly id: number;
  readonly sessionId: number;
  readonly userId: number;
  readonly refreshTokenId: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * The owner's current identity, read in the same join as the credential: what the principal of a
 * request carries, so host code needs no second lookup. A change to any of these publishes a `user`
 * revocation event, which makes every cache read them again.
 */
export interface GrantOwner {
  readonly role: Role;
  readonly username: string;
  readonly email: string;
  readonly authMethod: AuthMethod;
}

/** What `authenticate` needs about an access token, with the owner's current identity, in one read. */
export interface AccessTokenGrant extends GrantOwner {
  readonly id: number;
  readonly sessionId: number;
  readonly userId: number;
  readonly expiresAt: number;
}

export interface ApiKeyRecord {
  readonly id: number;
  readonly userId: number;
  readonly kind: ApiKeyKind;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: number;
  /** null: never expires. */
  readonly expiresAt: number | null;
  /**
   * The fingerprint (`TokenCodec.keyId`) of the secret that signed the key, so an admin can list the
   * keys that retiring an old secret would break; null for keys created before it was recorded.
   */
  readonly secretId: string | null;
}

export interface ApiKeyWithOwner extends ApiKeyRecord {
  readonly owner: { readonly id: number; readonly username: string; readonly email: string };
}

/** What `authenticate` needs about an API key: the key and its owner's current identity, in one read. */
export interface ApiKeyGrant extends GrantOwner {
  readonly id: number;
  readonly userId: number;
  readonly kind: ApiKeyKind;
  readonly expiresAt: number | null;
}

export interface PasswordResetTokenRecord {
  readonly id: number;
  readonly userId: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * A user's TOTP authenticator. The shared secret is stored only encrypted (`secretCiphertext` is
 * the secret box's output); `confirmedAt` is null while enrolment waits for its first code.
 */
export interface TotpFactorRecord {
  readonly userId: number;
  readonly secretCiphertext: string;
  readonly createdAt: number;
  readonly confirmedAt: number | null;
  /** The highest 30-second step accepted so far: a code of this step or an earlier one is a replay. */
  readonly lastUsedStep: number | null;
}

/** A login that passed its password and waits for its second factor (or for enrolment). */
export interface MfaChallengeRecord {
  readonly id: number;
  readonly userId: number;
  /** `verify`: prove an enrolled factor; `enroll`: the role requires a factor the user does not have yet. */
  readonly purpose: MfaChallengePurpose;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export type MfaChallengePurpose = 'verify' | 'enroll';

/** Keyset page: rows with id < `beforeId`, newest (highest id) first. */
export interface PageRequest {
  beforeId?: number | null;
  limit: number;
}

/**
 * Every store operation. Single calls commit on their own; `AuthStore.transaction` runs several
 * against one transaction so an operation that changes several rows is all-or-nothing.
 *
 * Errors: a unique-constraint violation surfaces as `ConflictError` with code `duplicate_email` or
 * `duplicate_username` (or `conflict` for any other constraint); a store that cannot be reached
 * throws `UnavailableError`. Nothing else escapes.
 */
export interface AuthStoreOps {
  insertUser(user: NewUser): Promise<UserRecord>;
  findUserById(id: number): Promise<UserRecord | null>;
  /** `email` is compared lower-cased. */
  findUserByEmail(email: string): Promise<UserRecord | null>;
  findUserByUsername(username: string): Promise<UserRecord | null>;
  findUserByOAuth2Identity(clientId: string, subject: string): Promise<UserRecord | null>;
  /** The LDAP user holding this unique id (unique among LDAP users). */
  findUserByLdapUniqueId(uniqueId: string): Promise<UserRecord | null>;
  /** The user with the lowest id holding `role`, or null. */
  findFirstUserByRole(role: Role): Promise<UserRecord | null>;
  countUsersByRole(role: Role): Promise<number>;
  updateUser(id: number, patch: UserPatch): Promise<UserRecord | null>;
  /** Deletes the user; sessions, tokens, reset tokens, second factors and the user's own API keys go with it. */
  deleteUser(id: number): Promise<boolean>;
  listUsers(page: PageRequest & { excludeRoles?: readonly Role[] }): Promise<UserRecord[]>;

  insertSession(session: NewSession): Promise<SessionRecord>;
  findSession(id: number): Promise<SessionRecord | null>;
  /** The user's sessions whose idle end is after `now`, newest first. */
  listSessionsOfUser(userId: number, now: number): Promise<SessionRecord[]>;
  /**
   * Moves the session's expiry to `expiresAt` if that is later (a refresh keeps the login alive as
   * long as its newest refresh token) and records `refreshedAt` as its last refresh. False when the
   * session is gone.
   */
  extendSession(id: number, expiresAt: number, refreshedAt: number): Promise<boolean>;
  insertRefreshToken(token: {
    sessionId: number;
    userId: number;
    createdAt: number;
    expiresAt: number;
  }): Promise<RefreshTokenRecord>;
  findRefreshToken(id: number): Promise<RefreshTokenRecord | null>;
  /** Atomic compare-and-set: true for exactly one caller per token, however many race. */
  consumeRefreshToken(id: number, now: number): Promise<boolean>;
  insertAccessToken(token: {
    sessionId: number;
    userId: number;
    refreshTokenId: number;
    createdAt: number;
    expiresAt: number;
  }): Promise<AccessTokenRecord>;
  /**
   * The access token with the owner's current identity (`GrantOwner`), if it and its session still exist and its
   * refresh token has not been consumed (an exchanged pair's access token is dead).
   */
  findAccessTokenGrant(id: number): Promise<AccessTokenGrant | null>;
  /** Deletes one session and every token of it. */
  deleteSession(id: number): Promise<boolean>;
  /**
   * Deletes every session (and token) of the user, except `exceptSessionId` when given; returns the
   * deleted session ids, ascending.
   */
  deleteSessionsOfUser(userId: number, exceptSessionId?: number): Promise<number[]>;

  /** Records where a session came from; the session must exist (one link per session). */
  insertIdpSessionLink(link: IdpSessionLink): Promise<void>;
  findIdpSessionLink(sessionId: number): Promise<IdpSessionLink | null>;
  /** Deletes the sessions (and their tokens) an IdP logout names; returns them. Nothing when neither subject nor sid is given. */
  deleteSessionsByIdpLogout(query: IdpLogoutQuery): Promise<{ sessionId: number; userId: number }[]>;
  /**
   * Remembers a logout token's `jti` (per issuer) until `expiresAt`: true the first time, false for
   * a replay. Atomic, so of several instances receiving the same token only one accepts it.
   */
  recordLogoutTokenJti(entry: { issuer: string; jti: string; expiresAt: number }): Promise<boolean>;

  insertApiKey(key: {
    userId: number;
    kind: ApiKeyKind;
    name: string;
    description: string | null;
    createdAt: number;
    expiresAt: number | null;
    /** `TokenCodec.keyId` of the signing secret; null or omitted: not recorded. */
    secretId?: string | null;
  }): Promise<ApiKeyRecord>;
  findApiKey(id: number): Promise<ApiKeyRecord | null>;
  /** The key with its owner's current identity (`GrantOwner`), in one read. */
  findApiKeyGrant(id: number): Promise<ApiKeyGrant | null>;
  /** Keys of one kind, optionally of one owner, newest first, with the owner's public fields. */
  listApiKeys(query: PageRequest & { kind: ApiKeyKind; userId?: number }): Promise<ApiKeyWithOwner[]>;
  deleteApiKey(id: number): Promise<boolean>;

  /** Replaces the user's live reset token (at most one per user, enforced by the schema). */
  insertPasswordResetToken(token: {
    userId: number;
    createdAt: number;
    expiresAt: number;
  }): Promise<PasswordResetTokenRecord>;
  deletePasswordResetTokensOfUser(userId: number): Promise<number>;
  /** Atomic single use: deletes and returns the token, or null if it was already taken. */
  takePasswordResetToken(id: number): Promise<PasswordResetTokenRecord | null>;

  /** The user's TOTP factor, confirmed or pending, or null. */
  findTotpFactor(userId: number): Promise<TotpFactorRecord | null>;
  /**
   * Starts (or restarts) enrolment: replaces a pending factor with a new secret. False, and nothing
   * written, when the user already has a confirmed factor (it must be removed first).
   */
  putPendingTotpFactor(factor: { userId: number; secretCiphertext: string; createdAt: number }): Promise<boolean>;
  /** Confirms the pending factor with the step of its first code; false when there is none pending. */
  confirmTotpFactor(userId: number, step: number, now: number): Promise<boolean>;
  /**
   * Atomic compare-and-set of the confirmed factor's last used step: true for exactly one caller
   * and only when `step` is later than every step accepted before (a replayed code fails here).
   */
  advanceTotpStep(userId: number, step: number): Promise<boolean>;
  /** Re-encrypts the stored secret (key rotation); false when the factor is gone. */
  updateTotpCiphertext(userId: number, secretCiphertext: string): Promise<boolean>;
  deleteTotpFactor(userId: number): Promise<boolean>;

  /** Replaces every recovery code of the user with these (keyed hashes, never the codes). */
  replaceRecoveryCodes(userId: number, codeHashes: readonly string[], now: number): Promise<void>;
  /**
   * Atomic single use: marks the user's unused code whose hash is one of `codeHashes` (one per
   * verification key) as used. True for exactly one caller per code.
   */
  useRecoveryCode(userId: number, codeHashes: readonly string[], now: number): Promise<boolean>;
  countUnusedRecoveryCodes(userId: number): Promise<number>;
  deleteRecoveryCodes(userId: number): Promise<number>;

  insertMfaChallenge(challenge: {
    userId: number;
    purpose: MfaChallengePurpose;
    createdAt: number;
    expiresAt: number;
  }): Promise<MfaChallengeRecord>;
  findMfaChallenge(id: number): Promise<MfaChallengeRecord | null>;
  /** Atomic single use: deletes and returns the challenge, or null if it was already taken. */
  takeMfaChallenge(id: number): Promise<MfaChallengeRecord | null>;
  deleteMfaChallengesOfUser(userId: number): Promise<number>;

  /**
   * Sweeps sessions (with their IdP links), tokens, reset tokens, MFA challenges, API keys and remembered logout-token ids whose expiry is <= now (keys
   * without an expiry stay), as Phoenix's stores do. `createGatehouse` runs it periodically. Returns the number of
   * rows removed.
   */
  deleteExpired(now: number): Promise<number>;
}

/**
 * The append-only audit table. Never part of a transaction: events are written in batches after the
 * fact, so a rolled-back change never hides the attempt, and no request waits for them.
 */
export interface AuditEventStore {
  /** One INSERT of every event, in order (ids ascend with it); nothing is ever updated. */
  appendAuditEvents(events: readonly NewAuditEvent[]): Promise<void>;
  /** Newest first (id descending), filtered as the query says. */
  listAuditEvents(query: AuditEventQuery): Promise<AuditEventRecord[]>;
  /** The retention sweep: deletes events that occurred before `cutoff` (epoch ms); returns how many. */
  deleteAuditEventsBefore(cutoff: number): Promise<number>;
}

export interface AuthStore extends AuthStoreOps, AuditEventStore {
  /**
   * What the start-up log names: the backend and where (`sqlite /srv/app/auth.db`,
   * `postgresql db:5432/app`), never a user name or password. Optional for stores of your own.
   */
  readonly description?: string;
  /** Runs `fn` in one transaction: it commits if `fn` resolves and rolls back if it rejects. */
  transaction<T>(fn: (tx: AuthStoreOps) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Token bucket: starts full with `capacity`, refills continuously at `refillPerSecond`. */
export interface TokenBucketRule {
  capacity: number;
  refillPerSecond: number;
}

export interface ConsumeResult {
  allowed: boolean;
  /** Tokens left after this request (0 when refused). */
  remaining: number;
  /** When refused: milliseconds until one token is available. */
  retryAfterMs: number;
}

export interface FailureRule {
  maxAttempts: number;
  blockMs: number;
  /** A failure count with no new failure for this long is forgotten. */
  forgetAfterMs: number;
}

/** Counters that must be atomic (and, with several instances, shared). */
export interface RateLimitStore {
  consume(key: string, rule: TokenBucketRule, now: number): Promise<ConsumeResult>;
  /** Records one failure; returns the block expiry if this failure (or an earlier one) blocks the key. */
  recordFailure(
    key: string,
    rule: FailureRule,
    now: number,
  ): Promise<{ failures: number; blockedUntil: number | null }>;
  /** The block expiry if the key is blocked at `now`, else null. */
  blockedUntil(key: string, now: number): Promise<number | null>;
  clearFailures(key: string): Promise<void>;
}

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A credential (or a set of them) that must stop working now, in every process that caches it.
 * `user`: everything of that user, API keys included (deletion, and any change to what the principal
 * carries: role, username, email; the next request reads the credential again). `user_sessions`: every login of the user, keys untouched (logout, password change).
 */
export type RevocationEvent =
  | { readonly type: 'user'; readonly userId: number }
  | { readonly type: 'user_sessions'; readonly userId: number }
  | { readonly type: 'session'; readonly sessionId: number }
  | { readonly type: 'api_key'; readonly apiKeyId: number }
  /** Forget every cached credential: a channel sends it after a reconnect, when events may have been missed. */
  | { readonly type: 'all' };

/**
 * Fan-out of revocations to every cache; in-process by default, Redis or PostgreSQL across instances.
 * `publish` delivers to this process's listeners before it returns, whatever happens remotely.
 */
export interface RevocationChannel {
  publish(event: RevocationEvent): Promise<void>;
  subscribe(listener: (event: RevocationEvent) => void): () => void;
  /**
   * Whether events from other instances are arriving right now. While false, caches must not answer
   * (every request goes to the store: fail closed); a channel sends `{ type: 'all' }` when it is back.
   * In-process channels omit it (always live).
   */
  isLive?(): boolean;
}
