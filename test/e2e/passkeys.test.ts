/**
 * Passkeys in a real browser: Debian's Chromium driven by playwright-core, with a CDP virtual
 * authenticator (CTAP2, internal transport, resident keys, user verification) standing in for the
 * device's platform authenticator, against the built demo as a child process. The journey: register a
 * passkey on settings, sign out, sign in with password + passkey, sign out, sign in with the passkey
 * alone; the authenticator's signature counter moves with each use. Each page is saved at 1280 and
 * 390 px to test/e2e/screenshots/passkey-*.png, and at 390 px nothing may overflow sideways.
 *
 * WebAuthn needs a domain as relying-party id: the demo is configured and visited as `localhost`,
 * never as an IP address. Chromium comes from the system (CHROMIUM_PATH); without it this file fails.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, OFF_SCREEN } from '../support/chromium.js';
import { serverJs, startDemo, type Demo } from '../support/demo-process.js';

const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
const ADMIN_SECRET = 'passkey-e2e-admin-secret-0123456789abc';
// An admin-created account starts with a password it must change at the first sign-in.
const USER = { email: 'pia@example.test', username: 'pia', first: 'pia-Temp-0001', password: 'pia-Passw0rd-2026' };

let demo: Demo;
/** The demo as the browser sees it: http://localhost:<port>, the configured public URL. */
let base: string;
let dir: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let authenticatorId: string;

async function shots(name: string): Promise<void> {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width > 600 ? 800 : 844 });
    if (width === 390) {
      expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBe(0);
      expect(await page.evaluate<string[]>(OFF_SCREEN)).toEqual([]);
    }
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

const waitForPath = (path: string) => page.waitForURL((url) => url.href === `${base}${path}`);

async function signInWithPassword(password = USER.password): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(USER.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await waitForPath('/login');
}

interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId: string;
  signCount: number;
  userHandle?: string;
}

async function credentials(): Promise<VirtualCredential[]> {
  const { credentials: list } = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })) as {
    credentials: VirtualCredential[];
  };
  return list;
}

beforeAll(async () => {
  if (!existsSync(serverJs)) throw new Error(`${serverJs} is missing: run \`npm run build\` first`);
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's package or set CHROMIUM_PATH`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-passkeys-'));
  [demo, browser] = await Promise.all([
    startDemo(dir, {
      // The public URL (and so the relying party) is derived from PHOENIX_HOST: a name, not an address.
      PHOENIX_HOST: 'localhost',
      PHOENIX_ADMIN_SECRET: ADMIN_SECRET,
      GATEHOUSE_ENCRYPTION_KEY: 'passkey-e2e-encryption-key-0123456789abc',
      PHOENIX_DISABLE_RATE_LIMIT: 'true',
    }),
    chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false, args: CHROMIUM_ARGS }),
  ]);
  base = `http://localhost:${new URL(demo.url).port}`;
  const created = await fetch(`${base}/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      user: { email: USER.email, username: USER.username, role: 'MEMBER', auth_method: 'LOCAL', password: USER.first },
      send_welcome_email: false,
    }),
  });
  expect(created.status).toBe(201);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  }));
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('passkeys in Chromium, in order', () => {
  it('registers a passkey on the settings page', async () => {
    await signInWithPassword(USER.first);
    await waitForPath('/change-password?returnUrl=%2Fsettings');
    await page.getByLabel('Current password').fill(USER.first);
    await page.getByLabel('New password', { exact: true }).fill(USER.password);
    await page.getByLabel('Repeat the new password').fill(USER.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForPath('/settings');
    const section = page.locator('#passkeys');
    await expect(section.locator('#no-passkeys').isVisible()).resolves.toBe(true);
    await section.getByLabel('Passkey name (optional)').fill('This laptop');
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    await section.locator('li.passkey[data-passkey-name="This laptop"]').waitFor();
    const [credential] = await credentials();
    expect(credential).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
    await shots('passkey-settings');
  });

  it('renames it from the keyboard', async () => {
    const section = page.locator('#passkeys');
    await section.getByText('Rename or remove').focus();
    await page.keyboard.press('Enter');
    await section.getByLabel('New name').fill('Work laptop');
    await section.getByLabel('New name').press('Enter');
    await section.locator('li.passkey[data-passkey-name="Work laptop"]').waitFor();
    await signOut();
  });

  it('signs in with the password, then the passkey as the second factor', async () => {
    await signInWithPassword();
    await page.waitForURL((url) => url.pathname === '/mfa');
    // A passkey-only account: the code forms are hidden, the passkey button has focus.
    await expect(page.locator('#mfa-code-form').isHidden()).resolves.toBe(true);
    const button = page.getByRole('button', { name: 'Use a passkey' });
    await expect(page.evaluate('document.activeElement && document.activeElement.id')).resolves.toBe(
      'mfa-passkey-button',
    );
    await shots('passkey-mfa-challenge');
    const before = (await credentials())[0]!.signCount;
    await button.click();
    await waitForPath('/settings');
    expect((await credentials())[0]!.signCount).toBeGreaterThan(before);
    await expect(page.locator('#sessions').getByText('password').first().isVisible()).resolves.toBe(true);
    await signOut();
  });

  it('signs in with the passkey alone (passwordless, discoverable credential, user verified)', async () => {
    await page.goto(`${base}/login`);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor();
    await shots('passkey-login');
    const before = (await credentials())[0]!.signCount;
    await button.click();
    await waitForPath('/settings');
    expect((await credentials())[0]!.signCount).toBeGreaterThan(before);
    const current = page.locator('#sessions tr[data-current="true"]');
    await expect(current.locator('td[data-label="Signed in with"]').textContent()).resolves.toContain('passkey');
  });

  it('refuses a passwordless sign-in when the authenticator cannot verify the user', async () => {
    await signOut();
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const error = page.locator('#passkey-login .form-error');
    await error.waitFor();
    expect(await error.textContent()).not.toBe('');
    expect(page.url()).toMatch(/\/login/);
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
  });

  it('removes the passkey with the password; the login then asks for nothing more', async () => {
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await waitForPath('/settings');
    const section = page.locator('#passkeys');
    await section.getByText('Rename or remove').click();
    await section.getByLabel('Your password, to remove it').fill('not-my-password');
    await section.getByRole('button', { name: 'Remove Work laptop' }).click();
    // The answer arrives after the click: wait for the message, read out by its role=alert line.
    await section.locator('.passkey-remove-form .form-error', { hasText: 'That password is not right.' }).waitFor();
    await section.getByLabel('Your password, to remove it').fill(USER.password);
    await section.getByRole('button', { name: 'Remove Work laptop' }).click();
    await section.locator('#no-passkeys').waitFor();
    await signOut();
    await signInWithPassword();
    await waitForPath('/settings');
  });
});
