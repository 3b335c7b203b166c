/**
 * @module
 * `@gatehouse-auth/express`: Gatehouse on Express 4 and 5. `gatehouse(gh)` serves Gatehouse's own
 * routes, `authenticate(gh)` is the gate for yours, `requireRole(roles)` and `principalOf(res)` work
 * after it. The adapter translates; every decision is core's (docs/architecture.md#rule-1).
 */
import { Readable } from 'node:stream';
import type { Gatehouse, GuardInput, GuardResult, GuardedPrincipal, Role } from '@gatehouse-auth/core';
import {
  adapterMisuse,
  checkRole,
  fetchHeadersOfNode,
  mountProblem,
  nodeAuthorization,
} from '@gatehouse-auth/core/adapter-kit';
import type {
  ErrorRequestHandler,
  Request as ExpressRequest,
  NextFunction,
  RequestHandler,
  Response as ExpressResponse,
} from 'express';

export type { GuardedPrincipal } from '@gatehouse-auth/core';

/** Where `authenticate` leaves the principal: `res.locals.principal` (or `principalOf(res)`). */
export interface GatehouseLocals {
  principal: GuardedPrincipal;
}

/**
 * The concrete path Express routed, from the app's root: the mount path it matched (`baseUrl`)
 * plus the path below it. Both come from Express's own parse of the request target, so an
 * absolute-form target (`PUT http://host/v1/x`) is already reduced to `/v1/x` here, and a route
 * pattern (`/v1/*splat`, `/v1/projects{/:id}`) never stands in for the path.
 */
function pathOf(req: ExpressRequest): string {
  return `${req.baseUrl}${req.path}`;
}

function searchOf(req: ExpressRequest): string {
  const target = req.originalUrl;
  const q = target.indexOf('?');
  return q === -1 ? '' : target.slice(q);
}

function header(req: ExpressRequest, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

type Body = ReadableStream<Uint8Array> | string | null;

function toFetchRequest(req: ExpressRequest, body: Body, keepLength: boolean): Request {
  const headers = fetchHeadersOfNode(req.headers, req.rawHeaders);
  // The origin is a placeholder: core builds public URLs from configuration, never from the request.
  const url = `http://localhost${pathOf(req)}${searchOf(req)}`;
  const method = req.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  if (typeof body === 'string' && !keepLength) headers.delete('content-length');
  return new Request(url, { method, headers, body, duplex: 'half' });
}

/**
 * The body as core must see it. Unread: the raw stream, untouched. Already read by a body parser
 * mounted earlier (`express.json()`): the parsed value re-serialised, which core checks again.
 */
function bodyOf(req: ExpressRequest): Body {
  if (!req.readableEnded) return Readable.toWeb(req) as ReadableStream<Uint8Array>;
  // body-parser reads an empty body as `{}`; core must still see it empty.
  if (req.headers['content-length'] === '0') return '';
  const parsed = (req as { body?: unknown }).body;
  return parsed === undefined ? null : JSON.stringify(parsed);
}

async function send(res: ExpressResponse, response: Response): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.end(Buffer.from(await response.arrayBuffer()));
}

function sendDenied(res: ExpressResponse, result: Extract<GuardResult, { ok: false }>): void {
  res.status(result.status).set(result.headers).end(result.body);
}

interface BodyParserError {
  type: string;
  body?: unknown;
  length?: unknown;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { type?: unknown }).type === 'string' &&
    'expose' in error
  );
}

/**
 * Serves Gatehouse's own routes and passes every other request on. Mount it at the app's root, or
 * under `PHOENIX_HOST_ROOT_PATH` (`app.use('/api', gatehouse(gh))` with `PHOENIX_HOST_ROOT_PATH=/api`);
 * under any other prefix every request there fails with an error naming that setting. Returns two handlers for
 * `app.use(...)`: the second catches a body parser mounted earlier refusing one of Gatehouse's
 * requests (malformed or oversized JSON) and hands the request to core anyway, so the answer is
 * core's JSON error, exactly as without `express.json()`.
 *
 * @example
 * ```ts
 * const gh = await createGatehouse({ config: parseAuthEnv(process.env), store });
 * const app = express();
 * app.use(gatehouse(gh));
 * ```
 */
export function gatehouse(gh: Gatehouse): [RequestHandler, ErrorRequestHandler] {
  const dispatch = (
    req: ExpressRequest,
    res: ExpressResponse,
    next: (error?: unknown) => void,
    body: Body,
    keepLength = false,
  ): void => {
    gh.handle(toFetchRequest(req, body, keepLength), {
      remoteAddress: req.socket.remoteAddress ?? null,
      target: req.originalUrl,
    })
      .then((response) => (response ? send(res, response) : next()))
      .catch(next);
  };
  // Mount paths this handler has been reached under (`app.use('/api', …)`), checked once each.
  const mounts = new Map<string, Error | null>();
  const routes: RequestHandler = (req, res, next) => {
    if (req.baseUrl !== '') {
      let problem = mounts.get(req.baseUrl);
      if (problem === undefined) {
        problem = mountProblem(gh, req.baseUrl);
        // Bounded: a parameterised mount path (`/:tenant`) must not grow the map without limit.
        if (mounts.size < 64) mounts.set(req.baseUrl, problem);
      }
      if (problem !== null) return next(problem);
    }
    if (!gh.owns(pathOf(req))) return next();
    dispatch(req, res, next, bodyOf(req));
  };
  const parserErrors: ErrorRequestHandler = (error: unknown, req, res, next) => {
    if (!isBodyParserError(error) || !gh.owns(pathOf(req))) return next(error);
    // A parse failure keeps the raw text: core reports it as malformed JSON. Anything else (too
    // large, bad charset) left no body to give: the declared length lets core refuse the size.
    if (typeof error.body === 'string') dispatch(req, res, next, error.body);
    else dispatch(req, res, next, '', error.type === 'entity.too.large');
  };
  return [routes, parserErrors];
}

/**
 * The gate for your own routes: the host allow-list, CSRF, authentication and the REST rule;
 * attaches the principal to `res.locals.principal`. However it is mounted (on a route, with
 * `app.use` under a prefix, on a wildcard or optional-segment route, in a sub-router) it decides on
 * the concrete path Express routed, never on the route pattern. Only header values reach core.
 *
 * @example
 * ```ts
 * app.get('/v1/projects', authenticate(gh), (req, res) => {
 *   res.json({ data: [], viewer: principalOf(res).username });
 * });
 * ```
 */
export function authenticate(gh: Gatehouse): RequestHandler {
  const proceed = (result: GuardResult, res: ExpressResponse, next: NextFunction): void => {
    if (!result.ok) return sendDenied(res, result);
    (res.locals as GatehouseLocals).principal = result.principal;
    next();
  };
  return (req, res, next) => {
    const input: GuardInput = {
      method: req.method,
      path: pathOf(req),
      target: req.originalUrl,
      authorization: nodeAuthorization(req.headers, req.rawHeaders),
      cookie: header(req, 'cookie'),
      origin: header(req, 'origin'),
      referer: header(req, 'referer'),
      host: header(req, 'host'),
    };
    // A credential Gatehouse already knows is answered at once, without a Promise.
    const known = gh.guardCached(input);
    if (known !== undefined) return proceed(known, res, next);
    gh.guard(input).then((result) => proceed(result, res, next), next);
  };
}

/**
 * 403 unless the principal `authenticate` found has one of the roles (the admin secret counts as ADMIN).
 *
 * @example
 * ```ts
 * app.delete('/v1/projects/:id', authenticate(gh), requireRole(['ADMIN']), deleteProject);
 * ```
 */
export function requireRole(roles: readonly Role[]): RequestHandler {
  return (_req, res, next) => {
    const principal = (res.locals as Partial<GatehouseLocals>).principal;
    if (principal === undefined)
      return next(adapterMisuse('@gatehouse-auth/express requireRole', 'mount authenticate before it'));
    const result = checkRole(principal, roles);
    if (!result.ok) return sendDenied(res, result);
    next();
  };
}

/**
 * The principal `authenticate` found for this response.
 *
 * @example
 * ```ts
 * app.get('/whoami', authenticate(gh), (_req, res) => {
 *   const principal = principalOf(res);
 *   res.json({ id: principal.userId, role: principal.role });
 * });
 * ```
 */
export function principalOf(res: ExpressResponse): GuardedPrincipal {
  const principal = (res.locals as Partial<GatehouseLocals>).principal;
  if (principal === undefined)
    throw adapterMisuse('@gatehouse-auth/express principalOf', 'authenticate did not run for this route');
  return principal;
}
