/**
 * The ldapts directory's bounds against a real slapd behind a counting TCP relay: at most
 * `maxConcurrent` logins talk to the directory at once (the rest queue and still succeed), and a
 * whole login is capped by `attemptTimeoutMs` even when the server accepts and never answers.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLdapDirectory, parseAuthEnv } from '../../packages/core/src/index.js';
import { startSlapd, type Slapd } from '../setup/slapd.js';
import { seedUser } from '../http/conformance/ldap-support.js';

let slapd: Slapd;
beforeAll(async () => {
  slapd = await startSlapd();
}, 30_000);
afterAll(() => slapd?.close());

/** Forwards to slapd after `delayMs`, counting connections open at once. */
async function relay(delayMs: number): Promise<{ port: number; peak: () => number; close: () => Promise<void> }> {
  let open = 0;
  let peak = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    open++;
    peak = Math.max(peak, open);
    sockets.add(client);
    client.pause();
    const upstream = connect(slapd.port, '127.0.0.1');
    sockets.add(upstream);
    setTimeout(() => {
      client.pipe(upstream).pipe(client);
      client.resume();
    }, delayMs);
    const done = () => {
      if (!sockets.delete(client)) return;
      open--;
      upstream.destroy();
    };
    client.on('close', done).on('error', done);
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    peak: () => peak,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function ldapConfig(port: number) {
  const config = parseAuthEnv(slapd.env({ PHOENIX_LDAP_PORT: String(port), PHOENIX_LDAP_TLS_MODE: 'none' })).ldap;
  if (!config) throw new Error('no LDAP config');
  return config;
}

describe('ldapts directory bounds', () => {
  it('at most maxConcurrent logins use the directory at once; the others wait and succeed', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    const proxy = await relay(60);
    try {
      const limited = createLdapDirectory(ldapConfig(proxy.port), { maxConcurrent: 1 });
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => limited.authenticate(user.uid, user.password)),
      );
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
      // One login holds the search connection and, for its password check, a second one; the relay
      // may see the previous login's close a moment late, hence one more.
      expect(proxy.peak()).toBeLessThanOrEqual(3);
      const unlimited = createLdapDirectory(ldapConfig(proxy.port), { maxConcurrent: 5 });
      await Promise.all(Array.from({ length: 5 }, () => unlimited.authenticate(user.uid, user.password)));
      expect(proxy.peak()).toBeGreaterThanOrEqual(5);
    } finally {
      await proxy.close();
    }
  });

  it('a server that accepts and never answers: the attempt ends as unavailable within attemptTimeoutMs', async () => {
    const user = await seedUser(slapd, { groups: ['members'] });
    const proxy = await relay(60_000);
    try {
      const directory = createLdapDirectory(ldapConfig(proxy.port), {
        operationTimeoutMs: 20_000,
        attemptTimeoutMs: 400,
      });
      const started = Date.now();
      expect(await directory.authenticate(user.uid, user.password)).toEqual({ ok: false, reason: 'unavailable' });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await proxy.close();
    }
  });

  it('guards before any I/O: empty, blank, over-long credentials', async () => {
    const directory = createLdapDirectory(ldapConfig(1));
    for (const [username, password] of [
      ['', 'x'],
      ['   ', 'x'],
      ['u', ''],
      ['u'.repeat(257), 'x'],
      ['u', 'p'.repeat(1025)],
    ]) {
      expect(await directory.authenticate(username!, password!)).toEqual({ ok: false, reason: 'invalid' });
    }
    // 256 / 1024 code points are allowed (here they reach the closed port 1: unavailable, not invalid).
    expect((await directory.authenticate('é'.repeat(256), 'p')).ok).toBe(false);
    expect(await directory.authenticate('😀'.repeat(256), 'p'.repeat(1024))).toEqual({
      ok: false,
      reason: 'unavailable',
    });
  });
});
