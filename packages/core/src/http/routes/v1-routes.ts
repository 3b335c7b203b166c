import { ValidationError } from '../../errors/index.js';
import { decide, enforce, isAdmin, type Action, type Principal } from '../../policy/index.js';
import type { AuthMethod } from '../../ports.js';
import {
  createSystemApiKey,
  createUser,
  createUserApiKey,
  deleteSystemApiKey,
  deleteUser,
  deleteUserApiKey,
  getUser,
  listAllUserApiKeys,
  listOwnApiKeys,
  listSystemApiKeys,
  listOwnSessions,
  listUserSessions,
  listUsers,
  revokeOtherSessions,
  revokeOwnSession,
  revokeUserSessions,
  updateOwnProfile,
  updateUser,
  sendWelcomeMail,
  listAuditEvents,
  type ApiKeyPage,
  type CreatedApiKey,
  type SessionView,
} from '../../services/index.js';
import { readJsonObject } from '../body.js';
import { fromGlobalId, toGlobalId, type NodeType } from '../global-id.js';
import { json, noContent } from '../responses.js';
import { apiKeyJson, auditEventJson, sessionJson, userJson } from '../serialize.js';
import { clearSessionCookies } from './auth-routes.js';
import type { RouteContext, RouteDefinition } from './context.js';

function param(context: RouteContext, type: NodeType): number {
  return fromGlobalId(type, context.params[0]);
}

/** `?cursor=<GlobalID>&limit=<n>` (docs/phoenix-contract.md#user-management, #api-key-routes): limit 1–1000, default 100; a bad value is a 422. */
function pageQuery(url: URL, type: NodeType): { cursor: number | null; limit: number } {
  const rawLimit = url.searchParams.get('limit');
  const limit = rawLimit === null ? 100 : Number(rawLimit);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
    throw new ValidationError('limit must be an integer between 1 and 1000');
  const rawCursor = url.searchParams.get('cursor');
  return { cursor: rawCursor ? fromGlobalId(type, rawCursor, 'cursor') : null, limit };
}

function keysPage(page: ApiKeyPage, type: NodeType): Response {
  return json({
    data: page.keys.map(apiKeyJson),
    next_cursor: page.nextCursor === null ? null : toGlobalId(type, page.nextCursor),
  });
}

function createdKey(created: CreatedApiKey): Response {
  return json({ data: { ...apiKeyJson(created.record), key: created.key } }, 201);
}

/** The session the request was made with: set for access tokens, null for keys and the admin secret. */
function currentSessionOf(principal: Principal | null): number | null {
  if (principal === null || principal.kind !== 'session') return null;
  const { sessionId } = principal as Principal & { sessionId?: number | null };
  return typeof sessionId === 'number' ? sessionId : null;
}

function sessionsList(views: readonly SessionView[]): Response {
  return json({ data: views.map(sessionJson) });
}

/** `?others=`: `true` keeps the request's own session, absent or `false` ends every one; anything else is a 422. */
function othersFlag(url: URL): boolean {
  const raw = url.searchParams.get('others');
  if (raw === null || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ValidationError('others must be true or false');
}

function objectField(body: Record<string, unknown>, field: string): Record<string, unknown> {
  const value = body[field];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ValidationError(`Body must contain an object "${field}"`);
  return value as Record<string, unknown>;
}

function authMethod(raw: unknown): AuthMethod {
  if (raw === undefined || raw === null) return 'LOCAL';
  if (raw === 'LOCAL' || raw === 'OAUTH2' || raw === 'LDAP') return raw;
  throw new ValidationError('auth_method must be LOCAL, OAUTH2 or LDAP');
}

const optionalString = (raw: unknown, field: string): string | null => {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') throw new ValidationError(`${field} must be a string`);
  return raw;
};

/**
 * Key creation is refused by credential kind (API keys cannot mint keys, docs/phoenix-contract.md#api-keys) whatever the
 * body says: checked before the body is read, so a key caller hears 403, never a validation 422.
 */
function mayCreate(
  principal: Principal | null,
  action: Extract<Action, 'create_own_user_key' | 'create_system_key'>,
): void {
  enforce(decide(principal, action));
}

/** As `mayCreate`, for deleting a personal key: a system key hears 403 before its id is parsed (reference order). */
function mayDeleteUserKey(principal: Principal | null): void {
  enforce(
    decide(principal, principal !== null && isAdmin(principal) ? 'delete_other_user_key' : 'delete_own_user_key'),
  );
}

/** An ISO 8601 time with a zone (`2026-01-02T03:04:05Z`), or a date (`2026-01-02`, midnight UTC): epoch ms. */
function timeQuery(url: URL, name: string): number | null {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return null;
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
  const ms = iso.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0)
    throw new ValidationError(`${name} must be an ISO 8601 time with a time zone, e.g. 2026-01-31T00:00:00Z`);
  return ms;
}

/** `?type=a,b&type=c&user_id=<User GlobalID>&since=&until=&cursor=&limit=` for `GET /v1/audit_events`. */
function auditQuery(url: URL) {
  const types = url.searchParams
    .getAll('type')
    .flatMap((value) => value.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  const rawUser = url.searchParams.get('user_id');
  return {
    ...pageQuery(url, 'AuditEvent'),
    types,
    userId: rawUser ? fromGlobalId('User', rawUser, 'user_id') : null,
    since: timeQuery(url, 'since'),
    until: timeQuery(url, 'until'),
  };
}

export const v1Routes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    pattern: '/v1/user',
    kind: 'v1',
    async handler(context) {
      const { principal, app } = context;
      if (principal?.kind === 'anonymous') return json({ data: { auth_method: 'ANONYMOUS' } });
      return json({ data: userJson(await getUser(app.deps, principal, principal?.userId ?? Number.NaN)) });
    },
  },
  {
    method: 'PATCH',
    pattern: '/v1/user',
    kind: 'v1',
    async handler({ request, principal, app }) {
      const body = await readJsonObject(request);
      const { user } = await updateOwnProfile(app.deps, principal, {
        username: body.username,
        password: body.password,
        currentPassword: body.current_password,
        endOtherSessions: body.end_other_sessions,
        currentSessionId: currentSessionOf(principal),
      });
      return json({ data: userJson(user) });
    },
  },
  {
    method: 'GET',
    pattern: '/v1/user/sessions',
    kind: 'v1',
    async handler({ principal, app }) {
      return sessionsList(await listOwnSessions(app.deps, principal, currentSessionOf(principal)));
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/user/sessions',
    kind: 'v1',
    async handler({ url, principal, app }) {
      const current = currentSessionOf(principal);
      const keep = othersFlag(url) ? current : null;
      await revokeOtherSessions(app.deps, principal, keep);
      // Without others=true the request's own session ended too: drop its cookies.
      return noContent(keep === null && current !== null ? clearSessionCookies(app) : undefined);
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/user/sessions/{id}',
    kind: 'v1',
    async handler(context) {
      const id = param(context, 'UserSession');
      await revokeOwnSession(context.app.deps, context.principal, id);
      return noContent(id === currentSessionOf(context.principal) ? clearSessionCookies(context.app) : undefined);
    },
  },
  {
    method: 'GET',
    pattern: '/v1/users/{id}/sessions',
    kind: 'v1',
    async handler(context) {
      const views = await listUserSessions(
        context.app.deps,
        context.principal,
        param(context, 'User'),
        currentSessionOf(context.principal),
      );
      return sessionsList(views);
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/users/{id}/sessions',
    kind: 'v1',
    async handler(context) {
      const userId = param(context, 'User');
      await revokeUserSessions(context.app.deps, context.principal, userId);
      return noContent(
        userId === context.principal?.userId && currentSessionOf(context.principal) !== null
          ? clearSessionCookies(context.app)
          : undefined,
      );
    },
  },
  {
    method: 'GET',
    pattern: '/v1/users',
    kind: 'v1',
    async handler({ url, principal, app }) {
      const page = await listUsers(app.deps, principal, pageQuery(url, 'User'));
      return json({
        data: page.users.map(userJson),
        next_cursor: page.nextCursor === null ? null : toGlobalId('User', page.nextCursor),
      });
    },
  },
  {
    method: 'POST',
    pattern: '/v1/users',
    kind: 'v1',
    async handler({ request, principal, app }) {
      const body = await readJsonObject(request);
      const user = objectField(body, 'user');
      const welcome = body.send_welcome_email ?? true;
      if (typeof welcome !== 'boolean') throw new ValidationError('send_welcome_email must be a boolean');
      const created = await createUser(app.deps, principal, {
        email: user.email,
        username: user.username,
        role: user.role,
        authMethod: authMethod(user.auth_method),
        password: user.password,
        oauth2ClientId: optionalString(user.oauth2_client_id, 'oauth2_client_id'),
        oauth2UserId: optionalString(user.oauth2_user_id, 'oauth2_user_id'),
      });
      // docs/phoenix-contract.md#welcome-mail: default on; only here, never on a just-in-time SSO or LDAP sign-up.
      if (welcome) sendWelcomeMail(app.deps, created, { url: app.publicUrl, background: app.background });
      return json({ data: userJson(created) }, 201);
    },
  },
  {
    method: 'PATCH',
    pattern: '/v1/users/{id}',
    kind: 'v1',
    async handler(context) {
      const body = await readJsonObject(context.request);
      const user = await updateUser(context.app.deps, context.principal, param(context, 'User'), {
        username: body.username,
        password: body.password,
        role: body.role,
      });
      return json({ data: userJson(user) });
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/users/{id}',
    kind: 'v1',
    async handler(context) {
      await deleteUser(context.app.deps, context.principal, param(context, 'User'));
      return noContent();
    },
  },
  {
    method: 'GET',
    pattern: '/v1/user/api_keys',
    kind: 'v1',
    async handler({ url, principal, app }) {
      return keysPage(await listOwnApiKeys(app.deps, principal, pageQuery(url, 'UserApiKey')), 'UserApiKey');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/user/api_keys',
    kind: 'v1',
    async handler({ request, principal, app }) {
      mayCreate(principal, 'create_own_user_key');
      const data = objectField(await readJsonObject(request), 'data');
      return createdKey(
        await createUserApiKey(app.deps, principal, {
          name: data.name,
          description: data.description,
          expiresAt: data.expires_at,
        }),
      );
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/user/api_keys/{id}',
    kind: 'v1',
    async handler(context) {
      mayDeleteUserKey(context.principal);
      await deleteUserApiKey(context.app.deps, context.principal, param(context, 'UserApiKey'));
      return noContent();
    },
  },
  {
    method: 'GET',
    pattern: '/v1/users/api_keys',
    kind: 'v1',
    async handler({ url, principal, app }) {
      return keysPage(await listAllUserApiKeys(app.deps, principal, pageQuery(url, 'UserApiKey')), 'UserApiKey');
    },
  },
  {
    method: 'GET',
    pattern: '/v1/system/api_keys',
    kind: 'v1',
    async handler({ url, principal, app }) {
      return keysPage(await listSystemApiKeys(app.deps, principal, pageQuery(url, 'SystemApiKey')), 'SystemApiKey');
    },
  },
  {
    method: 'POST',
    pattern: '/v1/system/api_keys',
    kind: 'v1',
    async handler({ request, principal, app }) {
      mayCreate(principal, 'create_system_key');
      const data = objectField(await readJsonObject(request), 'data');
      return createdKey(
        await createSystemApiKey(
          app.deps,
          principal,
          { name: data.name, description: data.description, expiresAt: data.expires_at },
          app.systemUserId,
        ),
      );
    },
  },
  {
    method: 'DELETE',
    pattern: '/v1/system/api_keys/{id}',
    kind: 'v1',
    async handler(context) {
      await deleteSystemApiKey(context.app.deps, context.principal, param(context, 'SystemApiKey'));
      return noContent();
    },
  },
  {
    method: 'GET',
    pattern: '/v1/audit_events',
    kind: 'v1',
    async handler({ url, principal, app }) {
      // Authorised before the query is read: a non-admin hears 403, never which filter was wrong.
      enforce(decide(principal, 'read_audit_events'));
      const page = await listAuditEvents(app.deps, principal, auditQuery(url));
      return json({
        data: page.events.map(auditEventJson),
        next_cursor: page.nextCursor === null ? null : toGlobalId('AuditEvent', page.nextCursor),
      });
    },
  },
];
