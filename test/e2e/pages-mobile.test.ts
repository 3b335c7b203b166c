/**
 * The demo's pages at a desktop width (1280 px) and a phone's (390 px), in Debian's Chromium
 * driven by playwright-core against the built demo: no horizontal overflow, every control on
 * screen, a new key listed at once, an HTML 404 for browsers (JSON for API clients), a favicon.
 * Screenshots of both widths go to test/e2e/screenshots/ (settings-1280.png, settings-390.png).
 *
 * Chromium comes from the system (CHROMIUM_PATH, default /usr/bin/chromium); without it this
 * file fails, it does not skip.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium.js';
import { serverJs, startDemo, type Demo } from '../support/demo-process.js';

const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
const PASSWORD = 'admin-Passw0rd-2026';
const WIDTHS = [1280, 390] as const;

let demo: Demo;
let dir: string;
let browser: Promise<Browser> | undefined;
let adminCookie: string;

function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    return Promise.reject(
      new Error(
        `Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH`,
      ),
    );
  }
  browser ??= chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false, args: CHROMIUM_ARGS });
  return browser;
}

function post(path: string, body: unknown, cookie?: string, method = 'POST'): Promise<Response> {
  return fetch(`${demo.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
}

async function signIn(password: string): Promise<string> {
  const response = await post('/auth/login', { email: 'admin@localhost', password });
  expect(response.status).toBe(204);
  return response.headers
    .getSetCookie()
    .map((header) => header.split(';', 1)[0]!)
    .join('; ');
}

/** A signed-in admin's browser page at this width (the session cookies from the API login). */
async function adminPage(width: number): Promise<{ context: BrowserContext; page: Page }> {
  const context = await (
    await launch()
  ).newContext({ viewport: { width, height: width > 600 ? 800 : 844 }, deviceScaleFactor: 1 });
  await context.addCookies(
    adminCookie.split('; ').map((pair) => {
      const [name, value] = pair.split('=') as [string, string];
      return { name, value, url: demo.url };
    }),
  );
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  return { context, page };
}

/** How far the document is wider than the viewport (0: no horizontal scrolling). Run in the page. */
function overflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

// Every visible control that ends past either edge of the viewport; run in the page, which has the DOM.
const OFF_SCREEN = `[...document.querySelectorAll('button, select, input:not([type=hidden]), summary, a')]
  .filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && (box.right > window.innerWidth + 0.5 || box.left < -0.5);
  })
  .map((element) => element.tagName.toLowerCase() + ' ' + (element.getAttribute('aria-label') || element.textContent.trim()))`;

function offScreenControls(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(OFF_SCREEN);
}

beforeAll(async () => {
  if (!existsSync(serverJs)) throw new Error(`${serverJs} is missing: run \`npm run build\` first`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-pages-mobile-'));
  demo = await startDemo(dir, {
    PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'first-Passw0rd-2026',
    // Second factors configured: settings show the two-factor section (not required, so logins stay 204).
    GATEHOUSE_ENCRYPTION_KEY: 'pages-mobile-encryption-key-0123456789ab',
  });
  // The forced first password change, done through the API: this file is about layout.
  const first = await signIn('first-Passw0rd-2026');
  expect(
    (await post('/v1/user', { current_password: 'first-Passw0rd-2026', password: PASSWORD }, first, 'PATCH')).status,
  ).toBe(200);
  adminCookie = await signIn(PASSWORD);
  // Rows wide enough to have overflowed before: long e-mails, every role, a described system key.
  for (const [email, role] of [
    ['a.very.long.member.address@observability.example.test', 'MEMBER'],
    ['viewer.with.a.long.name@example.test', 'VIEWER'],
  ] as const) {
    const user = { email, username: email.split('@')[0], role, auth_method: 'LOCAL', password: 'member-Passw0rd-1' };
    expect((await post('/v1/users', { user }, adminCookie)).status).toBe(201);
  }
  expect(
    (
      await post(
        '/v1/system/api_keys',
        {
          data: {
            name: 'trace-collector',
            description: 'OTLP exporter of the chat service',
            expires_at: '2099-06-30T12:00:00Z',
          },
        },
        adminCookie,
      )
    ).status,
  ).toBe(201);
});

afterAll(async () => {
  if (browser) await (await browser).close();
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the settings page at 1280 px and 390 px', () => {
  it.each(WIDTHS)('at %i px: nothing overflows sideways and every control is on screen', async (width) => {
    const { context, page } = await adminPage(width);
    try {
      await page.goto(`${demo.url}/settings`);
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      await expect(page.locator('#users tr[data-user-email]').count()).resolves.toBe(3);
      expect(await overflow(page)).toBe(0);
      expect(await offScreenControls(page)).toEqual([]);
      // The controls the narrow page used to push off-screen are there and usable.
      const member = page.locator('tr[data-user-email="a.very.long.member.address@observability.example.test"]');
      for (const control of [
        member.getByRole('combobox'),
        member.getByText('Set password'),
        member.getByRole('button', { name: 'Delete' }),
      ]) {
        await expect(control.isVisible()).resolves.toBe(true);
      }
      await page.screenshot({ path: join(SCREENSHOTS, `settings-${width}.png`), fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('lists a new key at once, while its value is still shown; Done reloads; the listed key can be deleted', async () => {
    const { context, page } = await adminPage(390);
    try {
      await page.goto(`${demo.url}/settings`);
      const own = page.locator('#own-keys');
      await expect(own.locator('.empty').textContent()).resolves.toBe('No keys yet.');
      await own.getByLabel('Name').fill('phone-key');
      await own.getByRole('button', { name: 'Create key' }).click();
      await own.locator('.new-key-value').waitFor();
      const key = await own.locator('.new-key-value').inputValue();
      // Before Done: the list already has the key, and no longer says there is none.
      await own.locator('tr[data-key-name="phone-key"]').waitFor();
      await expect(own.getByText('No keys yet.').count()).resolves.toBe(0);
      expect(await overflow(page)).toBe(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'settings-new-key-390.png'), fullPage: true });

      await own.getByRole('button', { name: 'Done' }).click();
      await page.waitForLoadState('load');
      await own.locator('tr[data-key-name="phone-key"]').waitFor();
      await expect(page.content()).resolves.not.toContain(key);

      // A Delete button that arrived with the refreshed list works too (one delegated listener).
      await own.getByLabel('Name').fill('second-key');
      await own.getByRole('button', { name: 'Create key' }).click();
      await own.locator('tr[data-key-name="second-key"]').waitFor();
      await own.getByRole('button', { name: 'Delete key second-key' }).click();
      await page.waitForLoadState('load');
      await own.locator('tr[data-key-name="phone-key"]').waitFor();
      await expect(own.locator('tr[data-key-name="second-key"]').count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });
});

describe('the two-factor pages at 390 px', () => {
  it('fits the enrolment on settings (QR code, key, code field) and the sign-in challenge page', async () => {
    const { context, page } = await adminPage(390);
    try {
      await page.goto(`${demo.url}/settings`);
      await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
      await page.locator('#mfa-enrolment img.mfa-qr').waitFor();
      await expect(page.locator('#mfa-enrolment .mfa-secret').inputValue()).resolves.toMatch(/^[A-Z2-7]{32}$/);
      expect(await overflow(page)).toBe(0);
      expect(await offScreenControls(page)).toEqual([]);
      // The challenge page needs a pending sign-in's cookie; its name is all the page checks.
      await context.addCookies([{ name: 'phoenix-mfa-challenge', value: 'x', url: demo.url }]);
      await page.goto(`${demo.url}/mfa`);
      await page.getByLabel('Authentication code').waitFor();
      await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
      await page.getByLabel('Recovery code').fill('abcd-efgh-ijkm-npqr');
      await page.locator('#mfa-recovery-form').getByRole('button', { name: 'Verify' }).click();
      // A forged challenge cookie is refused by the API, and the page says what to do.
      await page.locator('#mfa-recovery-form .form-error').filter({ hasText: 'Cancel and sign in again' }).waitFor();
      expect(await overflow(page)).toBe(0);
      expect(await offScreenControls(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('a page that does not exist', () => {
  it('is an HTML page for a browser, at 390 px without overflow', async () => {
    const { context, page } = await adminPage(390);
    try {
      const response = await page.goto(`${demo.url}/no-such-page`);
      expect(response?.status()).toBe(404);
      expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
      await expect(page.getByRole('heading', { name: 'Page not found' }).isVisible()).resolves.toBe(true);
      await expect(page.getByRole('link', { name: 'Go to settings' }).getAttribute('href')).resolves.toBe('/settings');
      expect(await overflow(page)).toBe(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'not-found-390.png') });
    } finally {
      await context.close();
    }
  });

  it.each([
    ['no Accept header', undefined],
    ['Accept: */*', '*/*'],
    ['Accept: application/json', 'application/json'],
    ['JSON preferred over HTML', 'application/json, text/html;q=0.5'],
  ])('is the JSON error for an API client (%s)', async (_, accept) => {
    const response = await fetch(`${demo.url}/no-such-page`, { headers: accept === undefined ? {} : { accept } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'Not found' } });
  });
});

describe('the favicon', () => {
  it('is linked from every page and served at /favicon.ico and /assets/favicon.svg', async () => {
    const { context, page } = await adminPage(1280);
    try {
      await page.goto(`${demo.url}/settings`);
      const href = await page.locator('link[rel="icon"]').getAttribute('href');
      expect(href).toBe('/assets/favicon.svg');
      for (const path of [href!, '/favicon.ico']) {
        const response = await page.request.get(`${demo.url}${path}`);
        expect(response.status()).toBe(200);
        expect(response.headers()['content-type']).toBe('image/svg+xml; charset=utf-8');
        expect(await response.text()).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      }
    } finally {
      await context.close();
    }
  });
});
