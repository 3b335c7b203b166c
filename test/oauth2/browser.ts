/**
 * A browser-less user agent for the sign-in tests: a cookie jar per host:port, fetch without
 * automatic redirects, and a redirect follower that fills in the test provider's login form.
 */

export interface Hop {
  url: string;
  status: number;
  location: string | null;
}

export interface FollowOptions {
  /** Used for the first request only (and for a 307/308 repeat of it). */
  init?: RequestInit;
  /** Account to type into the test provider's login form; meeting the form without one throws. */
  login?: string;
  /** Stop, without fetching it, at the first redirect whose target matches. */
  stopAt?: (url: URL) => boolean;
  maxHops?: number;
}

export interface FollowResult {
  hops: Hop[];
  /** The last response fetched (its body is readable); a redirect when `stopAt` matched. */
  final: Response;
  /** The URL `final` was fetched from. */
  finalUrl: string;
}

export interface Browser {
  /** Cookies per host:port, like a browser (honours Max-Age=0 deletion, Path ignored is fine). */
  cookieHeader(url: string): string;
  cookie(url: string, name: string): string | undefined;
  /** fetch with this jar, redirect: 'manual'. An explicit `cookie` header replaces the jar's. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /**
   * Follows redirects from `url` (GET, or the given init for the first request); when a page is the
   * test provider's login form, submits it with `login`; stops at the first non-redirect response
   * or when a redirect leaves for `stopAt`. Returns every hop.
   */
  follow(url: string, options?: FollowOptions): Promise<FollowResult>;
}

interface StoredCookie {
  value: string;
  expiresAt: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
// Matches the form rendered by test/oauth2/provider.ts.
const LOGIN_FORM = /<form method="post" action="([^"]*\/interaction\/[^"/]+\/login)">\s*<input name="login"/;
// oidc-provider's logout confirmation (and its auto-submitting form when the session is already gone).
const LOGOUT_FORM = /<form\b[^>]*\baction="([^"]*\/session\/end\/confirm)"[^>]*>([\s\S]*?)<\/form>/;
const HIDDEN_INPUT = /<input\b[^>]*\btype="hidden"[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"/g;

/** Parses one Set-Cookie line; `expiresAt <= now` means delete. Domain and Path are ignored. */
function parseSetCookie(line: string, now: number): { name: string; cookie: StoredCookie } | undefined {
  const [pair = '', ...attributes] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  let expiresAt = Infinity;
  let maxAgeSeen = false;
  for (const attribute of attributes) {
    const [rawKey = '', ...rest] = attribute.split('=');
    const key = rawKey.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (key === 'max-age' && /^-?\d+$/.test(value)) {
      maxAgeSeen = true;
      expiresAt = now + Number.parseInt(value, 10) * 1000;
    } else if (key === 'expires' && !maxAgeSeen) {
      const date = Date.parse(value);
      if (!Number.isNaN(date)) expiresAt = date;
    }
  }
  return { name: pair.slice(0, eq).trim(), cookie: { value: pair.slice(eq + 1).trim(), expiresAt } };
}

/** Reads the body so the connection is released, and hands back a response that can still be read. */
async function buffered(response: Response): Promise<Response> {
  const body = await response.arrayBuffer();
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  return new Response(response.status === 204 || response.status === 304 ? null : body, init);
}

export function createBrowser(): Browser {
  const jar = new Map<string, Map<string, StoredCookie>>();

  const cookiesFor = (url: string): Map<string, StoredCookie> => {
    const { host } = new URL(url);
    let cookies = jar.get(host);
    if (!cookies) jar.set(host, (cookies = new Map()));
    const now = Date.now();
    for (const [name, cookie] of cookies) if (cookie.expiresAt <= now) cookies.delete(name);
    return cookies;
  };

  const browser: Browser = {
    cookieHeader(url) {
      return [...cookiesFor(url)].map(([name, { value }]) => `${name}=${value}`).join('; ');
    },

    cookie(url, name) {
      return cookiesFor(url).get(name)?.value;
    },

    async fetch(url, init = {}) {
      const headers = new Headers(init.headers);
      const jarHeader = browser.cookieHeader(url);
      if (!headers.has('cookie') && jarHeader) headers.set('cookie', jarHeader);
      const response = await fetch(url, { ...init, headers, redirect: 'manual' });
      const cookies = cookiesFor(url);
      const now = Date.now();
      for (const line of response.headers.getSetCookie()) {
        const parsed = parseSetCookie(line, now);
        if (!parsed) continue;
        if (parsed.cookie.expiresAt <= now) cookies.delete(parsed.name);
        else cookies.set(parsed.name, parsed.cookie);
      }
      return response;
    },

    async follow(start, options = {}) {
      const { login, stopAt, maxHops = 20 } = options;
      const hops: Hop[] = [];
      let url = new URL(start);
      let init: RequestInit | undefined = options.init;
      for (;;) {
        if (hops.length >= maxHops) throw new Error(`browser: more than ${maxHops} hops from ${start}`);
        const response = await buffered(await browser.fetch(url.href, init));
        const location = response.headers.get('location');
        hops.push({ url: url.href, status: response.status, location });

        if (REDIRECTS.has(response.status) && location !== null) {
          const next = new URL(location, url);
          if (stopAt?.(next)) return { hops, final: response, finalUrl: url.href };
          // 307/308 repeat the request as it was; the others turn it into a GET.
          if (response.status !== 307 && response.status !== 308) init = undefined;
          url = next;
          continue;
        }

        const html = (response.headers.get('content-type') ?? '').includes('text/html')
          ? await response.clone().text()
          : '';
        const logout = LOGOUT_FORM.exec(html);
        if (logout) {
          // "Yes, sign me out": every hidden field of the form, plus logout=yes (end the whole IdP session).
          const fields = new URLSearchParams(
            [...logout[2]!.matchAll(HIDDEN_INPUT)].map((m): [string, string] => [m[1]!, m[2]!]),
          );
          fields.set('logout', 'yes');
          url = new URL(logout[1]!.replaceAll('&amp;', '&'), url);
          init = {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: fields.toString(),
          };
          continue;
        }
        const form = LOGIN_FORM.exec(html);
        if (!form) return { hops, final: response, finalUrl: url.href };
        if (login === undefined)
          throw new Error(`browser: reached the test provider's login form at ${url.href} but no login was given`);
        url = new URL(form[1]!, url);
        init = {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ login }).toString(),
        };
      }
    },
  };
  return browser;
}
