/**
 * The demo's pages in a real browser: Debian's Chromium driven by playwright-core, against the
 * built demo as a child process, with a real SMTP receiver and a real OpenID provider. Each page is
 * saved to test/e2e/screenshots/<name>.png (1000x700) for a look.
 *
 * Chromium comes from the system (`apt-get install chromium`, or CHROMIUM_PATH); without it this
 * file fails, it does not skip.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProvider, type TestProvider } from '../oauth2/provider.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { serverJs, startDemo, type Demo } from '../support/demo-process.js';
import { startMailbox, type Mailbox } from './mailbox.js';
import { startSlapd, type Slapd } from '../setup/slapd.js';

const SCREENSHOTS = join(import.meta.dirname, 'screenshots');

const ADMIN_PASSWORD = 'admin-Passw0rd-2026';
const VIEWER = { email: 'viewer@example.test', username: 'vera', first: 'viewer-Temp-0001', own: 'viewer-Own-0002' };
const MEMBER = { email: 'member@example.test', username: 'mo', password: 'member-Temp-0001' };
const OPS = { email: 'ops@example.test', password: 'ops-Reset-0003' };
const MANAGEMENT_URL = 'https://manage.example.test/console';

let mailbox: Mailbox;
let provider: TestProvider;
const dirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

let browser: Promise<Browser> | undefined;

/**
 * Launched on first use, inside a test: a missing Chromium then fails every test with this message
 * (a throwing beforeAll would only mark them skipped).
 */
function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    return Promise.reject(
      new Error(
        `Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH`,
      ),
    );
  }
  browser ??= chromium.launch({
    executablePath: CHROMIUM,
    chromiumSandbox: false,
    args: CHROMIUM_ARGS,
  });
  return browser;
}

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await (await launch()).newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  return { context, page };
}

const shot = (page: Page, name: string, fullPage = false) =>
  page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });

/** The page's path (and query) relative to the demo's root URL. */
function at(demo: Demo, page: Page): string {
  const url = new URL(page.url());
  const root = new URL(demo.url).pathname.replace(/\/$/, '');
  return url.pathname.slice(root.length) + url.search;
}

function waitForPath(demo: Demo, page: Page, path: string): Promise<void> {
  return page.waitForURL((url) => url.href === `${demo.url}${path}`);
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signOut(demo: Demo, page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await waitForPath(demo, page, '/login');
}

async function changePassword(page: Page, current: string, next: string, repeated = next): Promise<void> {
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Repeat the new password').fill(repeated);
  await page.getByRole('button', { name: 'Change password' }).click();
}

beforeAll(async () => {
  if (!existsSync(serverJs))
    throw new Error(`${serverJs} is missing: run \`npm run build -w @gatehouse-auth/example-demo\` first`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  [mailbox, provider] = await Promise.all([startMailbox(), startTestProvider()]);
});

afterAll(async () => {
  if (browser) await (await browser).close();
  await mailbox?.close();
  await provider?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the demo pages, with passwords', () => {
  let demo: Demo;
  let admin: { context: BrowserContext; page: Page } | undefined;
  // One browser session that signs in and out as several users, in the order of the tests.
  const session = async () => (admin ??= await newPage());

  beforeAll(async () => {
    demo = await startDemo(tempDir('gatehouse-pages-'), {
      ...mailbox.env(),
      PHOENIX_ADMINS: `ops=${OPS.email}`,
      PHOENIX_MANAGEMENT_URL: MANAGEMENT_URL,
    });
  });

  afterAll(async () => {
    await admin?.context.close();
    await demo?.stop();
  });

  it('sends an anonymous visitor to sign in, with the way back in returnUrl', async () => {
    const { page } = await session();
    await page.goto(`${demo.url}/settings`);
    expect(at(demo, page)).toBe('/login?returnUrl=%2Fsettings');
    await expect(page.getByRole('heading', { name: 'Sign in' }).isVisible()).resolves.toBe(true);
    // No IdP is configured here, and the SMTP relay makes password reset available.
    await expect(page.getByRole('button', { name: /Sign in with/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('link', { name: 'Forgot your password?' }).isVisible()).resolves.toBe(true);
    await shot(page, 'login');
  });

  it('shows a message only for an error code core knows, and ignores an unsafe returnUrl', async () => {
    const { context } = await session();
    const page = await context.newPage();
    await page.goto(`${demo.url}/login?error=auth_failed`);
    await expect(page.locator('#login-error').textContent()).resolves.toBe(
      'Authentication failed. Please contact your administrator.',
    );
    await shot(page, 'login-error');
    for (const code of ['bogus', '__proto__', 'constructor', '<script>alert(1)</script>']) {
      await page.goto(`${demo.url}/login?error=${encodeURIComponent(code)}`);
      await expect(page.locator('#login-error').count()).resolves.toBe(0);
      await expect(page.locator('.alert').count()).resolves.toBe(0);
    }
    for (const unsafe of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', '/%2F%2Fevil.example', '/']) {
      await page.goto(`${demo.url}/login?returnUrl=${encodeURIComponent(unsafe)}`);
      await expect(page.locator('body').getAttribute('data-return-url')).resolves.toBe('/settings');
    }
    await page.close();
  });

  it('forces the default admin to change the password at first sign-in, then returns to the page asked for', async () => {
    const { page } = await session();
    await signIn(page, 'admin@localhost', 'admin');
    await waitForPath(demo, page, '/change-password?returnUrl=%2Fsettings');
    await expect(page.locator('#reset-required').isVisible()).resolves.toBe(true);
    // Until the password is changed, settings send the admin straight back here.
    await page.goto(`${demo.url}/settings`);
    expect(at(demo, page)).toBe('/change-password?returnUrl=%2Fsettings');
    await shot(page, 'change-password');

    await changePassword(page, 'admin', ADMIN_PASSWORD, 'something-else');
    await page.locator('.form-error').filter({ hasText: 'The new passwords do not match.' }).waitFor();

    await changePassword(page, 'wrong-current', ADMIN_PASSWORD);
    await page
      .locator('.form-error')
      .filter({ hasText: /current password/i })
      .waitFor();

    await changePassword(page, 'admin', ADMIN_PASSWORD);
    await waitForPath(demo, page, '/settings');
    await expect(page.getByRole('heading', { name: 'Settings' }).isVisible()).resolves.toBe(true);
    // admin@localhost is not in PHOENIX_ADMINS: no management link.
    await expect(page.getByRole('link', { name: 'Management' }).count()).resolves.toBe(0);
  });

  it('lets the admin add users with a role, change a role, set a password and delete a user', async () => {
    const { page } = await session();
    const form = page.locator('#create-user-form');
    const addUser = async (email: string, username: string, password: string, role: string) => {
      await form.getByLabel('Email').fill(email);
      await form.getByLabel('Username').fill(username);
      await form.getByLabel('Password').fill(password);
      await form.getByLabel('Role').selectOption(role);
      await form.getByRole('button', { name: 'Create user' }).click();
      await page.locator(`tr[data-user-email="${email}"]`).waitFor();
    };
    await addUser(MEMBER.email, MEMBER.username, MEMBER.password, 'VIEWER');
    await addUser(VIEWER.email, VIEWER.username, VIEWER.first, 'VIEWER');
    await addUser('temp@example.test', 'temp', 'temp-Passw0rd-1', 'MEMBER');

    // A duplicate is refused with the API's message, in the form.
    await form.getByLabel('Email').fill(MEMBER.email);
    await form.getByLabel('Username').fill('someone-else');
    await form.getByLabel('Password').fill('whatever-Passw0rd-1');
    await form.getByRole('button', { name: 'Create user' }).click();
    await form
      .locator('.form-error')
      .filter({ hasText: /exists/i })
      .waitFor();

    const memberRow = page.locator(`tr[data-user-email="${MEMBER.email}"]`);
    await memberRow.getByLabel(`Role of ${MEMBER.username}`).selectOption('MEMBER');
    await memberRow.getByRole('button', { name: 'Change' }).click();
    await page.waitForLoadState('load');
    await expect(page.locator(`tr[data-user-email="${MEMBER.email}"] select[name=role]`).inputValue()).resolves.toBe(
      'MEMBER',
    );

    await memberRow.locator('summary').click();
    await memberRow.getByLabel(`New password for ${MEMBER.username}`).fill('member-Reset-0004');
    await memberRow.getByRole('button', { name: 'Save' }).click();
    await page.waitForLoadState('load');

    await page.getByRole('button', { name: 'Delete user temp@example.test' }).click();
    await page.locator('tr[data-user-email="temp@example.test"]').waitFor({ state: 'detached' });

    // The default admin cannot be deleted nor have its role changed, and nobody changes their own role.
    const adminRow = page.locator('tr[data-user-email="admin@localhost"]');
    await expect(adminRow.getByRole('button', { name: /Delete/ }).count()).resolves.toBe(0);
    await expect(adminRow.locator('select').count()).resolves.toBe(0);
    await expect(adminRow.locator('summary').count()).resolves.toBe(0);
    await expect(
      page
        .locator('tr[data-user-email="ops@example.test"]')
        .getByRole('button', { name: /Delete/ })
        .count(),
    ).resolves.toBe(1);
    await shot(page, 'settings-admin', true);
  });

  it('creates a system API key, shows it once with a copy button, and the key calls the API', async () => {
    const { page, context } = await session();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(demo.url).origin });
    const section = page.locator('#system-keys');
    await section.getByLabel('Name').fill('ingest');
    await section.getByLabel('Description').fill('trace collector');
    await section.getByLabel('Expires (optional)').fill('2099-06-30T12:00');
    await section.getByRole('button', { name: 'Create key' }).click();
    const value = section.locator('.new-key-value');
    await value.waitFor();
    const key = await value.inputValue();
    expect(key).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    await section.getByRole('button', { name: 'Copy' }).click();
    await section.getByRole('button', { name: 'Copied' }).waitFor();
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(key);
    await shot(page, 'settings-new-system-key', true);

    const projects = await fetch(`${demo.url}/v1/projects`, { headers: { authorization: `Bearer ${key}` } });
    expect(projects.status).toBe(200);
    expect(await projects.json()).toEqual({ data: [], next_cursor: null });

    await section.getByRole('button', { name: 'Done' }).click();
    await page.waitForLoadState('load');
    const row = page.locator('#system-keys tr[data-key-name="ingest"]');
    await expect(row.textContent()).resolves.toContain('2099-06-30');
    // Shown once: after the reload the key is nowhere on the page.
    await expect(page.content()).resolves.not.toContain(key);
  });

  it('shows the admin the audit trail of what just happened, filtered by event type', async () => {
    const { page } = await session();
    await page.goto(`${demo.url}/settings`);
    const audit = page.locator('#audit');
    await audit.waitFor();
    const typesIn = async (rows: Locator) =>
      Promise.all((await rows.all()).map((row) => row.getAttribute('data-audit-type')));
    const types = await typesIn(audit.locator('tbody tr'));
    // Newest first: the system key of the previous test, the deleted user, the role change, the sign-in.
    expect(types.slice(0, 1)).toEqual(['api_key.created']);
    for (const type of ['user.deleted', 'password.changed', 'user.role_changed', 'user.created', 'sign_in.succeeded'])
      expect(types).toContain(type);
    const deleted = audit.locator('tr[data-audit-type="user.deleted"]');
    await expect(deleted.textContent()).resolves.toContain('temp@example.test');
    await expect(deleted.textContent()).resolves.toContain('admin@localhost (session)');
    await expect(audit.locator('tr[data-audit-type="sign_in.succeeded"]').first().textContent()).resolves.toContain(
      '127.0.0.1',
    );

    await audit.getByLabel('Event').selectOption('user.role_changed');
    await audit.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((url) => url.searchParams.get('audit_type') === 'user.role_changed');
    const filtered = await typesIn(page.locator('#audit tbody tr'));
    expect(filtered).toEqual(['user.role_changed']);
    await expect(page.locator('#audit tbody').textContent()).resolves.toContain('from: VIEWER, to: MEMBER');
    await shot(page, 'settings-audit', true);
  });

  it('leaves the JSON API alone: an unknown /v1 route is still the JSON 404', async () => {
    const cookies = await (await session()).context.cookies(demo.url);
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const missing = await fetch(`${demo.url}/v1/settings`, { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'Not found' } });
  });

  it('shows a viewer only what a viewer may use, after the forced password change', async () => {
    const { page } = await session();
    await signOut(demo, page);
    await signIn(page, VIEWER.email, VIEWER.first);
    await waitForPath(demo, page, '/change-password?returnUrl=%2Fsettings');
    await changePassword(page, VIEWER.first, VIEWER.own);
    await waitForPath(demo, page, '/settings');

    await expect(page.locator('.who-name').textContent()).resolves.toBe(VIEWER.username);
    await expect(page.locator('#users').count()).resolves.toBe(0);
    await expect(page.locator('#system-keys').count()).resolves.toBe(0);
    await expect(page.locator('#audit').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Create user' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /Delete/ }).count()).resolves.toBe(0);
    await expect(page.locator('select').count()).resolves.toBe(0);
    // What a viewer may do: its own profile and its own keys (self-service routes).
    await expect(page.locator('#own-keys').getByRole('button', { name: 'Create key' }).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Save username' }).count()).resolves.toBe(1);
    await shot(page, 'settings-viewer', true);
  });

  it('lists the sessions with a sign-out per row: another browser is signed out at once, then this one', async () => {
    const { page } = await session();
    const other = await newPage();
    try {
      await other.page.goto(`${demo.url}/login`);
      await signIn(other.page, VIEWER.email, VIEWER.own);
      await waitForPath(demo, other.page, '/settings');

      await page.goto(`${demo.url}/settings`);
      const rows = page.locator('#sessions tbody tr');
      await expect(rows.count()).resolves.toBe(2);
      const current = page.locator('#sessions tr[data-current="true"]');
      await expect(current.textContent()).resolves.toContain('(this browser)');
      await expect(current.textContent()).resolves.toContain('password');
      await expect(current.textContent()).resolves.toContain('Chrome');
      await shot(page, 'settings-sessions', true);

      await page
        .locator('#sessions tr:not([data-current])')
        .getByRole('button', { name: /^Sign out session/ })
        .click();
      // The page reloads after the DELETE: wait for the reloaded list, not the old page's load state
      // (counting in between the two pages found no rows at all).
      await page.waitForFunction("document.querySelectorAll('#sessions tbody tr').length === 1", undefined, {
        timeout: 10_000,
      });
      await expect(page.locator('#sessions tbody tr').count()).resolves.toBe(1);
      await expect(page.locator('#sign-out-others').count()).resolves.toBe(0);
      // The other browser's session is gone: its next page asks it to sign in.
      await other.page.goto(`${demo.url}/settings`);
      expect(at(demo, other.page)).toBe('/login?returnUrl=%2Fsettings');

      await current.getByRole('button', { name: /^Sign out session/ }).click();
      await waitForPath(demo, page, '/login?returnUrl=%2Fsettings');
      await signIn(page, VIEWER.email, VIEWER.own);
      await waitForPath(demo, page, '/settings');
    } finally {
      await other.context.close();
    }
  });

  it('resets a forgotten password through the mailed link, then signs in with it', async () => {
    const { page } = await session();
    await signOut(demo, page);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await waitForPath(demo, page, '/forgot-password');
    await page.getByLabel('Email').fill(OPS.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.locator('#reset-sent').waitFor();
    await shot(page, 'forgot-password');

    const mail = await mailbox.take(OPS.email);
    const href =
      /<a\b[^>]*\bid="reset-url"[^>]*\bhref="([^"]+)"/.exec(mail.html)?.[1] ??
      /<a\b[^>]*\bhref="([^"]+)"[^>]*\bid="reset-url"/.exec(mail.html)?.[1];
    expect(href).toBeDefined();
    const link = href!.replaceAll('&amp;', '&');
    expect(link.startsWith(`${demo.url}/reset-password-with-token?token=`)).toBe(true);

    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill(OPS.password);
    await page.getByLabel('Repeat the new password').fill(OPS.password);
    await shot(page, 'reset-password');
    await page.getByRole('button', { name: 'Set password' }).click();
    await waitForPath(demo, page, '/login?notice=password-reset');
    await expect(page.locator('#login-notice').isVisible()).resolves.toBe(true);

    // The link is single use.
    const again = await fetch(`${demo.url}/auth/password-reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: new URL(link).searchParams.get('token'), password: 'another-Passw0rd-9' }),
    });
    expect(again.status).toBe(401);

    await signIn(page, OPS.email, OPS.password);
    await waitForPath(demo, page, '/settings');
    // ops is named in PHOENIX_ADMINS and PHOENIX_MANAGEMENT_URL is set: the management link shows.
    await expect(page.getByRole('link', { name: 'Management' }).getAttribute('href')).resolves.toBe(MANAGEMENT_URL);
    await shot(page, 'settings-management-link');
  });
});

describe('the demo pages, with single sign-on under a root path', () => {
  let demo: Demo;

  beforeAll(async () => {
    demo = await startDemo(tempDir('gatehouse-pages-sso-'), {
      PHOENIX_HOST_ROOT_PATH: '/phoenix',
      PHOENIX_OAUTH2_TESTIDP_DISPLAY_NAME: 'Test IdP',
      PHOENIX_OAUTH2_TESTIDP_CLIENT_ID: provider.clients.basic.id,
      PHOENIX_OAUTH2_TESTIDP_CLIENT_SECRET: provider.clients.basic.secret,
      PHOENIX_OAUTH2_TESTIDP_OIDC_CONFIG_URL: provider.discoveryUrl,
      PHOENIX_OAUTH2_TESTIDP_ROLE_ATTRIBUTE_PATH: 'role',
      PHOENIX_OAUTH2_TESTIDP_ROLE_MAPPING: 'Owner:ADMIN,Developer:MEMBER',
    });
  });

  afterAll(async () => {
    await demo?.stop();
  });

  it('signs in through the IdP button and lands back on the page asked for', async () => {
    expect(new URL(demo.url).pathname).toBe('/phoenix');
    const { context, page } = await newPage();
    try {
      await page.goto(`${demo.url}/settings`);
      expect(page.url()).toBe(`${demo.url}/login?returnUrl=%2Fsettings`);
      // No SMTP here: no reset link.
      await expect(page.getByRole('link', { name: 'Forgot your password?' }).count()).resolves.toBe(0);
      await shot(page, 'login-sso');

      await page.getByRole('button', { name: 'Sign in with Test IdP' }).click();
      await page.waitForURL((url) => url.href.startsWith(`${provider.issuer}/interaction/`));
      await page.locator('input[name="login"]').fill('developer');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await waitForPath(demo, page, '/settings');

      await expect(page.locator('#profile').textContent()).resolves.toContain('developer@example.test');
      await expect(page.locator('#profile .badge').textContent()).resolves.toBe('MEMBER');
      await expect(page.locator('#profile').textContent()).resolves.toContain('single sign-on');
      // No password to change for an SSO account, and a member manages no users.
      await expect(page.getByRole('link', { name: 'Change password' }).count()).resolves.toBe(0);
      await expect(page.locator('#users').count()).resolves.toBe(0);
      await shot(page, 'settings-sso', true);
    } finally {
      await context.close();
    }
  });
});

describe('the demo login page with LDAP sign-in', () => {
  let demo: Demo;
  let slapd: Slapd;

  beforeAll(async () => {
    slapd = await startSlapd();
    await slapd.addUser({
      uid: 'lena',
      password: 'lena-Dir-0001',
      mail: 'lena@example.test',
      displayName: 'Lena Directory',
      groups: ['members'],
    });
    demo = await startDemo(tempDir('gatehouse-pages-ldap-'), slapd.env());
  }, 60_000);

  afterAll(async () => {
    await demo?.stop();
    await slapd?.close();
  });

  it('shows the LDAP form next to the password form and signs a directory user in through it', async () => {
    const { context, page } = await newPage();
    try {
      await page.goto(`${demo.url}/login`);
      await expect(page.getByLabel('LDAP username').count()).resolves.toBe(1);
      await expect(page.getByRole('button', { name: 'Sign in', exact: true }).count()).resolves.toBe(1);
      await shot(page, 'login-ldap');

      await page.getByLabel('LDAP username').fill('lena');
      await page.getByLabel('LDAP password').fill('wrong');
      await page.getByRole('button', { name: 'Sign in with LDAP' }).click();
      await page
        .locator('#ldap-login-form .form-error')
        .filter({ hasText: 'Invalid username and/or password' })
        .waitFor();

      await page.getByLabel('LDAP username').fill(' lena ');
      await page.getByLabel('LDAP password').fill('lena-Dir-0001');
      await page.getByRole('button', { name: 'Sign in with LDAP' }).click();
      await waitForPath(demo, page, '/settings');
      await expect(page.locator('#profile').textContent()).resolves.toContain('lena@example.test');
      await expect(page.locator('#profile .badge').textContent()).resolves.toBe('MEMBER');
      await expect(page.locator('#profile').textContent()).resolves.toContain('the LDAP directory');
    } finally {
      await context.close();
    }
  });
});
