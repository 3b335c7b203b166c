/**
 * The WebAuthn relying party of this deployment, from configuration only (docs/architecture.md#rule-9): the RP id
 * is the host name of the public URL and the only accepted origin is its origin. A request's `Host`,
 * `Origin` or `X-Forwarded-*` never widens either, so an assertion made for another site (a phishing
 * domain proxying the pages) never verifies here.
 */
export interface RelyingParty {
  /** The RP id: the public URL's host name, without port. */
  readonly id: string;
  /** The one origin browsers may sign for: scheme, host and port of the public URL. */
  readonly origin: string;
  /** What authenticators show: the host. */
  readonly name: string;
}

export function relyingPartyOf(publicUrl: string): RelyingParty {
  const url = new URL(publicUrl);
  return { id: url.hostname, origin: url.origin, name: url.host || url.hostname };
}
