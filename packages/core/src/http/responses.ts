import { AuthenticationError, isGatehouseError, type GatehouseError } from '../errors/index.js';
import type { Logger } from '../services/deps.js';

type HeaderInit = ConstructorParameters<typeof Headers>[0];

const JSON_TYPE = 'application/json; charset=utf-8';

export function json(body: unknown, status = 200, headers?: HeaderInit): Response {
  const h = new Headers(headers);
  h.set('content-type', JSON_TYPE);
  h.set('cache-control', 'no-store');
  return new Response(JSON.stringify(body), { status, headers: h });
}

export function noContent(headers?: HeaderInit): Response {
  const h = new Headers(headers);
  h.set('cache-control', 'no-store');
  return new Response(null, { status: 204, headers: h });
}

export function redirect(location: string, headers?: HeaderInit): Response {
  const h = new Headers(headers);
  h.set('location', location);
  h.set('cache-control', 'no-store');
  return new Response(null, { status: 302, headers: h });
}

/** Extra headers an error's status calls for: `Retry-After` on 429, `WWW-Authenticate` on 401. */
export function errorHeaders(error: GatehouseError): Record<string, string> {
  const headers: Record<string, string> = {};
  if ('retryAfterSeconds' in error && typeof error.retryAfterSeconds === 'number')
    headers['retry-after'] = String(error.retryAfterSeconds);
  if (error.status === 401) headers['www-authenticate'] = 'Bearer realm="gatehouse"';
  return headers;
}

/**
 * The JSON error response for anything a handler threw. Typed errors keep their code and message;
 * anything else is logged (name only: an unknown error may carry request data) and becomes an
 * opaque 500, so no internal detail or secret reaches a client.
 */
export function errorResponse(error: unknown, logger: Logger): Response {
  if (isGatehouseError(error)) return json(error.toJSON(), error.status, errorHeaders(error));
  logger.error('unhandled error in a Gatehouse route', { error: error instanceof Error ? error.name : typeof error });
  return json({ error: { code: 'internal', message: 'Internal server error' } }, 500);
}

export const unauthenticated = (message = 'Invalid token') =>
  new AuthenticationError(message, { code: 'unauthenticated' });
