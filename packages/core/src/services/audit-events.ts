import { AUDIT_EVENT_TYPES, isAuditEventType, type AuditEventRecord, type AuditEventType } from '../audit/events.js';
import { ValidationError } from '../errors/index.js';
import type { Principal } from '../policy/index.js';
import { authorize } from './authorize.js';
import type { ServiceDeps } from './deps.js';

export interface AuditEventFilter {
  cursor?: number | null;
  limit?: number;
  types?: readonly string[];
  userId?: number | null;
  /** Epoch ms, inclusive. */
  since?: number | null;
  /** Epoch ms, exclusive. */
  until?: number | null;
}

export interface AuditEventPage {
  readonly events: readonly AuditEventRecord[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: number | null;
}

const isTime = (value: number | null | undefined): boolean =>
  value === null || value === undefined || (Number.isSafeInteger(value) && value >= 0);

/**
 * Reads the audit trail, newest first (admins and the admin secret only). Every filter problem is
 * a 422 naming the filter; events still queued in memory (under a second old) are not in it yet.
 */
export async function listAuditEvents(
  deps: ServiceDeps,
  actor: Principal | null,
  filter: AuditEventFilter = {},
): Promise<AuditEventPage> {
  authorize(actor, 'read_audit_events');
  const limit = filter.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit <= 0 || limit > 1000)
    throw new ValidationError('limit must be an integer between 1 and 1000');
  const types: AuditEventType[] = [];
  for (const type of filter.types ?? []) {
    if (!isAuditEventType(type)) throw new ValidationError(`type must be one of ${AUDIT_EVENT_TYPES.join(', ')}`);
    types.push(type);
  }
  if (!isTime(filter.since)) throw new ValidationError('since must be a time');
  if (!isTime(filter.until)) throw new ValidationError('until must be a time');
  if (filter.since != null && filter.until != null && filter.since >= filter.until)
    throw new ValidationError('since must be before until');
  if (filter.userId != null && !(Number.isSafeInteger(filter.userId) && filter.userId > 0))
    throw new ValidationError('user must be a user id');
  if (filter.cursor != null && !(Number.isSafeInteger(filter.cursor) && filter.cursor > 0))
    throw new ValidationError('cursor must be an audit event id');
  const rows = await deps.store.listAuditEvents({
    beforeId: filter.cursor ?? null,
    limit: limit + 1,
    types,
    userId: filter.userId ?? null,
    since: filter.since ?? null,
    until: filter.until ?? null,
  });
  const events = rows.slice(0, limit);
  return { events, nextCursor: rows.length > limit ? (events[events.length - 1]?.id ?? null) : null };
}
