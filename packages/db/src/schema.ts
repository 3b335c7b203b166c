import type {
  ApiKeyKind,
  AuthMethod,
  MfaChallengePurpose,
  Role,
  SignInMethod,
  WebauthnChallengePurpose,
} from '@gatehouse-auth/core';
import type { ColumnType, Generated } from 'kysely';

/**
 * The tables as Kysely sees them. Integer columns are typed `number`: SQLite returns them as
 * numbers and the pools we create parse PostgreSQL's int8 as numbers; rows from a pool the host
 * passed in may still carry strings, so every read goes through `toInt` in rows.ts.
 */
export interface GatehouseDatabase {
  user_roles: UserRolesTable;
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  access_tokens: AccessTokensTable;
  api_keys: ApiKeysTable;
  password_reset_tokens: PasswordResetTokensTable;
  audit_events: AuditEventsTable;
  session_idp_links: SessionIdpLinksTable;
  logout_token_jtis: LogoutTokenJtisTable;
  mfa_totp_factors: MfaTotpFactorsTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
  gatehouse_migrations: MigrationsTable;
}

export interface AuditEventsTable {
  id: Generated<number>;
  type: string;
  occurred_at: number;
  actor_kind: string;
  actor_user_id: number | null;
  subject_user_id: number | null;
  client_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** JSON text of the event's details. */
  details: string;
}

/** SQLite has no boolean type: 0/1 there, a real boolean on PostgreSQL. */
export type DbBoolean = ColumnType<number | boolean, number | boolean, number | boolean>;

export interface UserRolesTable {
  name: Role;
}

export interface UsersTable {
  id: Generated<number>;
  role: Role;
  username: string;
  email: string;
  auth_method: AuthMethod;
  password_hash: string | null;
  reset_password: DbBoolean;
  oauth2_client_id: string | null;
  oauth2_user_id: string | null;
  profile_picture_url: string | null;
  ldap_unique_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  created_at: number;
  expires_at: number;
  sign_in_method: SignInMethod | null;
  idp: string | null;
  client_address: string | null;
  user_agent: string | null;
  last_refreshed_at: number | null;
}

export interface RefreshTokensTable {
  id: Generated<number>;
  session_id: number;
  user_id: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

export interface AccessTokensTable {
  id: Generated<number>;
  session_id: number;
  user_id: number;
  refresh_token_id: number;
  created_at: number;
  expires_at: number;
}

export interface ApiKeysTable {
  id: Generated<number>;
  user_id: number;
  kind: ApiKeyKind;
  name: string;
  description: string | null;
  created_at: number;
  expires_at: number | null;
  secret_id: string | null;
}

export interface PasswordResetTokensTable {
  id: Generated<number>;
  user_id: number;
  created_at: number;
  expires_at: number;
}

export interface SessionIdpLinksTable {
  session_id: number;
  idp: string;
  subject: string;
  sid: string | null;
  sealed_id_token: string | null;
}

export interface LogoutTokenJtisTable {
  issuer: string;
  jti: string;
  expires_at: number;
}

export interface MfaTotpFactorsTable {
  user_id: number;
  secret_ciphertext: string;
  created_at: number;
  confirmed_at: number | null;
  last_used_step: number | null;
}

export interface MfaRecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface MfaChallengesTable {
  id: Generated<number>;
  user_id: number;
  purpose: MfaChallengePurpose;
  created_at: number;
  expires_at: number;
}

export interface WebauthnCredentialsTable {
  id: Generated<number>;
  user_id: number;
  credential_id: string;
  public_key: string;
  counter: number;
  /** JSON array of transport names. */
  transports: string;
  user_handle: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

export interface WebauthnChallengesTable {
  handle_hash: string;
  purpose: WebauthnChallengePurpose;
  user_id: number | null;
  challenge: string;
  created_at: number;
  expires_at: number;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

export type StoreDialect = 'sqlite' | 'postgres';
