import type { AuditEventStore } from '@gatehouse-auth/core';
import { toAuditEvent } from '../rows.js';
import { type Db, type Scope, runnerOn } from './runner.js';

/**
 * @module
 * The append-only audit table. Its writes run outside transactions by design (see
 * `AuditEventStore`): an event outlives the unit of work it reports on, rolled back or not.
 */

/** Rows per INSERT: far below SQLite's bound-parameter limit whatever batch size the trail uses. */
const AUDIT_ROWS_PER_INSERT = 500;

export function auditEventOps(db: Db, scope: Scope): AuditEventStore {
  const { storeCall } = runnerOn(db, scope);
  return {
    appendAuditEvents: (events) =>
      storeCall(async () => {
        for (let start = 0; start < events.length; start += AUDIT_ROWS_PER_INSERT) {
          const rows = events.slice(start, start + AUDIT_ROWS_PER_INSERT).map((event) => ({
            type: event.type,
            occurred_at: event.occurredAt,
            actor_kind: event.actor.kind,
            actor_user_id: event.actor.userId,
            subject_user_id: event.subjectUserId,
            client_address: event.clientAddress,
            user_agent: event.userAgent,
            request_id: event.requestId,
            details: JSON.stringify(event.details),
          }));
          await db.insertInto('audit_events').values(rows).execute();
        }
      }),
    listAuditEvents: (query) =>
      storeCall(async () => {
        let select = db.selectFrom('audit_events').selectAll();
        if (query.beforeId != null) select = select.where('id', '<', query.beforeId);
        if (query.types && query.types.length > 0) select = select.where('type', 'in', [...query.types]);
        const userId = query.userId;
        if (userId != null)
          select = select.where((eb) => eb.or([eb('subject_user_id', '=', userId), eb('actor_user_id', '=', userId)]));
        if (query.since != null) select = select.where('occurred_at', '>=', query.since);
        if (query.until != null) select = select.where('occurred_at', '<', query.until);
        const rows = await select.orderBy('id', 'desc').limit(query.limit).execute();
        return rows.map(toAuditEvent);
      }),
    deleteAuditEventsBefore: (cutoff) =>
      storeCall(async () => {
        const result = await db.deleteFrom('audit_events').where('occurred_at', '<', cutoff).executeTakeFirst();
        return Number(result.numDeletedRows);
      }),
  };
}
