import type { AuthConfig } from './config/index.js';
import { UnavailableError } from './errors/index.js';
import type { Authenticator, AuthenticatedPrincipal } from './http/authenticate.js';
import { readCookie } from './http/cookies.js';
import type { Principal } from './policy/index.js';
import type { PasskeyRecord, UserRecord } from './ports.js';
import {
  getMfaStatus,
  listAuditEvents,
  listOwnApiKeys,
  listPasskeys,
  listOwnSessions,
  listSystemApiKeys,
  listUsers,
  type ApiKeyPage,
  type AuditEventFilter,
  type AuditEventPage,
  type MfaStatus,
  type ServiceDeps,
  type SessionView,
  type UserPage,
} from './services/index.js';

/** A browser's signed-in session: the principal and the user row behind it. */
export interface CookieSession {
  readonly principal: AuthenticatedPrincipal;
  readonly user: UserRecord;
}

type PageQuery = { cursor?: number | null; limit?: number };

/**
 * What a server-rendered page of the host shows a signed-in principal, under the same policy the
 * JSON API applies (each call refuses what the principal may not read, as the route would).
 */
export interface GatehouseReads {
  /** The user with this id, or null. No policy: the host's own lookup (e.g. to name an audit actor). */
  user(id: number): Promise<UserRecord | null>;
  ownApiKeys(actor: Principal, query?: PageQuery): Promise<ApiKeyPage>;
  /** The principal's own sessions; `currentSessionId` marks the one making the request. */
  ownSessions(actor: Principal, currentSessionId: number | null): Promise<SessionView[]>;
  users(actor: Principal, query?: PageQuery): Promise<UserPage>;
  systemApiKeys(actor: Principal, query?: PageQuery): Promise<ApiKeyPage>;
  auditEvents(actor: Principal, filter?: AuditEventFilter): Promise<AuditEventPage>;
  /** The principal's own second factors, as `GET /v1/user/mfa` answers. */
  mfaStatus(actor: Principal): Promise<MfaStatus>;
  /** The principal's own passkeys, as `GET /v1/user/mfa/passkeys` lists them. */
  passkeys(actor: Principal): Promise<readonly PasskeyRecord[]>;
  /**
   * Whether the user has a second factor: a confirmed TOTP authenticator or a passkey (no policy,
   * like `user`: the host's own lookup).
   */
  hasSecondFactor(userId: number): Promise<boolean>;
}

export function createReads(deps: ServiceDeps): GatehouseReads {
  return {
    user: (id) => deps.store.findUserById(id),
    ownApiKeys: (actor, query) => listOwnApiKeys(deps, actor, query),
    ownSessions: (actor, currentSessionId) => listOwnSessions(deps, actor, currentSessionId),
    users: (actor, query) => listUsers(deps, actor, query),
    systemApiKeys: (actor, query) => listSystemApiKeys(deps, actor, query),
    auditEvents: (actor, filter) => listAuditEvents(deps, actor, filter),
    mfaStatus: (actor) => getMfaStatus(deps, actor),
    passkeys: (actor) => listPasskeys(deps, actor),
    hasSecondFactor: async (userId) =>
      (await deps.store.findTotpFactor(userId))?.confirmedAt != null || (await deps.store.countPasskeys(userId)) > 0,
  };
}

/**
 * `gh.sessionFromCookie`: the access-token cookie only (a page is a browser navigation: an
 * Authorization header or an API key does not make a session). Null when there is none, it is no
 * longer valid, or auth is off; a store outage is an UnavailableError, not a reason to send the user
 * to log in.
 */
export function createSessionFromCookie(
  config: AuthConfig,
  authenticator: Authenticator | null,
  deps: ServiceDeps | null,
): (cookieHeader: string | null) => Promise<CookieSession | null> {
  return async (cookieHeader) => {
    if (authenticator === null || deps === null) return null;
    const token = readCookie(cookieHeader, config.cookies.names.accessToken);
    if (token === null) return null;
    const result = await authenticator.authenticate({ accessTokenCookie: token });
    if (!result.ok) {
      if (result.reason === 'unavailable') throw new UnavailableError('Authentication store unavailable');
      return null;
    }
    const { principal } = result;
    if (principal.kind !== 'session' || principal.userId === null) return null;
    const user = await deps.store.findUserById(principal.userId);
    return user === null ? null : { principal, user };
  };
}
