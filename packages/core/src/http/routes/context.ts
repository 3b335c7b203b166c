import type { AuthConfig } from '../../config/index.js';
import type { IdpLogout } from '../../oauth2/idp-logout.js';
import type { Principal } from '../../policy/index.js';
import type { BackgroundWork, ServiceDeps } from '../../services/index.js';

/** What a route handler receives: the request, its parameters and who is asking. */
export interface RouteContext {
  readonly request: Request;
  readonly url: URL;
  /** The values of the matched pattern's `{name}` segments, in order. */
  readonly params: readonly string[];
  /** Set for every `/v1` route (the gate ran first); null on the `/auth` routes. */
  readonly principal: Principal | null;
  readonly clientAddress: string | null;
  readonly app: RouteEnvironment;
}

/** The composed pieces every handler may use. */
export interface RouteEnvironment {
  readonly config: AuthConfig;
  readonly deps: ServiceDeps;
  readonly systemUserId: number;
  /** Root path + `path`: where redirects point. */
  prefixed(path: string): string;
  /** `config.publicUrl`: the base of links in mail and OAuth2 callbacks, from configuration only. */
  readonly publicUrl: string;
  authenticateRequest(request: Request): Promise<Principal | null>;
  /** OpenID Connect logout (RP-initiated and back-channel); null without IdPs or with auth off. */
  readonly idpLogout: IdpLogout | null;
  /** Work finished after the answer (the reset mail); `Gatehouse.close()` waits for it. */
  readonly background: BackgroundWork;
}

export type RouteHandler = (context: RouteContext) => Promise<Response>;

export interface RouteDefinition {
  readonly method: string;
  /** Relative to the root path; parameters as `{name}`, the syntax of the REST rule's specs (docs/permissions.md). */
  readonly pattern: string;
  /** `auth`: public, rate limited; `v1`: behind the authentication gate and the REST rule. */
  readonly kind: 'auth' | 'v1' | 'public';
  /** The CSRF check ignores `Referer` (the OAuth callback, reached from the IdP's page). */
  readonly csrfReferrerExempt?: boolean;
  readonly handler: RouteHandler;
}
