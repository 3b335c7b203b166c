/**
 * The demo's two-factor pages in a real browser: Debian's Chromium driven by playwright-core, against
 * the built demo as a child process with second factors configured and required for admins. The test
 * plays the authenticator app: it reads the key off the enrolment page and computes the codes with
 * `otpauth`, the library core uses. One demo, one browser; each page is saved at 1280 and 390 px to
 * test/e2e/screenshots/mfa-*.png, and at 390 px nothing may overflow sideways.
 *
 * Chromium comes from the system (CHROMIUM_PATH, default /usr/bin/chromium); without it this file
 * fails, it does not skip.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, OFF_SCREEN } from '../support/chromium.js';
import { serverJs, startDemo, type Demo } from '../support/demo-process.js';

const SCREENSHOTS = join(import.meta.dirname, 'screenshots');
const ADMIN_PASSWORD = 'admin-Passw0rd-2026';
const MEMBER = { email: 'mia@example.test', username: 'mia', first: 'member-Temp-0001', own: 'member-Own-0002' };
const STEP_MS = 30_000;

/**
 * The test's authenticator app. The server accepts a code of the current step ±1, and each step
 * once, never one earlier than the last used: so each call picks the earliest step still both
 * unused and valid for a few more seconds, and waits for the next step only when all three are spent.
 */
class Authenticator {
  readonly #totp: TOTP;
  #last = Number.NEGATIVE_INFINITY;

  constructor(secret: string) {
    this.#totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  }

  async code(): Promise<string> {
    for (;;) {
      const now = Date.now();
      const step = Math.floor(now / STEP_MS);
      // Step - 1 stops being accepted when this step ends: use it only with 5 s to spare.
      const earliest = STEP_MS - (now % STEP_MS) > 5_000 ? step - 1 : step;
      const use = Math.max(this.#last + 1, earliest);
      if (use <= step + 1) {
        this.#last = use;
        return this.#totp.generate({ timestamp: use * STEP_MS });
      }
      await new Promise((next) => setTimeout(next, STEP_MS - (now % STEP_MS) + 50));
    }
  }

  /** A code the server refuses: the current one, changed. */
  wrong(): string {
    const code = this.#totp.generate({ timestamp: Date.now() });
    return code.replace(/^./, (digit) => String((Number(digit) + 5) % 10));
  }
}

let demo: Demo;
let dir: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let admin: Authenticator;
let member: Authenticator;
let memberCodes: string[];

function overflow(target: Page): Promise<number> {
  return target.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

/** The page at 1280 px and at 390 px (where nothing may overflow sideways), saved at both. */
async function shots(name: string, target: Page = page): Promise<void> {
  for (const width of [1280, 390]) {
    await target.setViewportSize({ width, height: width > 600 ? 800 : 844 });
    if (width === 390) {
      expect(await overflow(target)).toBe(0);
      expect(await target.evaluate<string[]>(OFF_SCREEN)).toEqual([]);
    }
    await target.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await target.setViewportSize({ width: 1280, height: 800 });
}

function path(): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

const waitForPath = (expected: string) => page.waitForURL((url) => url.href === `${demo.url}${expected}`);

async function signIn(email: string, password: string): Promise<void> {
  await page.goto(`${demo.url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await waitForPath('/login');
}

/** The enrolment box on screen: its QR code drawn, its key read (the test's app "scans" it). */
async function readEnrolment(scope: string): Promise<string> {
  const box = page.locator(scope);
  await box.locator('img.mfa-qr').waitFor();
  // The QR code is the API's SVG, as an image: it has been decoded and has a size.
  await expect(
    box.locator('img.mfa-qr').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
  ).resolves.toBe(true);
  await expect(box.getByRole('img', { name: 'QR code of your new authenticator key' }).isVisible()).resolves.toBe(true);
  const secret = await box.getByLabel('Authenticator key to type by hand').inputValue();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  return secret;
}

/** The ten codes shown once; "Continue" / "Done" only after "I saved these recovery codes". */
async function saveRecoveryCodes(scope: string, button: string): Promise<string[]> {
  const box = page.locator(scope);
  await box.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
  // Focus moves to the list's heading, so a screen reader reads from there.
  await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Save your recovery codes');
  const codes = await box.locator('.recovery-codes li').allTextContents();
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[a-z0-9]{4}(-[a-z0-9]{4}){3}$/i);
  const done = box.getByRole('button', { name: button, exact: true });
  await expect(done.isDisabled()).resolves.toBe(true);
  await box.getByLabel('I saved these recovery codes').check();
  await expect(done.isEnabled()).resolves.toBe(true);
  return codes;
}

async function continueAfterCodes(scope: string, button: string): Promise<void> {
  await page.locator(scope).getByRole('button', { name: button, exact: true }).click();
}

async function enterCode(code: string): Promise<void> {
  await page.getByLabel('Authentication code').fill(code);
  await page.locator('#mfa-code-form').getByRole('button', { name: 'Verify' }).click();
}

async function enterRecoveryCode(code: string): Promise<void> {
  await page.getByLabel('Recovery code').fill(code);
  await page.locator('#mfa-recovery-form').getByRole('button', { name: 'Verify' }).click();
}

beforeAll(async () => {
  if (!existsSync(serverJs)) throw new Error(`${serverJs} is missing: run \`npm run build\` first`);
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's package or set CHROMIUM_PATH`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-mfa-pages-'));
  [demo, browser] = await Promise.all([
    startDemo(dir, {
      GATEHOUSE_ENCRYPTION_KEY: 'mfa-pages-encryption-key-0123456789abcdef',
      GATEHOUSE_MFA_REQUIRED_ROLES: 'ADMIN',
      // One address signs in a dozen times in a minute here; the per-address bucket of /auth (12,
      // tested elsewhere) would refuse the journey. The account lockout still applies.
      PHOENIX_DISABLE_RATE_LIMIT: 'true',
    }),
    chromium.launch({ executablePath: CHROMIUM, chromiumSandbox: false, args: CHROMIUM_ARGS }),
  ]);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  // A step that cannot happen fails in seconds, with its locator, rather than at the test's timeout.
  page.setDefaultTimeout(10_000);
  page.on('dialog', (dialog) => void dialog.accept());
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await demo?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('two-factor pages, in order', () => {
  it('makes the default admin (a required role) enrol during sign-in, then change the password', async () => {
    await signIn('admin@localhost', 'admin');
    await waitForPath('/mfa/enroll?returnUrl=%2Fsettings');
    await expect(page.locator('#mfa-required').isVisible()).resolves.toBe(true);
    admin = new Authenticator(await readEnrolment('#enrolment'));
    // Not signed in yet: the settings page still sends the browser to sign in.
    const probe = await context.request.get(`${demo.url}/v1/user`);
    expect(probe.status()).toBe(401);
    await shots('mfa-enrol-login');

    // A wrong code: the error is read out (role=alert) and the field is selected for the next try.
    await page.getByLabel('Code shown by the app').fill(admin.wrong());
    await page.getByRole('button', { name: 'Confirm' }).click();
    const error = page.locator('#enrolment .mfa-confirm-form .form-error');
    await error.filter({ hasText: 'That code is not right' }).waitFor();
    await expect(error.getAttribute('role')).resolves.toBe('alert');
    await expect(page.evaluate('document.activeElement.getAttribute("name")')).resolves.toBe('code');

    await page.getByLabel('Code shown by the app').fill(await admin.code());
    await page.getByRole('button', { name: 'Confirm' }).click();
    await saveRecoveryCodes('#recovery-codes', 'Continue');
    await shots('mfa-recovery-codes');
    await continueAfterCodes('#recovery-codes', 'Continue');

    // The second factor first, then the forced password change: the two compose.
    await waitForPath('/change-password?returnUrl=%2Fsettings');
    await page.getByLabel('Current password').fill('admin');
    await page.getByLabel('New password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForPath('/settings');
    const state = page.locator('#mfa-state');
    await expect(state.textContent()).resolves.toMatch(/Authenticator app:\s+on since \d{4}-\d\d-\d\d\./);
    await expect(state.textContent()).resolves.toContain('Your role requires a second factor');
    await expect(page.locator('#mfa-codes-left').textContent()).resolves.toContain('Recovery codes left: 10 of 10.');
  });

  it('lets the admin add a member, who enrols an authenticator on settings', async () => {
    const form = page.locator('#create-user-form');
    await form.getByLabel('Email').fill(MEMBER.email);
    await form.getByLabel('Username').fill(MEMBER.username);
    await form.getByLabel('Password').fill(MEMBER.first);
    await form.getByLabel('Role').selectOption('MEMBER');
    await form.getByRole('button', { name: 'Create user' }).click();
    await page.locator(`tr[data-user-email="${MEMBER.email}"]`).waitFor();
    await signOut();

    // A member's role does not require a factor: the password is enough, then the forced change.
    await signIn(MEMBER.email, MEMBER.first);
    await waitForPath('/change-password?returnUrl=%2Fsettings');
    await page.getByLabel('Current password').fill(MEMBER.first);
    await page.getByLabel('New password', { exact: true }).fill(MEMBER.own);
    await page.getByLabel('Repeat the new password').fill(MEMBER.own);
    await page.getByRole('button', { name: 'Change password' }).click();
    await waitForPath('/settings');
    await expect(page.locator('#mfa-state').textContent()).resolves.toMatch(/Authenticator app:\s+off\./);
    await shots('mfa-settings-off');

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    member = new Authenticator(await readEnrolment('#mfa-enrolment'));
    await shots('mfa-settings-enrol');
    await page
      .locator('#mfa-enrolment')
      .getByLabel('Code shown by the app')
      .fill(await member.code());
    await page.locator('#mfa-enrolment').getByRole('button', { name: 'Confirm' }).click();
    memberCodes = await saveRecoveryCodes('#mfa-recovery-codes', 'Done');
    await continueAfterCodes('#mfa-recovery-codes', 'Done');
    await page.waitForLoadState('load');
    await page.locator('#mfa-codes-left').waitFor();
    await expect(page.locator('#mfa-state').textContent()).resolves.toContain('on since');
    // Shown once: after the reload no code is on the page.
    const content = await page.content();
    for (const code of memberCodes) expect(content).not.toContain(code);
    await shots('mfa-settings-on');
  });

  it('signs the member in with the password and a TOTP code, after refusing a wrong one', async () => {
    await signOut();
    await signIn(MEMBER.email, MEMBER.own);
    await waitForPath('/mfa?returnUrl=%2Fsettings');
    const input = page.getByLabel('Authentication code');
    await expect(input.getAttribute('autocomplete')).resolves.toBe('one-time-code');
    await expect(input.getAttribute('inputmode')).resolves.toBe('numeric');
    await expect(page.evaluate('document.activeElement.getAttribute("name")')).resolves.toBe('code');
    await shots('mfa-challenge');

    await enterCode(member.wrong());
    await page.locator('#mfa-code-form .form-error').filter({ hasText: 'That code is not right' }).waitFor();
    await shots('mfa-challenge-error');
    await enterCode(await member.code());
    await waitForPath('/settings');
    await expect(page.locator('.who-name').textContent()).resolves.toBe(MEMBER.username);
  });

  it('accepts a recovery code once, says how many are left, and refuses it the second time', async () => {
    await signOut();
    await signIn(MEMBER.email, MEMBER.own);
    await waitForPath('/mfa?returnUrl=%2Fsettings');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await expect(page.evaluate('document.activeElement.getAttribute("name")')).resolves.toBe('recovery_code');
    await shots('mfa-challenge-recovery');
    // Case, spaces and dashes do not matter.
    await enterRecoveryCode(memberCodes[0]!.toUpperCase().replace(/-/g, ' '));
    const warning = page.locator('#mfa-few-codes-text');
    await warning.waitFor();
    await expect(warning.textContent()).resolves.toBe('You have 9 recovery codes left.');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('mfa-few-codes-text');
    await shots('mfa-codes-left');
    await page.getByRole('button', { name: 'Continue' }).click();
    await waitForPath('/settings');

    await signOut();
    await signIn(MEMBER.email, MEMBER.own);
    await waitForPath('/mfa?returnUrl=%2Fsettings');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await enterRecoveryCode(memberCodes[0]!);
    await page.locator('#mfa-recovery-form .form-error').filter({ hasText: 'That code is not right' }).waitFor();
    expect(path()).toBe('/mfa?returnUrl=%2Fsettings');
    // Back to the app's code, which still works on the same challenge.
    await page.getByRole('button', { name: 'Use the authenticator app instead' }).click();
    await enterCode(await member.code());
    await waitForPath('/settings');
    await expect(page.locator('#mfa-codes-left').textContent()).resolves.toContain('Recovery codes left: 9 of 10.');
  });

  it('regenerates the recovery codes and removes the authenticator, each with a code', async () => {
    await page.getByLabel('Code from your app, or a recovery code').first().fill('000000');
    await page.getByRole('button', { name: 'Get new recovery codes' }).click();
    await page.locator('#mfa-regenerate-form .form-error').filter({ hasText: 'That code is not right' }).waitFor();

    await page.locator('#mfa-regenerate-form input').fill(memberCodes[1]!);
    await page.getByRole('button', { name: 'Get new recovery codes' }).click();
    const fresh = await saveRecoveryCodes('#mfa-recovery-codes', 'Done');
    expect(fresh.filter((code) => memberCodes.includes(code))).toEqual([]);
    await continueAfterCodes('#mfa-recovery-codes', 'Done');
    await page.waitForLoadState('load');
    await expect(page.locator('#mfa-codes-left').textContent()).resolves.toContain('Recovery codes left: 10 of 10.');

    await page.locator('#mfa-remove-form input').fill(await member.code());
    await page.getByRole('button', { name: 'Remove authenticator' }).click();
    await page.waitForLoadState('load');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).waitFor();
    await expect(page.locator('#mfa-state').textContent()).resolves.toMatch(/off\./);
  }, 90_000); // member.code() may wait most of a 30 s step for an unused one, and this test needs two

  it('lets an admin reset the factor of a member who lost it, which signs the member out', async () => {
    // The member enrols again, and this browser's session is the one the reset will end.
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const again = new Authenticator(await readEnrolment('#mfa-enrolment'));
    await page
      .locator('#mfa-enrolment')
      .getByLabel('Code shown by the app')
      .fill(await again.code());
    await page.locator('#mfa-enrolment').getByRole('button', { name: 'Confirm' }).click();
    await saveRecoveryCodes('#mfa-recovery-codes', 'Done');
    await continueAfterCodes('#mfa-recovery-codes', 'Done');
    await page.waitForLoadState('load');
    const memberCookies = await context.cookies(demo.url);

    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const adminPage = await other.newPage();
      adminPage.on('dialog', (dialog) => void dialog.accept());
      await adminPage.goto(`${demo.url}/login`);
      await adminPage.getByLabel('Email').fill('admin@localhost');
      await adminPage.getByLabel('Password').fill(ADMIN_PASSWORD);
      await adminPage.getByRole('button', { name: 'Sign in', exact: true }).click();
      await adminPage.waitForURL(`${demo.url}/mfa?returnUrl=%2Fsettings`);
      await adminPage.getByLabel('Authentication code').fill(await admin.code());
      await adminPage.getByRole('button', { name: 'Verify' }).click();
      await adminPage.waitForURL(`${demo.url}/settings`);

      const row = adminPage.locator(`tr[data-user-email="${MEMBER.email}"]`);
      await expect(row.locator('.badge-mfa').textContent()).resolves.toBe('2FA');
      await shots('mfa-admin-users', adminPage);
      // Nobody resets their own factor from the users table: settings has their own section.
      await expect(
        adminPage
          .locator('tr[data-user-email="admin@localhost"]')
          .getByRole('button', { name: /Reset 2FA/ })
          .count(),
      ).resolves.toBe(0);
      await row.getByRole('button', { name: `Reset 2FA of ${MEMBER.email}` }).click();
      await adminPage.waitForLoadState('load');
      await adminPage.locator(`tr[data-user-email="${MEMBER.email}"]`).waitFor();
      await expect(adminPage.locator(`tr[data-user-email="${MEMBER.email}"] .badge-mfa`).count()).resolves.toBe(0);
    } finally {
      await other.close();
    }

    // The member's session ended with the reset; the next sign-in needs the password only.
    const cookie = memberCookies.map((c) => `${c.name}=${c.value}`).join('; ');
    expect((await fetch(`${demo.url}/v1/user`, { headers: { cookie } })).status).toBe(401);
    await signIn(MEMBER.email, MEMBER.own);
    await waitForPath('/settings');
    await expect(page.locator('#mfa-state').textContent()).resolves.toMatch(/off\./);
  });

  it('sends a visitor without a pending sign-in from the MFA pages to sign in', async () => {
    const fresh = await browser.newContext();
    try {
      const visitor = await fresh.newPage();
      await visitor.goto(`${demo.url}/mfa`);
      expect(new URL(visitor.url()).pathname).toBe('/login');
      await visitor.goto(`${demo.url}/mfa/enroll?returnUrl=%2Fsettings`);
      expect(new URL(visitor.url()).pathname + new URL(visitor.url()).search).toBe('/login?returnUrl=%2Fsettings');
    } finally {
      await fresh.close();
    }
  });
});
