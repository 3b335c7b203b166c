import type { Clock } from '../ports.js';
import type { Logger } from '../services/deps.js';
import type { AuditActor, AuditEventInput, AuditRequestContext, NewAuditEvent } from './events.js';

/**
 * Where audit events end up. `write` gets batches, in order; a rejection means the batch was not
 * stored, and the trail keeps it to try again. The default writes to the store's audit table.
 */
export interface AuditSink {
  write(events: readonly NewAuditEvent[]): Promise<void>;
}

/** What services call: synchronous, never fails, never waits for I/O. */
export interface AuditRecorder {
  record(event: AuditEventInput): void;
}

export interface AuditTrailOptions {
  /** Default: the store's audit table. */
  sink?: AuditSink;
  /** Milliseconds between flushes (default 1000); a full batch is flushed at once. */
  flushIntervalMs?: number;
  /** Events per write (default 100). */
  batchSize?: number;
  /**
   * Events held in memory while the sink cannot take them (default 10 000). Past it new events are
   * dropped from the table (counted and logged); their log lines were written all the same.
   */
  maxQueue?: number;
}

export interface AuditTrail {
  /** A recorder that stamps every event with this request's address, user agent and id. */
  recorder(context: AuditRequestContext): AuditRecorder;
  /** For events outside any request (start-up, the CLI, background work). */
  readonly system: AuditRecorder;
  /** Writes what is queued now; resolves when the sink took it or refused it (then it stays queued). */
  flush(): Promise<void>;
  /** Events waiting for the sink, and events dropped since start because the queue was full. */
  stats(): { readonly queued: number; readonly dropped: number };
  /** Stops the timer and flushes once; what the sink still refuses is lost (and logged as lost). */
  close(): Promise<void>;
}

export const NO_REQUEST: AuditRequestContext = Object.freeze({ clientAddress: null, userAgent: null, requestId: null });
const GATEHOUSE_ITSELF: AuditActor = Object.freeze({ kind: 'system', userId: null });
const NOBODY: AuditActor = Object.freeze({ kind: 'anonymous', userId: null });

const MAX_USER_AGENT = 512;
const MAX_TEXT = 320;

/** Control characters out (log injection), length bounded: the user agent is the client's free text. */
function cleanText(value: string | null, max: number): string | null {
  if (value === null) return null;
  // eslint-disable-next-line no-control-regex
  const cleaned = value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return cleaned ? cleaned.slice(0, max) : null;
}

function cleanDetails(details: object): object {
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (typeof value === 'string') {
      const cleaned = cleanText(value, MAX_TEXT) ?? '';
      if (cleaned !== value) changed = true;
      out[key] = cleaned;
    } else out[key] = value;
  }
  return changed ? out : details;
}

/** The request context of an audit event, from request headers (the address is resolved by the caller). */
export function auditRequestContext(
  clientAddress: string | null,
  userAgent: string | null,
  requestId: string | null,
): AuditRequestContext {
  return { clientAddress, userAgent: cleanText(userAgent, MAX_USER_AGENT), requestId };
}

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** A caller-supplied `X-Request-Id` when it is plain (proxies set one), else null: the caller makes one. */
export function acceptableRequestId(value: string | null): string | null {
  return value !== null && REQUEST_ID.test(value) ? value : null;
}

/**
 * Batches audit events off the request path: `record` stamps the event, writes its log line and
 * queues it; a timer (and a full batch) hands the queue to the sink. A sink that fails (the store is
 * down) never reaches a request: the batch stays queued up to `maxQueue`, the failure is logged
 * once per outage, and the next flush retries.
 */
export function createAuditTrail(
  options: AuditTrailOptions & { sink: AuditSink; clock: Clock; logger: Logger },
): AuditTrail {
  const { sink, clock, logger } = options;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 100;
  const maxQueue = options.maxQueue ?? 10_000;
  for (const [name, value, min] of [
    ['flushIntervalMs', flushIntervalMs, 1],
    ['batchSize', batchSize, 1],
    ['maxQueue', maxQueue, 1],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < min || value > 2 ** 31 - 1)
      throw new RangeError(`audit: ${name} must be a positive integer`);
  }

  const queue: NewAuditEvent[] = [];
  let dropped = 0;
  let droppedSinceLog = 0;
  let failing = false;
  let closed = false;
  let writing: Promise<void> | null = null;
  let soon: ReturnType<typeof setTimeout> | null = null;

  function enqueue(event: NewAuditEvent): void {
    logger.info(`audit: ${event.type}`, {
      audit: true,
      type: event.type,
      actorKind: event.actor.kind,
      actorUserId: event.actor.userId,
      subjectUserId: event.subjectUserId,
      clientAddress: event.clientAddress,
      userAgent: event.userAgent,
      requestId: event.requestId,
      details: event.details,
    });
    if (closed || queue.length >= maxQueue) {
      dropped++;
      droppedSinceLog++;
      return;
    }
    queue.push(event);
    if (queue.length >= batchSize && soon === null && writing === null) {
      soon = setTimeout(() => {
        soon = null;
        void flush();
      }, 0);
      soon.unref?.();
    }
  }

  function recorder(context: AuditRequestContext): AuditRecorder {
    return {
      record(input) {
        const actor =
          input.actor ??
          (input.subjectUserId !== null
            ? { kind: 'user' as const, userId: input.subjectUserId }
            : context === NO_REQUEST
              ? GATEHOUSE_ITSELF
              : NOBODY);
        enqueue({
          type: input.type,
          details: cleanDetails(input.details),
          occurredAt: clock.now(),
          actor,
          subjectUserId: input.subjectUserId,
          clientAddress: context.clientAddress,
          userAgent: context.userAgent,
          requestId: context.requestId,
        } as NewAuditEvent);
      },
    };
  }

  async function drainQueue(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, batchSize);
      try {
        await sink.write(batch);
      } catch (error) {
        // Back to the front, in order; what no longer fits is the newest and is dropped.
        queue.unshift(...batch);
        const over = queue.length - maxQueue;
        if (over > 0) {
          queue.length = maxQueue;
          dropped += over;
          droppedSinceLog += over;
        }
        if (!failing) {
          failing = true;
          logger.warn('audit: events could not be stored; kept in memory and retried', {
            queued: queue.length,
            error: error instanceof Error ? error.name : typeof error,
          });
        }
        return;
      }
      if (failing) {
        failing = false;
        logger.info('audit: events are being stored again', { queued: queue.length });
      }
    }
  }

  function flush(): Promise<void> {
    if (droppedSinceLog > 0) {
      logger.error('audit: queue full, events dropped from the audit table (their log lines were written)', {
        dropped: droppedSinceLog,
      });
      droppedSinceLog = 0;
    }
    if (writing) return writing.then(() => (queue.length > 0 && !failing ? flush() : undefined));
    if (queue.length === 0) return Promise.resolve();
    writing = drainQueue().finally(() => {
      writing = null;
    });
    return writing;
  }

  const timer = setInterval(() => void flush(), flushIntervalMs);
  timer.unref?.();

  return {
    recorder,
    system: recorder(NO_REQUEST),
    flush,
    stats: () => ({ queued: queue.length, dropped }),
    async close() {
      if (closed) return;
      clearInterval(timer);
      if (soon !== null) clearTimeout(soon);
      await flush();
      closed = true;
      if (queue.length > 0) {
        logger.error('audit: the store refused the last events at shutdown; they are in the log only', {
          lost: queue.length,
        });
        dropped += queue.length;
        queue.length = 0;
      }
    },
  };
}
