/**
 * GET /v1/audit_events on every adapter, over real HTTP: the events a request leaves carry the
 * client's address, user agent and request id; admins read them with filters and a cursor; anyone
 * else is refused; bad filters are 422s with the JSON error body.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  call,
  createUser,
  expectError,
  expectJson,
  globalId,
  login,
  loginSession,
  startServer,
  type TestServer,
  type TestUser,
} from './support.js';

interface AuditEventJson {
  id: string;
  type: string;
  occurred_at: string;
  actor: { kind: string; user_id: string | null };
  subject_user_id: string | null;
  client_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}
interface AuditPage {
  data: AuditEventJson[];
  next_cursor: string | null;
}

describe.each(ADAPTERS)('audit events over HTTP on %s', (adapter) => {
  let server: TestServer;
  let member: TestUser;
  let started = '';

  async function events(query = '', bearer = ADMIN_SECRET): Promise<AuditPage> {
    await server.gatehouse.audit.flush();
    return expectJson<AuditPage>(await call(server, 'GET', `/v1/audit_events${query}`, { bearer }), 200);
  }

  beforeAll(async () => {
    server = await startServer(adapter, NO_RATE_LIMIT);
    started = new Date(Date.now() - 1000).toISOString();
    member = await createUser(server, 'MEMBER');
    expect(
      (
        await login(server, member.email, 'wrong-password-1', {
          'user-agent': 'audit-test/1.0',
          'x-request-id': 'req-audit-1',
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await login(server, member.email, member.password, {
          'user-agent': 'audit-test/1.0',
          'x-request-id': 'bad id\twith tab',
        })
      ).status,
    ).toBe(204);
  });

  afterAll(async () => {
    await server.close();
  });

  it('each event of a request carries its client address, user agent and request id (a caller id only when plain)', async () => {
    const page = await events(`?user_id=${encodeURIComponent(member.globalId)}`);
    const [succeeded, failed, created] = page.data;
    expect(page.data.map((e) => e.type)).toEqual(['sign_in.succeeded', 'sign_in.failed', 'user.created']);
    expect(failed).toMatchObject({
      actor: { kind: 'anonymous', user_id: null },
      subject_user_id: member.globalId,
      client_address: '127.0.0.1',
      user_agent: 'audit-test/1.0',
      request_id: 'req-audit-1',
      details: { method: 'password', reason: 'invalid_password', login: member.email },
    });
    expect(succeeded).toMatchObject({
      actor: { kind: 'user', user_id: member.globalId },
      client_address: '127.0.0.1',
      details: { method: 'password', idp: null },
    });
    // The tab made the caller's id unusable: a fresh one was made instead.
    expect(succeeded!.request_id).toMatch(/^[\w-]{16}$/);
    expect(created).toMatchObject({
      actor: { kind: 'admin_secret', user_id: globalId('User', 1) },
      details: { email: member.email, role: 'MEMBER', via: 'admin' },
    });
    expect(Date.parse(succeeded!.occurred_at)).toBeGreaterThanOrEqual(Date.parse(started));
  });

  it('filters by type (repeated or comma-separated) and time range, and pages with next_cursor', async () => {
    expect((await events('?type=sign_in.failed')).data.every((e) => e.type === 'sign_in.failed')).toBe(true);
    const both = await events('?type=sign_in.failed,user.created&type=sign_in.succeeded');
    expect(new Set(both.data.map((e) => e.type))).toEqual(
      new Set(['sign_in.failed', 'user.created', 'sign_in.succeeded']),
    );
    expect(
      (await events(`?since=${encodeURIComponent('2000-01-01T00:00:00Z')}&until=${encodeURIComponent(started)}`)).data,
    ).toEqual([]);
    const all = await events();
    expect(all.data.length).toBeGreaterThanOrEqual(4);
    const seen: AuditEventJson[] = [];
    let cursor: string | null = null;
    do {
      const page: AuditPage = await events(`?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.data.length).toBe(1);
      seen.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.data);
  });

  it('bad filters are 422 with the JSON error, naming the filter', async () => {
    const bad = async (query: string, message: RegExp) => {
      const body = await expectError(
        await call(server, 'GET', `/v1/audit_events${query}`, { bearer: ADMIN_SECRET }),
        422,
        'invalid_input',
      );
      expect(body.error.message).toMatch(message);
    };
    await bad('?type=sign_in.nope', /^type must be one of sign_in\.succeeded/);
    await bad('?since=yesterday', /^since must be an ISO 8601 time/);
    await bad('?until=2026-13-45T00:00:00Z', /^until must be/);
    await bad('?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', /^since must be before until$/);
    await bad('?user_id=42', /^user_id must be a User id$/);
    await bad(`?user_id=${encodeURIComponent(globalId('UserApiKey', 1))}`, /^user_id must be a User id$/);
    await bad('?cursor=nope', /^cursor must be a AuditEvent id$/);
    await bad('?limit=1001', /^limit must be/);
  });

  it('admins only: a member is refused with 403 before any filter is read, no credential with 401', async () => {
    const session = await loginSession(server, member.email, member.password);
    await expectError(await call(server, 'GET', '/v1/audit_events?type=nope', { cookie: session }), 403, 'forbidden');
    await expectError(await call(server, 'GET', '/v1/audit_events'), 401, 'unauthenticated');
    const admin = await loginSession(server, 'admin@localhost', 'admin');
    await server.gatehouse.audit.flush();
    expect(
      (await expectJson<AuditPage>(await call(server, 'GET', '/v1/audit_events?limit=1', { cookie: admin }), 200)).data,
    ).toHaveLength(1);
  });
});

describe.each(ADAPTERS)('a credential accepted with a previous secret on %s', (adapter) => {
  const NEW_SECRET = 'rotated0secret0for0tests0abcdefghijklm1';
  // the secret every other test server signs with (test/http/harness.ts)
  const OLD_SECRET = 'secret0for0tests0abcdefghijklmnop0123';

  it('records secret.previous_in_use once per secret and credential kind, never with the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-rotation-'));
    const sqliteFile = join(dir, 'auth.db');
    try {
      // Before the rotation: two sessions and a user API key, all signed with the old secret.
      const before = await startServer(adapter, NO_RATE_LIMIT, { sqliteFile });
      const member = await createUser(before, 'MEMBER');
      const first = await loginSession(before, member.email, member.password);
      const second = await loginSession(before, member.email, member.password);
      const key = await expectJson<{ data: { key: string } }>(
        await call(before, 'POST', '/v1/user/api_keys', { cookie: first, json: { data: { name: 'old' } } }),
        201,
      );
      await before.close();

      const after = await startServer(
        adapter,
        { ...NO_RATE_LIMIT, PHOENIX_SECRET: NEW_SECRET, GATEHOUSE_PREVIOUS_SECRETS: OLD_SECRET },
        { sqliteFile },
      );
      try {
        // Two different old access tokens (two cache misses) and the old key: all still accepted.
        for (const session of [first, second])
          expect((await call(after, 'GET', '/v1/user', { cookie: session })).status).toBe(200);
        expect((await call(after, 'GET', '/v1/user', { bearer: key.data.key })).status).toBe(200);
        // A token the new secret signed is no rotation event.
        const fresh = await loginSession(after, member.email, member.password);
        expect((await call(after, 'GET', '/v1/user', { cookie: fresh })).status).toBe(200);

        await after.gatehouse.audit.flush();
        const page = await expectJson<AuditPage>(
          await call(after, 'GET', '/v1/audit_events?type=secret.previous_in_use', { bearer: ADMIN_SECRET }),
          200,
        );
        expect(
          page.data.map((e) => e.details).sort((a, b) => String(a.credential).localeCompare(String(b.credential))),
        ).toEqual([
          { secret_index: 1, credential: 'access_token' },
          { secret_index: 1, credential: 'api_key' },
        ]);
        for (const event of page.data) {
          expect(event).toMatchObject({ actor: { kind: 'system' }, subject_user_id: null });
          const text = JSON.stringify(event);
          for (const secret of [first.access, second.access, key.data.key, OLD_SECRET])
            expect(text).not.toContain(secret);
        }
      } finally {
        await after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
