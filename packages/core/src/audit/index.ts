import type { Principal } from '../policy/index.js';
import type { AuditEventStore } from '../ports.js';
import type { AuditActor } from './events.js';
import type { AuditSink } from './trail.js';
export { PREVIOUS_SECRET_REPORT_INTERVAL_MS, previousSecretReporter } from './previous-secret-use.js';

export * from './events.js';
export {
  acceptableRequestId,
  auditRequestContext,
  createAuditTrail,
  NO_REQUEST,
  type AuditRecorder,
  type AuditSink,
  type AuditTrail,
  type AuditTrailOptions,
} from './trail.js';

/** The actor of an event done by the holder of `principal`. */
export function auditActorOf(principal: Principal | null): AuditActor {
  return principal === null ? { kind: 'anonymous', userId: null } : { kind: principal.kind, userId: principal.userId };
}

/** The default sink: the store's append-only audit table, one multi-row INSERT per batch. */
export function storeAuditSink(store: Pick<AuditEventStore, 'appendAuditEvents'>): AuditSink {
  return { write: (events) => store.appendAuditEvents(events) };
}

/** A recorder that keeps nothing: for services run outside Gatehouse (some tests, scripts). */
export const discardAudit = Object.freeze({ record() {} });
