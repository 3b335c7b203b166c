import { describe, expect, it } from 'vitest';
import { parseBearer } from '../../src/http/index.js';
import type { AuthStore, RevocationChannel } from '../../src/ports.js';
import { createLocalRevocationChannel } from '../../src/in-process/index.js';
import { createAuthenticator } from '../../src/http/index.js';
import { createUserApiKey, login } from '../../src/services/index.js';
import { createMemoryStore } from '../support/memory-store.js';
import { ADMIN_SECRET, bearer, makeHarness } from '../support/harness.js';

describe('parseBearer (docs/phoenix-contract.md#cookies-and-bearer)', () => {
  it.each([
    [undefined, null],
    [null, null],
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['BeArEr abc', 'abc'],
    ['Bearer  abc ', 'abc'],
    ['Bearer', false],
    ['Bearer ', false],
    ['Basic abc', false],
    ['Token abc', false],
    ['abc', false],
    ['', false],
    ['Bearer a b', false],
    ['Bearer a, Bearer b', false],
    ['Bearerabc', false],
  ])('%j → %j', (header, expected) => {
    expect(parseBearer(header)).toBe(expected);
  });
});

async function world() {
  const h = await makeHarness();
  const session = await login(h.deps, { email: 'admin@localhost', password: 'admin-initial' });
  return { h, session };
}

describe('authenticate', () => {
  it('accepts an access token as a bearer or as the cookie', async () => {
    const { h, session } = await world();
    const viaBearer = await h.auth.authenticate(bearer(session.accessToken));
    const viaCookie = await h.auth.authenticate({ accessTokenCookie: session.accessToken });
    expect(viaBearer).toMatchObject({
      ok: true,
      principal: { kind: 'session', role: 'ADMIN', sessionId: session.sessionId },
    });
    expect(viaCookie).toMatchObject({ ok: true, principal: { kind: 'session', userId: session.user.id } });
  });

  it('answers a repeated credential from the cache: the same frozen result, no store read', async () => {
    const { h, session } = await world();
    const first = await h.auth.authenticate(bearer(session.accessToken));
    let reads = 0;
    const original = h.store.findAccessTokenGrant.bind(h.store);
    h.store.findAccessTokenGrant = (id) => {
      reads++;
      return original(id);
    };
    const second = await h.auth.authenticate(bearer(session.accessToken));
    expect(second).toBe(first);
    expect(Object.isFrozen(second)).toBe(true);
    expect(reads).toBe(0);
  });

  it('a present but malformed Authorization header makes the request unauthenticated; the cookie is ignored', async () => {
    const { h, session } = await world();
    const result = await h.auth.authenticate({
      authorization: `Basic ${session.accessToken}`,
      accessTokenCookie: session.accessToken,
    });
    expect(result).toEqual({ ok: false, reason: 'invalid' });
  });

  it('reports missing credentials', async () => {
    const { h } = await world();
    expect(await h.auth.authenticate({})).toEqual({ ok: false, reason: 'missing' });
    expect(await h.auth.authenticate({ accessTokenCookie: '' })).toEqual({ ok: false, reason: 'missing' });
  });

  it('the admin secret is a bearer only: it acts as the system user and never works as a cookie', async () => {
    const { h } = await world();
    expect(await h.auth.authenticate(bearer(ADMIN_SECRET))).toMatchObject({
      ok: true,
      principal: { kind: 'admin_secret', userId: h.systemUserId, role: 'SYSTEM' },
    });
    expect(await h.auth.authenticate({ accessTokenCookie: ADMIN_SECRET })).toEqual({ ok: false, reason: 'invalid' });
    expect(await h.auth.authenticate(bearer(ADMIN_SECRET.slice(0, -1)))).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses refresh and reset tokens as credentials, and API keys as cookies (even once cached)', async () => {
    const { h, session } = await world();
    expect(await h.auth.authenticate(bearer(session.refreshToken))).toEqual({ ok: false, reason: 'invalid' });
    const principal = await h.auth.authenticate(bearer(session.accessToken));
    if (!principal.ok) throw new Error('login token refused');
    const key = await createUserApiKey(h.deps, principal.principal, { name: 'k' });
    expect((await h.auth.authenticate(bearer(key.key))).ok).toBe(true);
    expect(await h.auth.authenticate({ accessTokenCookie: key.key })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('fails closed when the store cannot answer a cache miss', async () => {
    const store = createMemoryStore();
    const h = await makeHarness({}, store);
    const session = await login(h.deps, { email: 'admin@localhost', password: 'admin-initial' });
    const broken: AuthStore = store;
    broken.findAccessTokenGrant = () => Promise.reject(new Error('connection refused'));
    expect(await h.auth.authenticate(bearer(session.accessToken))).toEqual({ ok: false, reason: 'unavailable' });
    expect(h.auth.size).toBe(0);
  });

  it('does not cache what a lookup read while a revocation happened', async () => {
    const { h, session } = await world();
    const original = h.store.findAccessTokenGrant.bind(h.store);
    h.store.findAccessTokenGrant = async (id) => {
      const grant = await original(id);
      h.auth.evict({ type: 'user_sessions', userId: session.user.id }); // a logout lands mid-lookup
      return grant;
    };
    expect((await h.auth.authenticate(bearer(session.accessToken))).ok).toBe(true);
    expect(h.auth.size).toBe(0);
  });

  it('concurrent misses for one credential share one store read (single flight), each with its own answer', async () => {
    const { h, session } = await world();
    const admin = await h.auth.authenticate(bearer(session.accessToken));
    if (!admin.ok) throw new Error('the admin session was refused');
    const key = await createUserApiKey(h.deps, admin.principal, { name: 'k' });
    const fresh = await import('../../src/http/index.js');
    const auth = fresh.createAuthenticator({
      config: h.deps.config,
      store: h.store,
      tokens: h.deps.tokens,
      revocations: h.deps.revocations,
      clock: h.clock,
      systemUserId: h.systemUserId,
    });
    const reads: string[] = [];
    const gate: { open?: () => void } = {};
    const opened = new Promise<void>((resolve) => (gate.open = resolve));
    const access = h.store.findAccessTokenGrant.bind(h.store);
    const apiKey = h.store.findApiKeyGrant.bind(h.store);
    h.store.findAccessTokenGrant = async (id) => {
      reads.push(`access:${id}`);
      await opened;
      return access(id);
    };
    h.store.findApiKeyGrant = async (id) => {
      reads.push(`key:${id}`);
      await opened;
      return apiKey(id);
    };
    const pending = [
      ...Array.from({ length: 5 }, () => auth.authenticate(bearer(session.accessToken))),
      auth.authenticate({ accessTokenCookie: session.accessToken }),
      ...Array.from({ length: 4 }, () => auth.authenticate(bearer(key.key))),
      // The same key as a cookie is refused by the kind check, before any read.
      auth.authenticate({ accessTokenCookie: key.key }),
    ];
    gate.open!();
    const results = await Promise.all(pending);
    const accessId = h.deps.tokens.verifySync(session.accessToken, 'access').jti;
    const keyId = h.deps.tokens.verifySync(key.key, 'api_key').jti;
    expect(reads.sort()).toEqual([`access:${accessId}`, `key:${keyId}`].sort());
    expect(results.slice(0, 6).every((r) => r.ok && r.principal.kind === 'session')).toBe(true);
    expect(results.slice(6, 10).every((r) => r.ok && r.principal.kind === 'user_api_key')).toBe(true);
    expect(results[10]).toEqual({ ok: false, reason: 'invalid' });
    // Once settled, the next miss reads again (nothing is left in flight).
    auth.evict({ type: 'all' });
    expect((await auth.authenticate(bearer(key.key))).ok).toBe(true);
    expect(reads.filter((r) => r.startsWith('key:'))).toHaveLength(2);
    auth.close();
  });

  it('a revocation during a shared read: nobody caches it, and later misses read again', async () => {
    const { h, session } = await world();
    const auth = (await import('../../src/http/index.js')).createAuthenticator({
      config: h.deps.config,
      store: h.store,
      tokens: h.deps.tokens,
      revocations: h.deps.revocations,
      clock: h.clock,
      systemUserId: h.systemUserId,
    });
    let reads = 0;
    const gate: { open?: () => void } = {};
    const opened = new Promise<void>((resolve) => (gate.open = resolve));
    const original = h.store.findAccessTokenGrant.bind(h.store);
    h.store.findAccessTokenGrant = async (id) => {
      reads++;
      if (reads === 1) await opened;
      return original(id);
    };
    const early = auth.authenticate(bearer(session.accessToken));
    auth.evict({ type: 'session', sessionId: session.sessionId }); // lands while the first read waits
    const late = auth.authenticate(bearer(session.accessToken));
    gate.open!();
    expect((await early).ok).toBe(true);
    expect((await late).ok).toBe(true);
    expect(reads).toBe(2);
    // Only the read that started after the revocation may be cached.
    expect(auth.size).toBe(1);
    auth.close();
  });

  it('a shared read older than a second is not joined: a hung read pins nobody, and still answers its own callers', async () => {
    const { h, session } = await world();
    const auth = (await import('../../src/http/index.js')).createAuthenticator({
      config: h.deps.config,
      store: h.store,
      tokens: h.deps.tokens,
      revocations: h.deps.revocations,
      clock: h.clock,
      systemUserId: h.systemUserId,
    });
    let reads = 0;
    const gate: { open?: () => void } = {};
    const hung = new Promise<void>((resolve) => (gate.open = resolve));
    const original = h.store.findAccessTokenGrant.bind(h.store);
    h.store.findAccessTokenGrant = async (id) => {
      reads++;
      // The first read hangs (a dead connection) until the test lets it go.
      if (reads === 1) await hung;
      return original(id);
    };
    const first = auth.authenticate(bearer(session.accessToken));
    h.clock.advance(999);
    // Within the limit: joined, no second read.
    const joined = auth.authenticate(bearer(session.accessToken));
    expect(reads).toBe(1);
    h.clock.advance(1);
    // At the limit: a read of its own, which answers (and is cached) while the first still hangs.
    const own = auth.authenticate(bearer(session.accessToken));
    expect(reads).toBe(2);
    expect(await own).toMatchObject({ ok: true, principal: { kind: 'session' } });
    expect(auth.size).toBe(1);
    // Cached now: no third read.
    expect((await auth.authenticate(bearer(session.accessToken))).ok).toBe(true);
    expect(reads).toBe(2);
    // The hung read's late answer still reaches the callers that joined it.
    gate.open!();
    expect((await first).ok).toBe(true);
    expect((await joined).ok).toBe(true);
    auth.close();
  });

  it("decides session or key by the token's kind, never by the row's shape; an access row without expiry is refused", async () => {
    const { h, session } = await world();
    const admin = await h.auth.authenticate(bearer(session.accessToken));
    if (!admin.ok) throw new Error('the admin session was refused');
    const key = await createUserApiKey(h.deps, admin.principal, { name: 'k' });
    const auth = (await import('../../src/http/index.js')).createAuthenticator({
      config: h.deps.config,
      store: h.store,
      tokens: h.deps.tokens,
      revocations: h.deps.revocations,
      clock: h.clock,
      systemUserId: h.systemUserId,
    });
    // A hand-written store whose key rows carry a stray sessionId: still a key, never a session.
    const apiKey = h.store.findApiKeyGrant.bind(h.store);
    h.store.findApiKeyGrant = async (id) => {
      const grant = await apiKey(id);
      return grant && ({ ...grant, sessionId: session.sessionId } as typeof grant);
    };
    expect(await auth.authenticate(bearer(key.key))).toMatchObject({
      ok: true,
      principal: { kind: 'user_api_key', sessionId: null },
    });
    // A store that loses an access token's expiry: refused and not cached, rather than trusted for ever.
    const access = h.store.findAccessTokenGrant.bind(h.store);
    h.store.findAccessTokenGrant = async (id) => {
      const grant = await access(id);
      return grant && ({ ...grant, expiresAt: null } as unknown as typeof grant);
    };
    expect(await auth.authenticate(bearer(session.accessToken))).toEqual({ ok: false, reason: 'invalid' });
    expect(auth.size).toBe(1);
    auth.close();
  });

  it('keeps the cache bounded', async () => {
    const h = await makeHarness();
    const auth = (await import('../../src/http/index.js')).createAuthenticator({
      config: h.deps.config,
      store: h.store,
      tokens: h.deps.tokens,
      revocations: h.deps.revocations,
      clock: h.clock,
      systemUserId: h.systemUserId,
      maxCacheEntries: 3,
    });
    for (let i = 0; i < 5; i++) {
      const s = await login(h.deps, { email: 'admin@localhost', password: 'admin-initial' });
      expect((await auth.authenticate(bearer(s.accessToken))).ok).toBe(true);
    }
    expect(auth.size).toBe(3);
    auth.close();
  });
});

describe('authenticate with a cross-instance revocation channel', () => {
  it('answers nothing from the cache while the channel is down, and forgets everything on { type: "all" }', async () => {
    const { h, session } = await world();
    const local = createLocalRevocationChannel();
    let live = true;
    const channel: RevocationChannel = {
      publish: (e) => local.publish(e),
      subscribe: (l) => local.subscribe(l),
      isLive: () => live,
    };
    const auth = createAuthenticator({
      config: h.deps.config,
      store: h.store,
      tokens: h.deps.tokens,
      revocations: channel,
      clock: h.clock,
      systemUserId: h.systemUserId,
    });
    let reads = 0;
    const original = h.store.findAccessTokenGrant.bind(h.store);
    h.store.findAccessTokenGrant = (id) => {
      reads++;
      return original(id);
    };
    expect(await auth.authenticate(bearer(session.accessToken))).toMatchObject({ ok: true });
    await auth.authenticate(bearer(session.accessToken));
    expect(reads).toBe(1);

    live = false;
    // Another instance logs the user out; the event is lost, but the row is gone: refused at once.
    await h.store.deleteSessionsOfUser(session.user.id);
    expect(await auth.authenticate(bearer(session.accessToken))).toEqual({ ok: false, reason: 'revoked' });
    expect(reads).toBe(2);

    const fresh = await login(h.deps, { email: 'admin@localhost', password: 'admin-initial' });
    await auth.authenticate(bearer(fresh.accessToken));
    await auth.authenticate(bearer(fresh.accessToken));
    expect(reads).toBe(4);
    // What was cached before the outage is gone, so it cannot answer when the channel is back.
    expect(auth.size).toBe(0);

    live = true;
    expect(await auth.authenticate(bearer(session.accessToken))).toEqual({ ok: false, reason: 'revoked' });
    await auth.authenticate(bearer(fresh.accessToken));
    expect(auth.size).toBe(1);
    await channel.publish({ type: 'all' });
    expect(auth.size).toBe(0);
    auth.close();
  });
});
