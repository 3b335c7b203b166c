const DUMMY_ORIGIN = 'http://return-url.invalid';

function decoded(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

function staysOnSite(path: string): boolean {
  // Phoenix's rule: `/` alone, or `/` then a word character (no `//host`, no `/\host`).
  if (!/^\/($|\w)/.test(path)) return false;
  // Stricter than Phoenix: printable ASCII only, and the browser's own parse must keep
  // the origin (a tab or backslash later in the path can no longer turn it into another host).
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    // Printable ASCII only: anything else cannot go into a Location header as given.
    if (code < 0x20 || code > 0x7e || code === 0x5c /* \ */) return false;
  }
  try {
    return new URL(path, DUMMY_ORIGIN).origin === DUMMY_ORIGIN;
  } catch {
    return false;
  }
}

/**
 * Whether a `returnUrl` may follow a login: a path on this deployment, checked both as given and
 * percent-decoded (`%2F%2Fevil.com` is `//evil.com`). Only the value as given is ever redirected to.
 */
export function isSafeReturnUrl(value: string): boolean {
  const plain = decoded(value);
  return plain !== null && staysOnSite(value) && staysOnSite(plain);
}
