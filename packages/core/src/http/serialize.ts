import type { ApiKeyRecord, ApiKeyWithOwner, UserRecord } from '../ports.js';
import type { SessionView } from '../services/index.js';
import { isLdapEmailMarker } from '../ldap/sign-in.js';
import { toGlobalId } from './global-id.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The reference's REST user shape (§4.9): snake_case, unset fields omitted. */
export function userJson(user: UserRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: toGlobalId('User', user.id),
    // A no-email-mode LDAP user has no address (reference §1.9: shown as "").
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

/** A key as listings show it (§4.10): never the key itself. */
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
