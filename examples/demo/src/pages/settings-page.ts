import {
  ASSIGNABLE_ROLES,
  can,
  systemClock,
  type SessionView,
  type ApiKeyWithOwner,
  type AuthenticatedPrincipal,
  type UserRecord,
} from '@gatehouse-auth/core';
import { toGlobalId } from '@gatehouse-auth/core/internal';
import { auditSection } from './audit-section.js';
import { html, type SafeHtml } from './html.js';
import { formError, htmlResponse, layout, redirectTo } from './layout.js';
import { mfaSection } from './mfa-section.js';
import { passkeySection } from './passkey-section.js';
import {
  changePasswordUrl,
  currentSession,
  here,
  loginUrl,
  mustChangePassword,
  signedInHeader,
  userTarget,
  type PageRequest,
} from './session.js';

// A demo's lists are short; past this the page says so rather than paging.
const LIST_LIMIT = 200;

const when = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function expiry(ms: number | null, now: number): SafeHtml | string {
  if (ms === null) return 'never';
  return ms <= now ? html`<span class="expired">${when(ms)} (expired)</span>` : when(ms);
}

function deleteButton(path: string, confirm: string, label: string): SafeHtml {
  return html`<button
    type="button"
    class="danger small"
    data-delete="${path}"
    data-confirm="${confirm}"
    aria-label="${label}"
  >
    Delete
  </button>`;
}

function profileSection(request: PageRequest, principal: AuthenticatedPrincipal, user: UserRecord): SafeHtml {
  const { root, gh } = request;
  const canRename = can(principal, 'change_own_username');
  const hasPassword =
    user.authMethod === 'LOCAL' && gh.config.basicAuthEnabled && can(principal, 'change_own_password');
  return html`<section class="card" id="profile">
    <h2>Your profile</h2>
    <dl class="facts">
      <dt>Email</dt>
      <dd>${user.email}</dd>
      <dt>Role</dt>
      <dd><span class="badge badge-${user.role.toLowerCase()}">${user.role}</span></dd>
      <dt>Signs in with</dt>
      <dd>
        ${user.authMethod === 'LOCAL' ? 'password' : user.authMethod === 'LDAP' ? 'the LDAP directory' : 'single sign-on'}
      </dd>
    </dl>
    ${
      canRename
        ? html`<form id="username-form" class="row-form">
            <label>Username <input name="username" value="${user.username}" maxlength="256" required /></label>
            <button type="submit">Save username</button>
            ${formError}
          </form>`
        : html`<p>Username: ${user.username}</p>`
    }
    ${hasPassword ? html`<p><a class="button" href="${changePasswordUrl(root, '/settings')}">Change password</a></p>` : ''}
  </section>`;
}

function signInText(view: SessionView): string {
  switch (view.session.signInMethod) {
    case 'password':
      return 'password';
    case 'oauth2':
      return `single sign-on (${view.session.idp ?? 'unknown'})`;
    case 'ldap':
      return 'LDAP';
    case 'passkey':
      return 'passkey';
    default:
      return 'not recorded';
  }
}

/** The caller's sessions, each with a "Sign out" button (the current one signs this browser out). */
function sessionsSection(views: readonly SessionView[]): SafeHtml {
  const rows = views.map((view) => {
    const { session } = view;
    const path = `/v1/user/sessions/${encodeURIComponent(toGlobalId('UserSession', session.id))}`;
    return html`<tr data-session-id="${String(session.id)}" ${view.current ? html` data-current="true"` : ''}>
      <td data-label="Browser">
        ${session.userAgent ?? 'unknown browser'}${view.current ? html` <span class="you">(this browser)</span>` : ''}
      </td>
      <td data-label="Address">${session.clientAddress ?? 'unknown'}</td>
      <td data-label="Signed in with">${signInText(view)}</td>
      <td data-label="Since">${when(session.createdAt)}</td>
      <td data-label="Last refreshed">${session.lastRefreshedAt === null ? 'never' : when(session.lastRefreshedAt)}</td>
      <td data-label="Ends">${when(view.idleExpiresAt)} (idle) / ${when(view.absoluteExpiresAt)} (at the latest)</td>
      <td class="actions">
        <button type="button" class="small" data-sign-out="${path}" aria-label="Sign out session ${String(session.id)}">
          Sign out
        </button>
      </td>
    </tr>`;
  });
  const others = views.filter((view) => !view.current).length;
  return html`<section class="card" id="sessions">
    <h2>Your sessions</h2>
    <p class="hint">Every browser or device signed in as you. Signing one out ends it at once, on every server.</p>
    <div class="table-wrap">
      <table class="rows">
        <thead>
          <tr>
            <th>Browser</th>
            <th>Address</th>
            <th>Signed in with</th>
            <th>Since</th>
            <th>Last refreshed</th>
            <th>Ends</th>
            <th><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </div>
    ${others > 0 ? html`<p><button type="button" class="danger" id="sign-out-others" data-sign-out="/v1/user/sessions?others=true">Sign out all other sessions</button></p>` : ''}
  </section>`;
}

interface KeySection {
  readonly id: 'own-keys' | 'system-keys';
  readonly title: string;
  readonly hint: string;
  readonly endpoint: '/v1/user/api_keys' | '/v1/system/api_keys';
  readonly nodeType: 'UserApiKey' | 'SystemApiKey';
  readonly keys: readonly ApiKeyWithOwner[];
  readonly more: boolean;
  readonly canCreate: boolean;
  readonly canDelete: boolean;
}

function keysSection(section: KeySection, now: number): SafeHtml {
  const rows = section.keys.map((key) => {
    const path = `${section.endpoint}/${encodeURIComponent(toGlobalId(section.nodeType, key.id))}`;
    return html`<tr data-key-name="${key.name}">
      <td data-label="Name">${key.name}</td>
      <td data-label="Description">${key.description ?? ''}</td>
      <td data-label="Created">${when(key.createdAt)}</td>
      <td data-label="Expires">${expiry(key.expiresAt, now)}</td>
      ${section.canDelete ? html`<td class="actions">${deleteButton(path, `Delete the key "${key.name}"? Anything using it stops working.`, `Delete key ${key.name}`)}</td>` : ''}
    </tr>`;
  });
  return html`<section class="card" id="${section.id}">
    <h2>${section.title}</h2>
    <p class="hint">${section.hint}</p>
    <div class="key-list">
      ${
        rows.length === 0
          ? html`<p class="empty">No keys yet.</p>`
          : html`<div class="table-wrap">
              <table class="rows">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Description</th>
                    <th>Created</th>
                    <th>Expires</th>
                    ${section.canDelete ? html`<th><span class="visually-hidden">Actions</span></th>` : ''}
                  </tr>
                </thead>
                <tbody>
                  ${rows}
                </tbody>
              </table>
            </div>`
      }
      ${section.more ? html`<p class="hint">Showing the first ${LIST_LIMIT} keys.</p>` : ''}
    </div>
    ${
      section.canCreate
        ? html`<form class="key-form row-form" data-endpoint="${section.endpoint}">
              <label>Name <input name="name" maxlength="256" required /></label>
              <label>Description <input name="description" /></label>
              <label>Expires (optional) <input type="datetime-local" name="expires_at" /></label>
              <button type="submit" class="primary">Create key</button>
              ${formError}
            </form>
            <div class="new-key" hidden>
              <p><strong>Copy the new key now.</strong> It is shown this once and cannot be recovered.</p>
              <div class="copy-row">
                <input class="new-key-value" readonly aria-label="New API key" /><button type="button" class="copy-key">
                  Copy
                </button>
              </div>
              <button type="button" class="new-key-done">Done</button>
            </div>`
        : ''
    }
  </section>`;
}

/** "Reset 2FA": the admin's way back in for a user who lost every factor (the route ends their sessions). */
function resetMfaButton(user: UserRecord): SafeHtml {
  return html`<button
    type="button"
    class="danger small"
    data-delete="/v1/users/${encodeURIComponent(toGlobalId('User', user.id))}/mfa"
    data-confirm="Reset two-factor authentication of ${user.email}? Their authenticator and recovery codes are deleted and they are signed out everywhere."
    aria-label="Reset 2FA of ${user.email}"
  >
    Reset 2FA
  </button>`;
}

function userRow(
  request: PageRequest,
  principal: AuthenticatedPrincipal,
  user: UserRecord,
  hasFactor: boolean,
): SafeHtml {
  const target = userTarget(user);
  const path = `/v1/users/${encodeURIComponent(toGlobalId('User', user.id))}`;
  const canRole = can(principal, 'change_user_role', target);
  const canPassword =
    user.authMethod === 'LOCAL' &&
    request.gh.config.basicAuthEnabled &&
    can(principal, 'change_other_password', target);
  const canDelete = can(principal, 'delete_user', target);
  const canResetMfa = hasFactor && principal.userId !== user.id && can(principal, 'reset_other_mfa', target);
  const self = principal.userId === user.id;
  const role = canRole
    ? html`<form class="role-form inline-form" data-user="${path}">
        <select name="role" aria-label="Role of ${user.username}">
          ${ASSIGNABLE_ROLES.map((r) => html`<option${r === user.role ? html` selected` : ''}>${r}</option>`)}
        </select>
        <button type="submit" class="small">Change</button>
        ${formError}
      </form>`
    : html`<span class="badge badge-${user.role.toLowerCase()}">${user.role}</span>`;
  return html`<tr data-user-email="${user.email}">
    <td data-label="Username">${user.username}${self ? html` <span class="you">(you)</span>` : ''}</td>
    <td data-label="Email">${user.email}</td>
    <td data-label="Role">${role}</td>
    <td data-label="Signs in with">
      ${user.authMethod === 'LOCAL' ? 'password' : 'SSO'}${user.authMethod === 'LOCAL' && user.resetPassword ? html` <span class="hint">(must change)</span>` : ''}${hasFactor ? html` <span class="badge badge-mfa">2FA</span>` : ''}
    </td>
    <td class="actions">
      ${
        canPassword
          ? html`<details class="set-password">
              <summary>Set password</summary>
              <form class="password-form inline-form" data-user="${path}">
                <input
                  type="password"
                  name="password"
                  autocomplete="new-password"
                  required
                  aria-label="New password for ${user.username}"
                />
                <button type="submit" class="small">Save</button>
                ${formError}
              </form>
            </details>`
          : ''
      }
      ${canResetMfa ? resetMfaButton(user) : ''}
      ${canDelete ? deleteButton(path, `Delete the user ${user.email}? This ends their sessions and deletes their keys.`, `Delete user ${user.email}`) : ''}
    </td>
  </tr>`;
}

function usersSection(
  request: PageRequest,
  principal: AuthenticatedPrincipal,
  users: readonly UserRecord[],
  withFactor: ReadonlySet<number>,
  more: boolean,
): SafeHtml {
  const basic = request.gh.config.basicAuthEnabled;
  return html`<section class="card" id="users">
    <h2>Users</h2>
    <div class="table-wrap">
      <table class="rows">
        <thead>
          <tr>
            <th>Username</th>
            <th>Email</th>
            <th>Role</th>
            <th>Signs in with</th>
            <th><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${users.map((user) => userRow(request, principal, user, withFactor.has(user.id)))}
        </tbody>
      </table>
    </div>
    ${more ? html`<p class="hint">Showing the newest ${LIST_LIMIT} users.</p>` : ''}
    ${
      can(principal, 'create_user')
        ? html`<h3>Add a user</h3>
            <form id="create-user-form" class="row-form">
              <label>Email <input type="email" name="email" required /></label>
              <label>Username <input name="username" maxlength="256" required /></label>
              ${basic ? html`<label>Password <input type="password" name="password" autocomplete="new-password" required /></label>` : ''}
              <label
                >Role
                <select name="role">
                  ${ASSIGNABLE_ROLES.map((r) => html`<option${r === 'MEMBER' ? html` selected` : ''}>${r}</option>`)}
                </select></label
              >
              <input type="hidden" name="auth_method" value="${basic ? 'LOCAL' : 'OAUTH2'}" />
              <button type="submit" class="primary">Create user</button>
              ${formError}
            </form>
            <p class="hint">
              ${basic ? 'New users choose their own password the first time they sign in.' : 'New users sign in through single sign-on with this e-mail address.'}
            </p>`
        : ''
    }
  </section>`;
}

/** Which listed password users have a confirmed authenticator (their row offers "Reset 2FA"). */
async function usersWithFactor(request: PageRequest, users: readonly UserRecord[]): Promise<Set<number>> {
  const reads = request.gh.reads;
  if (!reads) return new Set();
  const local = users.filter((user) => user.authMethod === 'LOCAL');
  const factors = await Promise.all(local.map((user) => reads.hasSecondFactor(user.id)));
  return new Set(local.filter((_, i) => factors[i]).map((user) => user.id));
}

function authDisabled(request: PageRequest): Response {
  const body = html`<section class="card narrow">
    <h1>Settings</h1>
    <p>
      Authentication is disabled on this server (<code>PHOENIX_ENABLE_AUTH=false</code>): there are no users or API keys
      to manage, and every request is served anonymously.
    </p>
  </section>`;
  return htmlResponse(layout({ title: 'Settings', root: request.root, body }));
}

/**
 * `GET /settings`: own profile and API keys for everyone; users and system keys for admins. A control
 * is rendered only when core's policy (`can`) allows its action for this user and that target, so a
 * viewer sees nothing it cannot use; the API enforces the same rules again on every call.
 */
export async function settingsPage(request: PageRequest): Promise<Response> {
  const { root, gh } = request;
  const reads = gh.reads;
  if (!gh.config.enabled || reads === null) return authDisabled(request);
  const session = await currentSession(request);
  if (session === null) return redirectTo(loginUrl(root, here(request)));
  if (mustChangePassword(session)) return redirectTo(changePasswordUrl(root, here(request)));

  const { principal, user } = session;
  const now = systemClock.now();
  const page = { limit: LIST_LIMIT };
  const ownKeys = await reads.ownApiKeys(principal, page);
  const sessions = await reads.ownSessions(principal, principal.sessionId);
  const users = can(principal, 'list_users') ? await reads.users(principal, page) : null;
  const withFactor = users ? await usersWithFactor(request, users.users) : new Set<number>();
  const mfa = await mfaSection(gh, principal, user);
  const passkeys = await passkeySection(gh, principal, user);
  const systemKeys = can(principal, 'list_system_keys') ? await reads.systemApiKeys(principal, page) : null;
  const audit = can(principal, 'read_audit_events') ? await auditSection(gh, reads, principal, request.url) : null;

  const body = html`<h1>Settings</h1>
    <p class="alert alert-error" id="page-error" role="alert" hidden></p>
    ${profileSection(request, principal, user)} ${mfa} ${passkeys} ${sessionsSection(sessions)}
    ${keysSection(
      {
        id: 'own-keys',
        title: 'Your API keys',
        hint: 'Personal keys act as you, with your current role.',
        endpoint: '/v1/user/api_keys',
        nodeType: 'UserApiKey',
        keys: ownKeys.keys,
        more: ownKeys.nextCursor !== null,
        canCreate: can(principal, 'create_own_user_key'),
        canDelete: can(principal, 'delete_own_user_key'),
      },
      now,
    )}
    ${users ? usersSection(request, principal, users.users, withFactor, users.nextCursor !== null) : ''}
    ${
      systemKeys
        ? keysSection(
            {
              id: 'system-keys',
              title: 'System API keys',
              hint: 'System keys belong to the server, not to a person: they outlive the admin who created them.',
              endpoint: '/v1/system/api_keys',
              nodeType: 'SystemApiKey',
              keys: systemKeys.keys,
              more: systemKeys.nextCursor !== null,
              canCreate: can(principal, 'create_system_key'),
              canDelete: can(principal, 'delete_system_key'),
            },
            now,
          )
        : ''
    }
    ${audit ?? ''}`;
  return htmlResponse(
    layout({ title: 'Settings', root, script: 'settings', user: signedInHeader(request, user), body }),
  );
}
