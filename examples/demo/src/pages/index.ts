import type { Gatehouse } from '@gatehouse-auth/core';
import { Hono, type Context, type Env } from 'hono';
import { changePasswordPage } from './change-password.js';
import { FAVICON_SVG } from './favicon.js';
import { pageScript } from './client-scripts.js';
import { forgotPasswordPage } from './forgot-password.js';
import { redirectTo } from './layout.js';
import { loginPage } from './login.js';
import { mfaChallengePage, mfaEnrolPage } from './mfa-login.js';
import { resetPasswordPage } from './reset-password.js';
import type { PageRequest } from './session.js';
import { settingsPage } from './settings-page.js';
import { PAGES_CSS } from './styles.js';

function asset(body: string, type: string): Response {
  return new Response(body, {
    headers: {
      'content-type': `${type}; charset=utf-8`,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    },
  });
}

const favicon = (): Response => asset(FAVICON_SVG, 'image/svg+xml');

/**
 * The pages a person sees: sign-in, password change and reset, settings. HTML routes outside `/v1`
 * (which stays the JSON API); mount with `app.route('/', pageRoutes(gh))` after Gatehouse's
 * middleware, so core's own `/login` redirect (auto-login IdP) wins when it applies.
 */
export function pageRoutes<E extends Env>(gh: Gatehouse): Hono<E> {
  const pages = new Hono<E>();
  const root = gh.config.rootPath;
  const request = (c: Context<E>): PageRequest => ({
    gh,
    root,
    url: new URL(c.req.url),
    cookie: c.req.header('cookie') ?? null,
  });

  pages.get('/', () => redirectTo(`${root}/settings`));
  pages.get('/login', (c) => loginPage(request(c)));
  pages.get('/logout', (c) => loginPage(request(c), 'logout'));
  pages.get('/mfa', (c) => mfaChallengePage(request(c)));
  pages.get('/mfa/enroll', (c) => mfaEnrolPage(request(c)));
  pages.get('/change-password', (c) => changePasswordPage(request(c)));
  pages.get('/forgot-password', (c) => forgotPasswordPage(request(c)));
  pages.get('/reset-password-with-token', (c) => resetPasswordPage(request(c)));
  pages.get('/settings', (c) => settingsPage(request(c)));

  pages.get('/assets/pages.css', () => asset(PAGES_CSS, 'text/css'));
  // Browsers ask for /favicon.ico whatever the page links; both answer the same SVG.
  pages.get('/assets/favicon.svg', favicon);
  pages.get('/favicon.ico', favicon);
  pages.get('/assets/:file', (c) => {
    const file = c.req.param('file');
    const script = file.endsWith('.js') ? pageScript(file.slice(0, -3)) : undefined;
    return script === undefined ? c.notFound() : asset(script, 'text/javascript');
  });
  return pages;
}
