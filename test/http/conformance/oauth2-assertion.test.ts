/**
 * `client_assertion_jwt` against a real oidc-provider that accepts private_key_jwt (docs/phoenix-contract.md#client-assertion): the
 * assertion file is relayed as the client authentication, re-read at every code exchange (rotation,
 * a swapped symlink), and a file that is missing, a FIFO, a directory, oversized, empty or not UTF-8
 * ends the login with `oauth_error`, naming only what may be named.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowser } from '../../oauth2/browser.js';
import { startTestProvider, type TestProvider } from '../../oauth2/provider.js';
import { ADAPTERS, NO_RATE_LIMIT, startServer, type TestServer } from './support.js';

let provider: TestProvider;
const dir = mkdtempSync(join(tmpdir(), 'gh-assertion-'));
beforeAll(async () => {
  provider = await startTestProvider();
});
afterAll(async () => {
  await provider?.close();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;

/** Logs in at the provider as `developer` and returns where the app sent the browser at the end. */
async function sso(server: TestServer): Promise<URL> {
  const browser = createBrowser();
  const app = new URL(server.url);
  const { hops } = await browser.follow(`${server.url}/oauth2/wid/login`, {
    login: 'developer',
    stopAt: (url) => url.host === app.host && !url.pathname.includes('/oauth2/'),
  });
  const last = hops.at(-1)!;
  return new URL(last.location ?? last.url, last.url);
}

function env(extra: Record<string, string>): Record<string, string> {
  return {
    ...NO_RATE_LIMIT,
    PHOENIX_OAUTH2_WID_CLIENT_ID: provider.clients.assertion.id,
    PHOENIX_OAUTH2_WID_OIDC_CONFIG_URL: provider.discoveryUrl,
    PHOENIX_OAUTH2_WID_TOKEN_ENDPOINT_AUTH_METHOD: 'client_assertion_jwt',
    ...extra,
  };
}

describe.each(ADAPTERS)('%s: client_assertion_jwt', (adapter) => {
  it('relays the file as the client assertion and re-reads it at every exchange (rotation, swapped symlink)', async () => {
    const n = ++files;
    const first = join(dir, `a${n}-1.jwt`);
    const second = join(dir, `a${n}-2.jwt`);
    const link = join(dir, `a${n}.jwt`);
    writeFileSync(first, `${await provider.mintClientAssertion()}\n`);
    symlinkSync(first, link);
    const server = await startServer(adapter, env({ PHOENIX_OAUTH2_WID_CLIENT_ASSERTION_FILE: link }));
    try {
      const landed = await sso(server);
      expect(landed.searchParams.get('error')).toBeNull();
      expect(landed.pathname).toBe('/');
      // The provider refuses a replayed jti: a second login works only if the rotated file is read.
      writeFileSync(second, await provider.mintClientAssertion());
      unlinkSync(link);
      symlinkSync(second, link);
      expect((await sso(server)).searchParams.get('error')).toBeNull();
      writeFileSync(second, await provider.mintClientAssertion());
      expect((await sso(server)).searchParams.get('error')).toBeNull();
      // The same assertion again: the IdP refuses it, the login fails cleanly.
      expect((await sso(server)).searchParams.get('error')).toBe('oauth_error');
    } finally {
      await server.close();
    }
  });

  it('takes the path from the variable CLIENT_ASSERTION_FILE_ENV_VAR names', async () => {
    const path = join(dir, `b${++files}.jwt`);
    writeFileSync(path, await provider.mintClientAssertion());
    const server = await startServer(
      adapter,
      env({
        PHOENIX_OAUTH2_WID_CLIENT_ASSERTION_FILE_ENV_VAR: 'GATEHOUSE_TEST_TOKEN_FILE',
        GATEHOUSE_TEST_TOKEN_FILE: path,
      }),
    );
    try {
      expect((await sso(server)).searchParams.get('error')).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('a missing, FIFO, directory, oversized, empty or non-UTF-8 file fails the login with oauth_error', async () => {
    const path = join(dir, `c${++files}.jwt`);
    const server = await startServer(adapter, env({ PHOENIX_OAUTH2_WID_CLIENT_ASSERTION_FILE: path }));
    try {
      const attempt = async () => (await sso(server)).searchParams.get('error');
      expect(await attempt()).toBe('oauth_error'); // missing (a sidecar may create it later: start-up accepted it)
      execFileSync('mkfifo', [path]);
      expect(await attempt()).toBe('oauth_error');
      unlinkSync(path);
      mkdirSync(path);
      expect(await attempt()).toBe('oauth_error');
      rmSync(path, { recursive: true });
      writeFileSync(path, 'x'.repeat(65_537));
      expect(await attempt()).toBe('oauth_error');
      writeFileSync(path, ' \n\t ');
      expect(await attempt()).toBe('oauth_error');
      writeFileSync(path, Buffer.from([0xff, 0xfe, 0x41]));
      expect(await attempt()).toBe('oauth_error');
      writeFileSync(path, await provider.mintClientAssertion());
      expect(await attempt()).toBeNull();
    } finally {
      await server.close();
    }
  });
});
