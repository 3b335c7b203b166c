import {
  AUDIT_EVENT_TYPES,
  isAuditEventType,
  type AuditEventRecord,
  type AuthenticatedPrincipal,
  type Gatehouse,
  type GatehouseReads,
} from '@gatehouse-auth/core';
import { html, type SafeHtml } from './html.js';

/** The newest events shown; the CLI and `GET /v1/audit_events` page through the rest. */
const AUDIT_LIMIT = 50;

const when = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** Plain words for each type, so the table reads without docs/audit.md at hand. */
const LABELS: Record<(typeof AUDIT_EVENT_TYPES)[number], string> = {
  'sign_in.succeeded': 'Signed in',
  'sign_in.failed': 'Sign-in failed',
  'sign_in.locked_out': 'Locked out',
  sign_out: 'Signed out',
  'refresh_token.replayed': 'Refresh token replayed',
  'password.changed': 'Password changed',
  'password.reset_requested': 'Password reset requested',
  'password.reset_completed': 'Password reset completed',
  'user.created': 'User created',
  'user.deleted': 'User deleted',
  'user.role_changed': 'Role changed',
  'api_key.created': 'API key created',
  'api_key.deleted': 'API key deleted',
  'passkey.registered': 'Passkey registered',
  'passkey.removed': 'Passkey removed',
  'sso.denied': 'SSO denied',
  'session.ended': 'Session ended',
  'secret.previous_in_use': 'Previous secret in use',
  'auth.disabled_at_start': 'Started without authentication',
};

function detailText(event: AuditEventRecord): string {
  return Object.entries(event.details as Record<string, unknown>)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

/**
 * The audit trail for admins on the settings page: the newest events, optionally of one type
 * (`?audit_type=`), read through `gh.reads` under the API's policy. Events still queued in
 * memory are written first, so what just happened shows.
 */
export async function auditSection(
  gh: Gatehouse,
  reads: GatehouseReads,
  principal: AuthenticatedPrincipal,
  url: URL,
): Promise<SafeHtml> {
  const raw = url.searchParams.get('audit_type');
  const type = raw !== null && isAuditEventType(raw) ? raw : null;
  await gh.audit.flush();
  const page = await reads.auditEvents(principal, { limit: AUDIT_LIMIT, types: type ? [type] : [] });
  const names = new Map<number, string>();
  const nameOf = async (id: number | null): Promise<string> => {
    if (id === null) return '';
    let name = names.get(id);
    if (name === undefined) {
      name = (await reads.user(id))?.email ?? `user #${id} (deleted)`;
      names.set(id, name);
    }
    return name;
  };
  const rows: SafeHtml[] = [];
  for (const event of page.events) {
    const actor =
      event.actor.userId === null ? event.actor.kind : `${await nameOf(event.actor.userId)} (${event.actor.kind})`;
    rows.push(
      html`<tr data-audit-type="${event.type}">
        <td data-label="Time">${when(event.occurredAt)}</td>
        <td data-label="Event">${LABELS[event.type]}</td>
        <td data-label="By">${actor}</td>
        <td data-label="User">${await nameOf(event.subjectUserId)}</td>
        <td data-label="From">${event.clientAddress ?? ''}</td>
        <td data-label="Details" class="details">${detailText(event)}</td>
      </tr>`,
    );
  }
  return html`<section class="card" id="audit">
    <h2>Audit trail</h2>
    <p class="hint">
      Security events, newest first: sign-ins, lockouts, password, user and key changes. Kept
      ${gh.config.auditRetentionDays} days.
    </p>
    <form class="row-form" method="get" action="#audit">
      <label
        >Event
        <select name="audit_type">
          <option value="" ${type === null ? html` selected` : ''}>All events</option>
          ${AUDIT_EVENT_TYPES.map((t) => html`<option value="${t}" ${t === type ? html` selected` : ''}>${LABELS[t]}</option>`)}
        </select></label
      >
      <button type="submit">Show</button>
    </form>
    ${
      rows.length === 0
        ? html`<p class="empty">No events.</p>`
        : html`<div class="table-wrap">
            <table class="rows">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Event</th>
                  <th>By</th>
                  <th>User</th>
                  <th>From</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>
          </div>`
    }
    ${page.nextCursor !== null ? html`<p class="hint">Showing the newest ${AUDIT_LIMIT}; <code>gatehouse audit</code> or <code>GET /v1/audit_events</code> reach the rest.</p>` : ''}
  </section>`;
}
