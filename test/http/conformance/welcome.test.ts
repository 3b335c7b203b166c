/**
 * The welcome mail of POST /v1/users (docs/phoenix-contract.md#welcome-mail) through the real SMTP receiver: default on, for
 * LOCAL, OAuth2 and LDAP users alike, off with `send_welcome_email: false`, silently skipped without
 * SMTP, and a broken relay never changes the 201.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  ADMIN_SECRET,
  NO_RATE_LIMIT,
  call,
  expectError,
  expectJson,
  sleep,
  startServer,
  unique,
  waitForMail,
  type ReceivedMail,
  type TestServer,
} from './support.js';
import { internalsOf } from '@gatehouse-auth/core/internal';

function welcomeLink(mail: ReceivedMail): string {
  const anchor = /<a\b[^>]*\bid="welcome-url"[^>]*>/i.exec(mail.html)?.[0];
  expect(anchor, 'an anchor with id="welcome-url"').toBeDefined();
  return (/\bhref="([^"]*)"/i.exec(anchor!)?.[1] ?? '').replaceAll('&amp;', '&');
}

async function create(
  server: TestServer,
  authMethod: string,
  extra: Record<string, unknown> = {},
  username = unique('w'),
) {
  const email = `${unique('mail')}@example.com`;
  const user: Record<string, unknown> = { email, username, role: 'MEMBER', auth_method: authMethod };
  if (authMethod === 'LOCAL') user.password = 'pass-word-1';
  const response = await call(server, 'POST', '/v1/users', { bearer: ADMIN_SECRET, json: { user, ...extra } });
  await expectJson(response, 201);
  return { email, username };
}

describe.each(ADAPTERS)('%s: welcome mail', (adapter) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(adapter, NO_RATE_LIMIT);
  });
  afterAll(() => server?.close());

  it.each(['LOCAL', 'OAUTH2', 'LDAP'])(
    'an admin-created %s user gets one, by default, linking to the root URL',
    async (authMethod) => {
      const { email, username } = await create(server, authMethod);
      const mail = await waitForMail(server, email);
      expect(mail.to).toBe(email);
      expect(welcomeLink(mail)).toBe(server.url);
      expect(mail.text).toContain(server.url);
      expect(mail.text).toContain(username);
      expect(mail.html).not.toMatch(/token|password/i);
      expect(server.mails.filter((m) => m.to === email)).toHaveLength(1);
    },
  );

  it('send_welcome_email: true sends; false sends nothing; anything else is a 422 and creates nobody', async () => {
    const sent = await create(server, 'LOCAL', { send_welcome_email: true });
    await waitForMail(server, sent.email);
    const quiet = await create(server, 'OAUTH2', { send_welcome_email: false });
    // The other mail arriving after it proves the quiet one had its chance.
    const later = await create(server, 'LOCAL');
    await waitForMail(server, later.email);
    await sleep(100);
    expect(server.mails.filter((m) => m.to === quiet.email)).toEqual([]);
    const username = unique('bad');
    await expectError(
      await call(server, 'POST', '/v1/users', {
        bearer: ADMIN_SECRET,
        json: {
          user: { email: `${username}@example.com`, username, role: 'MEMBER', auth_method: 'OAUTH2' },
          send_welcome_email: 'yes',
        },
      }),
      422,
      'invalid_input',
      'send_welcome_email must be a boolean',
    );
    expect(await server.store.findUserByUsername(username)).toBeNull();
  });

  it('the username is HTML-escaped in the mail', async () => {
    const { email } = await create(server, 'OAUTH2', {}, `<b>${unique('x')} & "co"</b>`);
    const mail = await waitForMail(server, email);
    expect(mail.html).toContain('&lt;b&gt;');
    expect(mail.html).toContain('&amp; &quot;co&quot;');
    expect(mail.html).not.toMatch(/<b>/);
  });
});

describe.each(ADAPTERS)('%s: welcome mail without a working SMTP relay', (adapter) => {
  it('without SMTP nothing is sent and the user is created as usual', async () => {
    const server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_SMTP_HOSTNAME: '' });
    try {
      expect(internalsOf(server.gatehouse).deps?.mailer).toBeNull();
      const { email } = await create(server, 'LOCAL');
      await sleep(100);
      expect(server.mails).toEqual([]);
      expect(await server.store.findUserByEmail(email)).not.toBeNull();
    } finally {
      await server.close();
    }
  });

  it('a relay that refuses connections changes nothing in the answer', async () => {
    const server = await startServer(adapter, { ...NO_RATE_LIMIT, PHOENIX_SMTP_PORT: '1' });
    try {
      const started = Date.now();
      await create(server, 'LOCAL');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await server.close();
    }
  });
});
