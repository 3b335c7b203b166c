import type { AuditEventRecord } from '../audit/events.js';
import type { ApiKeyRecord, ApiKeyWithOwner, UserRecord } from '../ports.js';
import type { SessionView } from '../services/index.js';
import { isLdapEmailMarker } from '../ldap/sign-in.js';
import { toGlobalId } from './global-id.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Phoenix's REST user shape (docs/phoenix-contract.md#user-management): snake_case, unset fields omitted. */
export function userJson(user: UserRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: toGlobalId('User', user.id),
    // A no-email-mode LDAP user has no address (docs/phoenix-contract.md#ldap-provisioning: shown as "").
    email: user.authMethod === 'LDAP' && isLdapEmailMarker(user.email) ? '' : user.email,
    username: user.username,
    role: user.role,
    auth_method: user.authMethod,
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
  };
  if (user.authMethod === 'LOCAL') out.password_needs_reset = user.resetPassword;
  if (user.oauth2ClientId !== null) out.oauth2_client_id = user.oauth2ClientId;
  if (user.oauth2UserId !== null) out.oauth2_user_id = user.oauth2UserId;
  if (user.profilePictureUrl !== null) out.profile_picture_url = user.profilePictureUrl;
  return out;
}

/** A key as listings show it (docs/phoenix-contract.md#api-key-routes): never the key itself. */
export function apiKeyJson(key: ApiKeyRecord | ApiKeyWithOwner): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: toGlobalId(key.kind === 'system' ? 'SystemApiKey' : 'UserApiKey', key.id),
    name: key.name,
    created_at: iso(key.createdAt),
  };
  if (key.description !== null) out.description = key.description;
  if (key.expiresAt !== null) out.expires_at = iso(key.expiresAt);
  if ('owner' in key && key.kind === 'user') {
    out.user = { id: toGlobalId('User', key.owner.id), username: key.owner.username, email: key.owner.email };
  }
  return out;
}

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** Detail fields holding epoch milliseconds: shown as ISO times like every other time of the API. */
const TIME_FIELDS: ReadonlySet<string> = new Set(['lockedUntil', 'expiresAt']);

/** An audit event (docs/audit.md): snake_case, times ISO 8601, user and key ids as GlobalIDs. */
export function auditEventJson(event: AuditEventRecord): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.details as Record<string, unknown>)) {
    if (key === 'keyId' && typeof value === 'number' && 'kind' in event.details) {
      details.key_id = toGlobalId(event.details.kind === 'system' ? 'SystemApiKey' : 'UserApiKey', value);
    } else details[snake(key)] = TIME_FIELDS.has(key) && typeof value === 'number' ? iso(value) : value;
  }
  return {
    id: toGlobalId('AuditEvent', event.id),
    type: event.type,
    occurred_at: iso(event.occurredAt),
    actor: {
      kind: event.actor.kind,
      user_id: event.actor.userId === null ? null : toGlobalId('User', event.actor.userId),
    },
    subject_user_id: event.subjectUserId === null ? null : toGlobalId('User', event.subjectUserId),
    client_address: event.clientAddress,
    user_agent: event.userAgent,
    request_id: event.requestId,
    details,
  };
}

/**
 * A session as the session list shows it. `sign_in_method` is null for sessions begun before it
 * was recorded; `idp` is set for OAuth2 sign-ins only.
 */
export function sessionJson(view: SessionView): Record<string, unknown> {
  const { session } = view;
  return {
    id: toGlobalId('UserSession', session.id),
    created_at: iso(session.createdAt),
    last_refreshed_at: session.lastRefreshedAt === null ? null : iso(session.lastRefreshedAt),
    idle_expires_at: iso(view.idleExpiresAt),
    absolute_expires_at: iso(view.absoluteExpiresAt),
    client_address: session.clientAddress,
    user_agent: session.userAgent,
    sign_in_method: session.signInMethod,
    idp: session.idp,
    current: view.current,
  };
}
