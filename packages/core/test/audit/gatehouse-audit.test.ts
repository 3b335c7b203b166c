/**
 * The audit trail as createGatehouse wires it: a login's events reach the store's table after a
 * flush, a dead sink never fails a login, start-up with auth off is recorded, and the sweep applies
 * the retention. The host-route gate never records anything (the cached path does no audit I/O).
 */
import { describe, expect, it } from 'vitest';
import { parseAuthEnv } from '../../src/config/index.js';
import { createGatehouse } from '../../src/gatehouse.js';
import type { AuditSink } from '../../src/audit/index.js';
import { FakeClock, fastHasher, SECRET } from '../support/harness.js';
import { createMemoryStore } from '../support/memory-store.js';

const DAY = 86_400_000;
const loginRequest = (password: string) =>
  new Request('http://localhost:6006/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'unit/1', 'x-request-id': 'abc-123' },
    body: JSON.stringify({ email: 'admin@localhost', password }),
  });

describe('createGatehouse and the audit trail', () => {
  it('a login is recorded with the request context; guard on a cached credential records nothing', async () => {
    const store = createMemoryStore();
    let writes = 0;
    const sink: AuditSink = { write: (events) => (writes++, store.appendAuditEvents(events)) };
    const gh = await createGatehouse({
      config: parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET }),
      store,
      hasher: fastHasher,
      sweepIntervalMs: 0,
      audit: { sink },
    });
    const response = await gh.handle(loginRequest('admin'), { remoteAddress: '198.51.100.4' });
    expect(response?.status).toBe(204);
    await gh.audit.flush();
    const [signIn] = await store.listAuditEvents({ limit: 1 });
    expect(signIn).toMatchObject({
      type: 'sign_in.succeeded',
      clientAddress: '198.51.100.4',
      userAgent: 'unit/1',
      requestId: 'abc-123',
    });

    const cookie = response!.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const input = { method: 'GET', path: '/v1/projects', cookie, host: 'localhost:6006' };
    expect((await gh.guard(input)).ok).toBe(true);
    const before = { writes, queued: gh.audit.stats().queued };
    for (let i = 0; i < 100; i++) expect(gh.guardCached(input)?.ok).toBe(true);
    expect({ writes, queued: gh.audit.stats().queued }).toEqual(before);
    await gh.close();
  });

  it('a sink that fails (the store is down for audit writes) never fails a login; the events wait in memory', async () => {
    const warnings: string[] = [];
    const logger = { info() {}, warn: (message: string) => void warnings.push(message), error() {} };
    const sink: AuditSink = { write: () => Promise.reject(new Error('ECONNREFUSED')) };
    const gh = await createGatehouse({
      config: parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', PHOENIX_SECRET: SECRET }),
      store: createMemoryStore(),
      hasher: fastHasher,
      logger,
      sweepIntervalMs: 0,
      audit: { sink, maxQueue: 3 },
    });
    for (let i = 0; i < 5; i++) expect((await gh.handle(loginRequest('admin')))?.status).toBe(204);
    expect((await gh.handle(loginRequest('wrong')))?.status).toBe(401);
    await gh.audit.flush();
    expect(gh.audit.stats().queued).toBe(3);
    expect(warnings).toContain('audit: events could not be stored; kept in memory and retried');
    await gh.close();
  });

  it('starting with authentication disabled is itself an audit event', async () => {
    const store = createMemoryStore();
    const gh = await createGatehouse({ config: parseAuthEnv({}), store });
    await gh.close();
    expect((await store.listAuditEvents({ limit: 10 })).map((e) => [e.type, e.actor.kind])).toEqual([
      ['auth.disabled_at_start', 'system'],
    ]);
  });

  it('the sweep deletes audit events older than GATEHOUSE_AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    const clock = new FakeClock();
    const store = createMemoryStore();
    const gh = await createGatehouse({
      config: parseAuthEnv({
        PHOENIX_ENABLE_AUTH: 'true',
        PHOENIX_SECRET: SECRET,
        GATEHOUSE_AUDIT_RETENTION_DAYS: '30',
      }),
      store,
      clock,
      hasher: fastHasher,
      sweepIntervalMs: 0,
    });
    const old = {
      type: 'sign_out',
      details: { sessionsEnded: 1 },
      actor: { kind: 'user', userId: 1 },
      subjectUserId: 1,
      clientAddress: null,
      userAgent: null,
      requestId: null,
    } as const;
    await store.appendAuditEvents([
      { ...old, occurredAt: clock.now() - 31 * DAY },
      { ...old, occurredAt: clock.now() - 29 * DAY },
    ]);
    expect(await gh.sweepExpired()).toBe(1);
    expect((await store.listAuditEvents({ limit: 10, types: ['sign_out'] })).map((e) => e.occurredAt)).toEqual([
      clock.now() - 29 * DAY,
    ]);
    await gh.close();
  });
});
