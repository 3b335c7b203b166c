import { describe, expect, it } from 'vitest';
import {
  acceptableRequestId,
  auditRequestContext,
  createAuditTrail,
  NO_REQUEST,
  type AuditSink,
  type NewAuditEvent,
} from '../../src/audit/index.js';
import type { Logger } from '../../src/services/deps.js';

class RecordingLogger implements Logger {
  readonly lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[] = [];
  info(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, fields });
  }
}

/** A sink that can be switched off like a store that went down. */
class SwitchableSink implements AuditSink {
  readonly batches: NewAuditEvent[][] = [];
  down = false;
  calls = 0;
  write(events: readonly NewAuditEvent[]): Promise<void> {
    this.calls++;
    if (this.down) return Promise.reject(new Error('connection refused'));
    this.batches.push([...events]);
    return Promise.resolve();
  }
  get written(): NewAuditEvent[] {
    return this.batches.flat();
  }
}

const clock = { now: () => 1_700_000_000_000 };
const signOut = (n: number) => ({ type: 'sign_out', subjectUserId: n, details: { sessionsEnded: 1 } }) as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function trailWith(options: { batchSize?: number; maxQueue?: number; flushIntervalMs?: number } = {}) {
  const sink = new SwitchableSink();
  const logger = new RecordingLogger();
  const trail = createAuditTrail({ sink, logger, clock, flushIntervalMs: 60_000, ...options });
  return { sink, logger, trail };
}

describe('audit trail', () => {
  it('record is synchronous and does no I/O: nothing reaches the sink until a flush, which writes in order', async () => {
    const { sink, trail } = trailWith();
    for (let i = 1; i <= 5; i++) trail.system.record(signOut(i));
    expect(sink.calls).toBe(0);
    expect(trail.stats()).toEqual({ queued: 5, dropped: 0 });
    await trail.flush();
    expect(sink.batches).toHaveLength(1);
    expect(sink.written.map((e) => e.subjectUserId)).toEqual([1, 2, 3, 4, 5]);
    expect(trail.stats().queued).toBe(0);
    await trail.close();
  });

  it('stamps time, the actor (the subject itself when omitted) and the request context; one log line per event', async () => {
    const { sink, logger, trail } = trailWith();
    const request = trail.recorder(auditRequestContext('203.0.113.7', 'curl/8\r\nX-Injected: yes', 'req-42'));
    request.record(signOut(3));
    request.record({
      type: 'sign_in.failed',
      actor: { kind: 'anonymous', userId: null },
      subjectUserId: null,
      details: { method: 'password', reason: 'unknown_user', login: null },
    });
    trail.system.record({ type: 'auth.disabled_at_start', subjectUserId: null, details: {} });
    await trail.flush();
    expect(sink.written).toEqual([
      {
        type: 'sign_out',
        details: { sessionsEnded: 1 },
        occurredAt: clock.now(),
        actor: { kind: 'user', userId: 3 },
        subjectUserId: 3,
        clientAddress: '203.0.113.7',
        userAgent: 'curl/8  X-Injected: yes',
        requestId: 'req-42',
      },
      {
        type: 'sign_in.failed',
        details: { method: 'password', reason: 'unknown_user', login: null },
        occurredAt: clock.now(),
        actor: { kind: 'anonymous', userId: null },
        subjectUserId: null,
        clientAddress: '203.0.113.7',
        userAgent: 'curl/8  X-Injected: yes',
        requestId: 'req-42',
      },
      {
        type: 'auth.disabled_at_start',
        details: {},
        occurredAt: clock.now(),
        actor: { kind: 'system', userId: null },
        subjectUserId: null,
        ...NO_REQUEST,
      },
    ]);
    expect(logger.lines.filter((l) => l.message.startsWith('audit: ')).map((l) => l.message)).toEqual([
      'audit: sign_out',
      'audit: sign_in.failed',
      'audit: auth.disabled_at_start',
    ]);
    await trail.close();
  });

  it('a full batch is written without waiting for the timer, in batches of batchSize', async () => {
    const { sink, trail } = trailWith({ batchSize: 10 });
    for (let i = 0; i < 25; i++) trail.system.record(signOut(i));
    await sleep(20);
    expect(sink.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    await trail.close();
  });

  it('the timer flushes what is queued', async () => {
    const { sink, trail } = trailWith({ flushIntervalMs: 10 });
    trail.system.record(signOut(1));
    await sleep(60);
    expect(sink.written).toHaveLength(1);
    await trail.close();
  });

  it('store down: recording never throws, the queue is bounded, the outage is logged once, and recovery writes the kept events in order', async () => {
    const { sink, logger, trail } = trailWith({ maxQueue: 5, batchSize: 2 });
    sink.down = true;
    for (let i = 1; i <= 3; i++) trail.system.record(signOut(i));
    await trail.flush();
    await trail.flush();
    for (let i = 4; i <= 8; i++) expect(() => trail.system.record(signOut(i))).not.toThrow();
    expect(trail.stats()).toEqual({ queued: 5, dropped: 3 });
    await trail.flush();
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      'audit: events could not be stored; kept in memory and retried',
    ]);
    expect(logger.lines.filter((l) => l.level === 'error')[0]?.fields).toEqual({ dropped: 3 });
    // Every event still got its log line, stored or not.
    expect(logger.lines.filter((l) => l.message === 'audit: sign_out')).toHaveLength(8);
    sink.down = false;
    await trail.flush();
    expect(sink.written.map((e) => e.subjectUserId)).toEqual([1, 2, 3, 4, 5]);
    expect(logger.lines.some((l) => l.message === 'audit: events are being stored again')).toBe(true);
    await trail.close();
  });

  it('close writes what is queued; what a dead store refuses at close is counted and logged as lost', async () => {
    const first = trailWith();
    first.trail.system.record(signOut(1));
    await first.trail.close();
    expect(first.sink.written).toHaveLength(1);

    const second = trailWith();
    second.sink.down = true;
    second.trail.system.record(signOut(1));
    second.trail.system.record(signOut(2));
    await second.trail.close();
    expect(second.logger.lines.find((l) => l.level === 'error')?.fields).toEqual({ lost: 2 });
    expect(second.trail.stats()).toEqual({ queued: 0, dropped: 2 });
    second.trail.system.record(signOut(3));
    expect(second.trail.stats().queued).toBe(0);
  });

  it('a slow sink never holds up record: a thousand events are queued while a write hangs', async () => {
    let release: () => void = () => {};
    let calls = 0;
    const sink: AuditSink = {
      write: () => (calls++ === 0 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()),
    };
    const trail = createAuditTrail({
      sink,
      logger: new RecordingLogger(),
      clock,
      flushIntervalMs: 60_000,
      batchSize: 1,
    });
    trail.system.record(signOut(0));
    const flushing = trail.flush();
    const started = performance.now();
    for (let i = 1; i <= 1000; i++) trail.system.record(signOut(i));
    expect(performance.now() - started).toBeLessThan(500);
    expect(trail.stats().queued).toBe(1000);
    release();
    await flushing;
    await trail.close();
    expect(calls).toBe(1001);
  });

  it('refuses nonsense options at construction', () => {
    expect(() =>
      createAuditTrail({ sink: new SwitchableSink(), logger: new RecordingLogger(), clock, maxQueue: 0 }),
    ).toThrow(/maxQueue/);
    expect(() =>
      createAuditTrail({ sink: new SwitchableSink(), logger: new RecordingLogger(), clock, flushIntervalMs: 1.5 }),
    ).toThrow(/flushIntervalMs/);
  });

  it('a caller-supplied request id is kept only when it is plain', () => {
    expect(acceptableRequestId('7f3c-11ee.b:a/x=+@')).toBe('7f3c-11ee.b:a/x=+@');
    expect(acceptableRequestId('evil\nline')).toBeNull();
    expect(acceptableRequestId('x'.repeat(129))).toBeNull();
    expect(acceptableRequestId(null)).toBeNull();
    expect(auditRequestContext(null, 'a'.repeat(2000), null).userAgent).toHaveLength(512);
  });
});
