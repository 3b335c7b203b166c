/**
 * Route specs (`'DELETE /v1/users/{id}'`) and their normal form.
 *
 * Routers spell parameters differently (`:id`, `{id}`, `{user_id}`, `:id{[0-9]+}`), so every
 * parameter segment becomes `{}` and names never matter. Paths are compared case-insensitively
 * and without empty segments: a router that matches `/V1/Users/` as `/v1/users` must not let the
 * odd spelling slip past an admin rule.
 */

import { PHOENIX_ROUTE_PRESET } from './presets/phoenix.js';

export { PHOENIX_ROUTE_PRESET };

/** The parameter placeholder of a normalised pattern. */
export const PARAM = '{}';

/** Admin-only routes of Gatehouse's own user- and key-management surface: always enforced. */
export const GATEHOUSE_ADMIN_ROUTES: readonly string[] = Object.freeze([
  'GET /v1/users',
  'POST /v1/users',
  'PATCH /v1/users/{id}',
  'DELETE /v1/users/{id}',
  'GET /v1/users/api_keys',
  'GET /v1/system/api_keys',
  'POST /v1/system/api_keys',
  'DELETE /v1/system/api_keys/{id}',
  'GET /v1/audit_events',
  'GET /v1/users/{id}/sessions',
  'DELETE /v1/users/{id}/sessions',
  'DELETE /v1/users/{id}/mfa',
]);

/** Gatehouse's own routes every role may call, whatever the method: they act on the caller's own account. */
export const GATEHOUSE_SELF_SERVICE_ROUTES: readonly string[] = Object.freeze([
  'GET /v1/user',
  'PATCH /v1/user',
  'GET /v1/user/api_keys',
  'POST /v1/user/api_keys',
  'DELETE /v1/user/api_keys/{id}',
  'GET /v1/user/sessions',
  'DELETE /v1/user/sessions',
  'DELETE /v1/user/sessions/{id}',
  'GET /v1/user/mfa',
  'POST /v1/user/mfa/totp',
  'POST /v1/user/mfa/totp/confirm',
  'POST /v1/user/mfa/totp/remove',
  'POST /v1/user/mfa/recovery-codes',
  'GET /v1/user/mfa/passkeys',
  'POST /v1/user/mfa/passkeys/options',
  'POST /v1/user/mfa/passkeys',
  'PATCH /v1/user/mfa/passkeys/{id}',
  'POST /v1/user/mfa/passkeys/{id}/remove',
]);

/**
 * Role rules for routes of the host app, by name. A preset is what a host built as a drop-in for
 * some server needs (its routes' admin and self-service rules); Gatehouse's own routes are not part
 * of any preset and are enforced whichever is active.
 */
export interface RoutePreset {
  /** Named in the start-up log (`routePreset`). */
  readonly name: string;
  readonly adminRoutes: readonly string[];
  readonly selfServiceRoutes: readonly string[];
  readonly authRequiredRoutes: readonly string[];
}

/** No host route rules: only Gatehouse's own routes and the ones you declare. */
export const NO_ROUTE_PRESET: RoutePreset = Object.freeze({
  name: 'none',
  adminRoutes: Object.freeze([]),
  selfServiceRoutes: Object.freeze([]),
  authRequiredRoutes: Object.freeze([]),
});

export const ROUTE_PRESETS = Object.freeze({ phoenix: PHOENIX_ROUTE_PRESET, none: NO_ROUTE_PRESET });
export type RoutePresetName = keyof typeof ROUTE_PRESETS;

/** Admin-only routes with the default (Phoenix) preset: Gatehouse's own and Phoenix's. */
export const BUILT_IN_ADMIN_ROUTES: readonly string[] = Object.freeze([
  ...GATEHOUSE_ADMIN_ROUTES,
  ...PHOENIX_ROUTE_PRESET.adminRoutes,
]);

/** Self-service routes with the default (Phoenix) preset. */
export const BUILT_IN_SELF_SERVICE_ROUTES: readonly string[] = Object.freeze([
  ...GATEHOUSE_SELF_SERVICE_ROUTES,
  ...PHOENIX_ROUTE_PRESET.selfServiceRoutes,
]);

/** Key routes: meaningless without identities, so refused while authentication is disabled. */
export const BUILT_IN_API_KEY_ROUTES: readonly string[] = Object.freeze([
  'GET /v1/user/api_keys',
  'POST /v1/user/api_keys',
  'DELETE /v1/user/api_keys/{id}',
  'GET /v1/users/api_keys',
  'GET /v1/system/api_keys',
  'POST /v1/system/api_keys',
  'DELETE /v1/system/api_keys/{id}',
]);

/**
 * Splits a pattern or path into normalised segments: query and fragment dropped, empty segments
 * (double and trailing slashes) dropped, literals lower-cased, parameters replaced by `{}`.
 */
export function routeSegments(pattern: string): string[] {
  let end = pattern.length;
  const query = pattern.indexOf('?');
  if (query !== -1) end = query;
  const fragment = pattern.indexOf('#');
  if (fragment !== -1 && fragment < end) end = fragment;
  const segments: string[] = [];
  for (const raw of pattern.slice(0, end).split('/')) {
    if (raw === '') continue;
    segments.push(isParamSegment(raw) ? PARAM : raw.toLowerCase());
  }
  return segments;
}

/** `/v1/users/:id/`, `/v1/users/{user_id}` and `/V1/users/{id}` all become `/v1/users/{}`. */
export function normaliseRoutePattern(pattern: string): string {
  return `/${routeSegments(pattern).join('/')}`;
}

function isParamSegment(segment: string): boolean {
  return segment.startsWith(':') || (segment.startsWith('{') && segment.endsWith('}'));
}

export interface RouteSpec {
  /** Upper-case HTTP method, or `*` for every method. */
  readonly method: string;
  readonly segments: readonly string[];
}

const METHOD = /^(?:\*|[A-Za-z]+)$/;

/** Parses `'PUT /v1/things/{id}'`; returns a description of the problem instead of throwing. */
export function parseRouteSpec(spec: string): RouteSpec | string {
  const trimmed = spec.trim();
  const space = trimmed.search(/\s/);
  if (space === -1) return `expected "METHOD /path", got ${JSON.stringify(spec)}`;
  const method = trimmed.slice(0, space);
  const path = trimmed.slice(space).trim();
  if (!METHOD.test(method)) return `invalid method ${JSON.stringify(method)} in ${JSON.stringify(spec)}`;
  if (!path.startsWith('/') || /\s/.test(path))
    return `invalid path ${JSON.stringify(path)} in ${JSON.stringify(spec)}`;
  return { method: method.toUpperCase(), segments: routeSegments(path) };
}
