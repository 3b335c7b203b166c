import { html, type Interpolation, type SafeHtml } from './html.js';

/** The page scripts served from `/assets/<name>.js`; see assets.ts. */
export type PageScript = 'login' | 'mfa-login' | 'change-password' | 'forgot-password' | 'reset-password' | 'settings';

export interface SignedInHeader {
  readonly username: string;
  readonly email: string;
  readonly role: string;
  /** PHOENIX_MANAGEMENT_URL, only for the admins named in PHOENIX_ADMINS. */
  readonly managementUrl: string | null;
}

export interface LayoutOptions {
  readonly title: string;
  /** PHOENIX_HOST_ROOT_PATH ('' at the top): every link and script starts with it. */
  readonly root: string;
  readonly script?: PageScript;
  /** `data-*` values the script reads from `<body>`; keys are written in camelCase like `dataset`. */
  readonly data?: Readonly<Record<string, string>>;
  readonly user?: SignedInHeader;
  readonly body: SafeHtml;
}

const dataName = (key: string): string => `data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function dataAttributes(data: Readonly<Record<string, string>>): Interpolation[] {
  return Object.entries(data).map(([key, value]) => {
    // Keys come from this code, never from a request; refuse anything that is not a plain name.
    if (!/^[a-z][a-zA-Z]*$/.test(key)) throw new Error(`layout: bad data attribute name ${key}`);
    return html` ${dataName(key)}="${value}"`;
  });
}

function header(root: string, user: SignedInHeader | undefined): SafeHtml {
  return html`<header class="topbar">
    <a class="brand" href="${root}/settings">Gatehouse demo</a>
    ${
      user
        ? html`<nav class="account">
            ${user.managementUrl ? html`<a class="management" href="${user.managementUrl}">Management</a>` : ''}
            <span class="who"
              ><span class="who-name">${user.username}</span>
              <span class="badge badge-${user.role.toLowerCase()}">${user.role}</span></span
            >
            <form method="post" action="${root}/auth/logout">
              <button type="submit" class="link-button">Sign out</button>
            </form>
          </nav>`
        : ''
    }
  </header>`;
}

/** The whole document: the shared stylesheet, at most one deferred same-origin script, no inline code. */
export function layout(options: LayoutOptions): SafeHtml {
  const { root, script } = options;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · Gatehouse demo</title>
        <link rel="icon" href="${root}/assets/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="${root}/assets/pages.css" />
        ${script ? html`<script src="${root}/assets/${script}.js" defer></script>` : ''}
      </head>
      <body data-root="${root}" ${dataAttributes(options.data ?? {})}>
        ${header(root, options.user)}
        <main>${options.body}</main>
      </body>
    </html> `;
}

/** Shown next to a form field group; the page script fills it with the API's message. */
export const formError = html`<p class="form-error" role="alert" hidden></p>`;

// Same-origin only: the reset page carries its token in the URL, and it must not leak in a Referer.
// `form-action` is left out on purpose: the SSO buttons post here and are redirected to the IdP.
const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
});

export function htmlResponse(page: SafeHtml, status = 200): Response {
  return new Response(page.toString(), {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS },
  });
}

export function redirectTo(location: string): Response {
  return new Response(null, { status: 302, headers: { location, 'cache-control': 'no-store' } });
}
