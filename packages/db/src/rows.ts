import type {
  AccessTokenGrant,
  AccessTokenRecord,
  ApiKeyGrant,
  ApiKeyRecord,
  ApiKeyWithOwner,
  AuditActorKind,
  AuditEventRecord,
  IdpSessionLink,
  MfaChallengeRecord,
  PasskeyRecord,
  PasswordResetTokenRecord,
  RefreshTokenRecord,
  SessionRecord,
  TotpFactorRecord,
  UserRecord,
  WebauthnChallengeRecord,
} from '@gatehouse-auth/core';
import type { Selectable } from 'kysely';
import type {
  AccessTokensTable,
  ApiKeysTable,
  AuditEventsTable,
  MfaChallengesTable,
  MfaTotpFactorsTable,
  PasswordResetTokensTable,
  RefreshTokensTable,
  SessionIdpLinksTable,
  SessionsTable,
  UsersTable,
  WebauthnChallengesTable,
  WebauthnCredentialsTable,
} from './schema.js';

/** int8 from a pool we did not configure arrives as a string; ids and epoch ms fit a double. */
export function toInt(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

function toIntOrNull(value: number | string | bigint | null): number | null {
  return value === null ? null : toInt(value);
}

export function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: toInt(row.id),
    username: row.username,
    email: row.email,
    role: row.role,
    authMethod: row.auth_method,
    passwordHash: row.password_hash,
    resetPassword: row.reset_password === true || row.reset_password === 1,
    oauth2ClientId: row.oauth2_client_id,
    oauth2UserId: row.oauth2_user_id,
    profilePictureUrl: row.profile_picture_url,
    ldapUniqueId: row.ldap_unique_id,
    createdAt: toInt(row.created_at),
    updatedAt: toInt(row.updated_at),
  };
}

export function toSession(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: toInt(row.id),
    userId: toInt(row.user_id),
    createdAt: toInt(row.created_at),
    expiresAt: toInt(row.expires_at),
    signInMethod: row.sign_in_method,
    idp: row.idp,
    clientAddress: row.client_address,
    userAgent: row.user_agent,
    lastRefreshedAt: toIntOrNull(row.last_refreshed_at),
  };
}

export function toRefreshToken(row: Selectable<RefreshTokensTable>): RefreshTokenRecord {
  return {
    id: toInt(row.id),
    sessionId: toInt(row.session_id),
    userId: toInt(row.user_id),
    createdAt: toInt(row.created_at),
    expiresAt: toInt(row.expires_at),
    consumedAt: toIntOrNull(row.consumed_at),
  };
}

export function toAccessToken(row: Selectable<AccessTokensTable>): AccessTokenRecord {
  return {
    id: toInt(row.id),
    sessionId: toInt(row.session_id),
    userId: toInt(row.user_id),
    refreshTokenId: toInt(row.refresh_token_id),
    createdAt: toInt(row.created_at),
    expiresAt: toInt(row.expires_at),
  };
}

/** The owner's columns every grant read joins in (what the principal carries). */
type GrantOwnerRow = Pick<UsersTable, 'role' | 'username' | 'email' | 'auth_method'>;

export function toAccessTokenGrant(
  row: Pick<Selectable<AccessTokensTable>, 'id' | 'session_id' | 'user_id' | 'expires_at'> & GrantOwnerRow,
): AccessTokenGrant {
  return {
    id: toInt(row.id),
    sessionId: toInt(row.session_id),
    userId: toInt(row.user_id),
    expiresAt: toInt(row.expires_at),
    role: row.role,
    username: row.username,
    email: row.email,
    authMethod: row.auth_method,
  };
}

export function toApiKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: toInt(row.id),
    userId: toInt(row.user_id),
    kind: row.kind,
    name: row.name,
    description: row.description,
    createdAt: toInt(row.created_at),
    expiresAt: toIntOrNull(row.expires_at),
    secretId: row.secret_id,
  };
}

export function toApiKeyWithOwner(
  row: Selectable<ApiKeysTable> & { owner_username: string; owner_email: string },
): ApiKeyWithOwner {
  const key = toApiKey(row);
  return { ...key, owner: { id: key.userId, username: row.owner_username, email: row.owner_email } };
}

export function toApiKeyGrant(
  row: Pick<Selectable<ApiKeysTable>, 'id' | 'user_id' | 'kind' | 'expires_at'> & GrantOwnerRow,
): ApiKeyGrant {
  return {
    id: toInt(row.id),
    userId: toInt(row.user_id),
    kind: row.kind,
    expiresAt: toIntOrNull(row.expires_at),
    role: row.role,
    username: row.username,
    email: row.email,
    authMethod: row.auth_method,
  };
}

export function toPasswordResetToken(row: Selectable<PasswordResetTokensTable>): PasswordResetTokenRecord {
  return {
    id: toInt(row.id),
    userId: toInt(row.user_id),
    createdAt: toInt(row.created_at),
    expiresAt: toInt(row.expires_at),
  };
}

/** The row as written by appendAuditEvents; `details` is the JSON the event was stored with. */
export function toAuditEvent(row: Selectable<AuditEventsTable>): AuditEventRecord {
  return {
    id: toInt(row.id),
    type: row.type,
    occurredAt: toInt(row.occurred_at),
    actor: { kind: row.actor_kind as AuditActorKind, userId: toIntOrNull(row.actor_user_id) },
    subjectUserId: toIntOrNull(row.subject_user_id),
    clientAddress: row.client_address,
    userAgent: row.user_agent,
    requestId: row.request_id,
    details: JSON.parse(row.details) as AuditEventRecord['details'],
  } as AuditEventRecord;
}

export function toIdpSessionLink(row: Selectable<SessionIdpLinksTable>): IdpSessionLink {
  return {
    sessionId: toInt(row.session_id),
    idp: row.idp,
    subject: row.subject,
    sid: row.sid,
    sealedIdToken: row.sealed_id_token,
  };
}

export function toTotpFactor(row: Selectable<MfaTotpFactorsTable>): TotpFactorRecord {
  return {
    userId: toInt(row.user_id),
    secretCiphertext: row.secret_ciphertext,
    createdAt: toInt(row.created_at),
    confirmedAt: toIntOrNull(row.confirmed_at),
    lastUsedStep: toIntOrNull(row.last_used_step),
  };
}

export function toMfaChallenge(row: Selectable<MfaChallengesTable>): MfaChallengeRecord {
  return {
    id: toInt(row.id),
    userId: toInt(row.user_id),
    purpose: row.purpose,
    createdAt: toInt(row.created_at),
    expiresAt: toInt(row.expires_at),
  };
}

export function toPasskey(row: Selectable<WebauthnCredentialsTable>): PasskeyRecord {
  const transports: unknown = JSON.parse(row.transports);
  return {
    id: toInt(row.id),
    userId: toInt(row.user_id),
    credentialId: row.credential_id,
    publicKey: row.public_key,
    counter: toInt(row.counter),
    transports: Array.isArray(transports) ? transports.filter((t): t is string => typeof t === 'string') : [],
    userHandle: row.user_handle,
    name: row.name,
    createdAt: toInt(row.created_at),
    lastUsedAt: toIntOrNull(row.last_used_at),
  };
}

export function toWebauthnChallenge(row: Selectable<WebauthnChallengesTable>): WebauthnChallengeRecord {
  return {
    handleHash: row.handle_hash,
    purpose: row.purpose,
    userId: toIntOrNull(row.user_id),
    challenge: row.challenge,
    createdAt: toInt(row.created_at),
    expiresAt: toInt(row.expires_at),
  };
}
