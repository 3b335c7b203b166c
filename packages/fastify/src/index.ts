/**
 * @module
 * `@gatehouse-auth/fastify`: Gatehouse on Fastify 5. `gatehousePlugin` serves Gatehouse's own routes,
 * `authenticate(gh)` is the gate for yours (an `onRequest` hook), `requireRole(roles)` and
 * `principalOf(request)` work after it. The adapter translates; every decision is core's
 * (docs/architecture.md#rule-1).
 */
import { Readable } from 'node:stream';
import {
  ValidationError,
  type Gatehouse,
  type GuardInput,
  type GuardResult,
  type GuardedPrincipal,
  type Role,
} from '@gatehouse-auth/core';
import {
  MALFORMED_PATH_MESSAGE,
  adapterMisuse,
  checkRole,
  fetchHeadersOfNode,
  mountProblem,
  nodeAuthorization,
  pathOfTarget,
} from '@gatehouse-auth/core/adapter-kit';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  HTTPMethods,
  onRequestHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';

export type { GuardedPrincipal } from '@gatehouse-auth/core';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate`; null on routes it does not guard. */
    gatehousePrincipal: GuardedPrincipal | null;
  }
}

export interface GatehousePluginOptions {
  gatehouse: Gatehouse;
  /**
   * Fastify's own `register` option. Gatehouse's paths already carry `PHOENIX_HOST_ROOT_PATH`, so a
   * prefix must be that root path (or lie above it): any other refuses to start, naming the setting.
   */
  prefix?: string;
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function header(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' ? value : null;
}

/** The request target as the router read it: an absolute-form target reduced to its path and query. */
function pathAndQueryOf(target: string): string {
  if (target.charCodeAt(0) === 47 /* / */) return target;
  const path = pathOfTarget(target);
  const q = target.indexOf('?');
  return q === -1 ? path : `${path}${target.slice(q)}`;
}

function toFetchRequest(request: FastifyRequest): Request {
  const headers = fetchHeadersOfNode(request.headers, request.raw.rawHeaders);
  // The origin is a placeholder: core builds public URLs from configuration, never from the request.
  const url = `http://localhost${pathAndQueryOf(request.url)}`;
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  // The routes below register a pass-through parser, so the body is still the unread stream.
  const stream = request.body instanceof Readable ? request.body : request.raw;
  return new Request(url, {
    method,
    headers,
    body: Readable.toWeb(stream) as ReadableStream<Uint8Array>,
    duplex: 'half',
  });
}

async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') void reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) void reply.header('set-cookie', cookies);
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

function sendDenied(reply: FastifyReply, result: Extract<GuardResult, { ok: false }>): FastifyReply {
  return reply.code(result.status).headers(result.headers).send(result.body);
}

/**
 * Registers Gatehouse's own routes in an encapsulated context whose only body parser hands the raw
 * stream to core, so your app's parsers and limits neither see nor change them. Register it at the
 * root: the paths already carry PHOENIX_HOST_ROOT_PATH.
 */
function gatehouseRoutes(
  instance: FastifyInstance,
  { gatehouse: gh }: GatehousePluginOptions,
  done: (error?: Error) => void,
): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  // Routes registered here get the enclosing contexts' prefix; the paths are full paths already
  // (the plugin checked that they lie below it), so the prefix is taken off first.
  const mount = instance.prefix;
  for (const path of gh.paths) {
    instance.route({
      method: METHODS,
      url: path.slice(mount.length),
      exposeHeadRoute: false,
      async handler(request, reply) {
        const response = await gh.handle(toFetchRequest(request), {
          remoteAddress: request.socket.remoteAddress ?? null,
          target: request.raw.url ?? null,
        });
        if (!response) return reply.callNotFound();
        return send(reply, response);
      },
    });
  }
  done();
}

/**
 * `app.register(gatehousePlugin, { gatehouse })`: Gatehouse's routes plus the `gatehousePrincipal`
 * request slot. Under a prefix (`{ gatehouse, prefix: '/api' }` or inside a prefixed `register`),
 * the prefix must be `PHOENIX_HOST_ROOT_PATH`; another one fails `app.ready()` naming that setting.
 *
 * @example
 * ```ts
 * const gh = await createGatehouse({ config: parseAuthEnv(process.env), store });
 * const app = Fastify();
 * await app.register(gatehousePlugin, { gatehouse: gh });
 * ```
 */
export const gatehousePlugin = fp<GatehousePluginOptions>(
  async (fastify, options) => {
    // A fastify-plugin ignores its own `prefix` option, and an enclosing `register` prefix applies
    // to every route: together they are where the routes would be mounted.
    const problem = mountProblem(options.gatehouse, `${fastify.prefix}${options.prefix ?? ''}`);
    if (problem !== null) throw problem;
    fastify.decorateRequest('gatehousePrincipal', null);
    await fastify.register(gatehouseRoutes, { gatehouse: options.gatehouse });
  },
  { name: '@gatehouse-auth/fastify', fastify: '5.x' },
);

/**
 * The gate for your own routes as an `onRequest` hook: the host allow-list, CSRF, authentication
 * and the REST rule on the concrete request path (whatever the route's pattern: parameters,
 * wildcards, a `register` prefix), before any body is read. A callback hook, not an async one: a credential
 * Gatehouse already knows is answered at once, without a Promise.
 *
 * @example
 * ```ts
 * app.get('/v1/projects', { onRequest: authenticate(gh) }, async (request) => ({
 *   data: [],
 *   viewer: principalOf(request).username,
 * }));
 * ```
 */
export function authenticate(gh: Gatehouse): onRequestHookHandler {
  const proceed = (
    result: GuardResult,
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void => {
    // An early answer from a callback hook: send it and do not call `done`.
    if (!result.ok) return void sendDenied(reply, result);
    request.gatehousePrincipal = result.principal;
    done();
  };
  return function gatehouseGuard(request, reply, done): void {
    const input: GuardInput = {
      method: request.method,
      // The concrete path the router matched, never `routeOptions.url` (the pattern: `/v1/*`).
      path: pathOfTarget(request.url),
      target: request.raw.url ?? null,
      authorization: nodeAuthorization(request.headers, request.raw.rawHeaders),
      cookie: header(request, 'cookie'),
      origin: header(request, 'origin'),
      referer: header(request, 'referer'),
      host: header(request, 'host'),
    };
    const known = gh.guardCached(input);
    if (known !== undefined) return proceed(known, request, reply, done);
    gh.guard(input).then(
      (result) => proceed(result, request, reply, done),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  };
}

/**
 * 403 unless the principal `authenticate` found has one of the roles (an `onRequest` hook after it; the admin secret counts as ADMIN).
 *
 * @example
 * ```ts
 * app.delete('/v1/projects/:id', { onRequest: [authenticate(gh), requireRole(['ADMIN'])] }, deleteProject);
 * ```
 */
export function requireRole(roles: readonly Role[]): onRequestHookHandler {
  return function gatehouseRole(request, reply, done): void {
    const principal = request.gatehousePrincipal;
    if (principal == null)
      return done(adapterMisuse('@gatehouse-auth/fastify requireRole', 'mount authenticate before it'));
    const result = checkRole(principal, roles);
    if (!result.ok) return void sendDenied(reply, result);
    done();
  };
}

/**
 * The principal `authenticate` found for this request (it lives in `request.gatehousePrincipal`).
 *
 * @example
 * ```ts
 * app.get('/whoami', { onRequest: authenticate(gh) }, async (request) => {
 *   const principal = principalOf(request);
 *   return { id: principal.userId, role: principal.role };
 * });
 * ```
 */
export function principalOf(request: FastifyRequest): GuardedPrincipal {
  const principal = request.gatehousePrincipal;
  if (principal == null)
    throw adapterMisuse('@gatehouse-auth/fastify principalOf', 'authenticate did not run for this route');
  return principal;
}

const MALFORMED_PATH = new ValidationError(MALFORMED_PATH_MESSAGE, { code: 'malformed_path' });

/**
 * Fastify refuses a path it cannot percent-decode before any route or hook runs, with its own 400
 * body. Pass this as `Fastify({ frameworkErrors })` to answer those as every other adapter does: a
 * 400 `malformed_path` with the JSON error body.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code !== 'FST_ERR_BAD_URL') {
    void reply.send(error);
    return;
  }
  void reply
    .code(MALFORMED_PATH.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(MALFORMED_PATH.toJSON()));
}
