import { isIP } from 'node:net';

/** `::ffff:10.0.0.1` and `10.0.0.1` are the same client. */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

/**
 * The address rate limits are keyed by. `X-Forwarded-For` is believed only when the socket peer is
 * one of `trustedProxies` (never by default): then the right-most address that is not itself a
 * trusted proxy is the client. Anyone can write that header; only a proxy you run appends to it.
 */
export function resolveClientAddress(
  peer: string | null | undefined,
  forwardedFor: string | null | undefined,
  trustedProxies: ReadonlySet<string>,
): string | null {
  if (!peer) return null;
  const direct = normalizeAddress(peer);
  if (!forwardedFor || !trustedProxies.has(direct)) return direct;
  const hops = forwardedFor
    .split(',')
    .map(normalizeAddress)
    .filter((hop) => isIP(hop) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trustedProxies.has(hop)) return hop;
  }
  return hops[0] ?? direct;
}
