import {
  isDefaultAdmin,
  isSafeReturnUrl,
  isSystemUser,
  type CookieSession,
  type Gatehouse,
  type UserRecord,
} from '@gatehouse-auth/core';
import type { SignedInHeader } from './layout.js';

/** What every page handler gets: no framework types, so the pages do not depend on Hono. */
export interface PageRequest {
  readonly gh: Gatehouse;
  /** PHOENIX_HOST_ROOT_PATH, '' at the top. */
  readonly root: string;
  readonly url: URL;
  readonly cookie: string | null;
}

/** `GET /auth/config`, as core serves it to any login page. */
export interface AuthPageConfig {
  readonly auth_enabled: boolean;
  readonly basic_auth_enabled: boolean;
  readonly password_reset_available: boolean;
  /** LDAP sign-in is configured: the page shows its own form. */
  readonly ldap_enabled?: boolean;
  readonly oauth2_idps: readonly { readonly name: string; readonly display_name: string }[];
  readonly auto_login_idp: string | null;
  readonly management_url: string | null;
  readonly error_messages: Readonly<Record<string, string>>;
}

const AUTH_DISABLED: AuthPageConfig = Object.freeze({
  auth_enabled: false,
  basic_auth_enabled: false,
  password_reset_available: false,
  oauth2_idps: [],
  auto_login_idp: null,
  management_url: null,
  error_messages: {},
});

const configs = new WeakMap<Gatehouse, Promise<AuthPageConfig>>();

/**
 * The login page shows exactly what the public API says, so it asks core's own `/auth/config`
 * handler, in process. The answer depends only on start-up configuration: asked once per Gatehouse.
 */
export function authPageConfig(request: PageRequest): Promise<AuthPageConfig> {
  let config = configs.get(request.gh);
  if (config === undefined) {
    config = (async () => {
      const response = await request.gh.handle(new Request(new URL(`${request.root}/auth/config`, request.url.origin)));
      // Authentication off: core serves no /auth routes at all.
      if (response === null || !response.ok) return AUTH_DISABLED;
      return (await response.json()) as AuthPageConfig;
    })();
    configs.set(request.gh, config);
    config.catch(() => configs.delete(request.gh));
  }
  return config;
}

export type PageSession = CookieSession;

/** The signed-in user of a page request (`gh.sessionFromCookie`: the access-token cookie only). */
export function currentSession(request: PageRequest): Promise<PageSession | null> {
  return request.gh.sessionFromCookie(request.cookie);
}

/** A LOCAL user with "password needs reset" may see nothing but the change-password page. */
export function mustChangePassword(session: PageSession): boolean {
  return session.user.authMethod === 'LOCAL' && session.user.resetPassword;
}

export const DEFAULT_RETURN_URL = '/settings';
const MAX_RETURN_URL = 2048;

/**
 * Where to go after signing in: a path on this deployment (`/` then a word character, checked by
 * core's own rule, also percent-decoded), relative to the root path; anything else is ignored.
 */
export function safeReturnUrl(raw: string | null | undefined): string | null {
  if (!raw || raw === '/' || raw.length > MAX_RETURN_URL) return null;
  return /^\/\w/.test(raw) && isSafeReturnUrl(raw) ? raw : null;
}

/** This request's path and query, relative to the root path: the `returnUrl` that leads back here. */
export function here(request: PageRequest): string {
  const path = request.url.pathname.slice(request.root.length) || '/';
  return `${path}${request.url.search}`;
}

export function loginUrl(root: string, returnUrl: string | null): string {
  return returnUrl ? `${root}/login?returnUrl=${encodeURIComponent(returnUrl)}` : `${root}/login`;
}

export function changePasswordUrl(root: string, returnUrl: string): string {
  return `${root}/change-password?returnUrl=${encodeURIComponent(returnUrl)}`;
}

/**
 * The header's account part. The management link (PHOENIX_MANAGEMENT_URL) is for the admins named
 * in PHOENIX_ADMINS only, and only an http(s) URL is ever put in an href.
 */
export function signedInHeader(request: PageRequest, user: UserRecord): SignedInHeader {
  const { config } = request.gh;
  const named = config.admins.some((admin) => admin.email === user.email.toLowerCase());
  const url = config.managementUrl;
  const managementUrl = named && url !== null && /^https?:\/\//i.test(url) ? url : null;
  return { username: user.username, email: user.email, role: user.role, managementUrl };
}

/** What the policy needs to know about a user shown in a list, for `can(...)`. */
export function userTarget(user: UserRecord): { userId: number; isDefaultAdmin: boolean; isSystemUser: boolean } {
  return { userId: user.id, isDefaultAdmin: isDefaultAdmin(user), isSystemUser: isSystemUser(user) };
}
