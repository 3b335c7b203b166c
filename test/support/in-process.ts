/**
 * Calls a Gatehouse's own routes in process (`gh.handle`), for suites that need no listening server:
 * the fault tests swap the store's I/O underneath it.
 */
import type { Gatehouse } from '@gatehouse-auth/core';

export const ORIGIN = 'http://gatehouse.test';

export interface CallOptions {
  bearer?: string;
  json?: unknown;
  cookie?: string;
}

/** One request from 127.0.0.1; throws if the path is not one of Gatehouse's routes. */
export function call(gh: Gatehouse, method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  const request = new Request(`${ORIGIN}${path}`, {
    method,
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  return gh.handle(request, { remoteAddress: '127.0.0.1' }).then((response) => {
    if (!response) throw new Error(`${method} ${path} is not a Gatehouse route`);
    return response;
  });
}
