/**
 * `client_assertion_jwt` (docs/phoenix-contract.md#client-assertion): the relying party authenticates at the IdP's token endpoint
 * with a JWT the platform mints into a file (AKS workload identity, SPIFFE, projected service-account
 * tokens). Gatehouse relays it untouched; the file is read at every code exchange so rotation needs
 * no restart, and checked: a regular file (no FIFO, directory or device), at most 64 KiB, UTF-8,
 * non-empty after trimming.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ClientAuth } from 'oauth4webapi';
import type { ClientAssertionSource } from '../config/index.js';

export const MAX_CLIENT_ASSERTION_BYTES = 65_536;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Why the assertion could not be used; the message names the file only when it was configured directly. */
export class ClientAssertionError extends Error {
  override readonly name = 'ClientAssertionError';
}

function label(source: ClientAssertionSource): string {
  // A path from a named variable may be a secret location (a mounted token): name the variable instead.
  return source.variable === null
    ? `the client assertion file '${source.path}'`
    : `the client assertion file named by ${source.variable}`;
}

export async function readClientAssertion(source: ClientAssertionSource): Promise<string> {
  const what = label(source);
  let handle;
  try {
    // Non-blocking: opening a FIFO must not wait for a writer.
    handle = await open(source.path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown';
    throw new ClientAssertionError(`${what} cannot be opened (${code})`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ClientAssertionError(`${what} is not a regular file`);
    // One byte past the limit tells an oversized file from one of exactly the limit.
    const buffer = Buffer.alloc(MAX_CLIENT_ASSERTION_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_CLIENT_ASSERTION_BYTES)
        throw new ClientAssertionError(`${what} is larger than ${MAX_CLIENT_ASSERTION_BYTES} bytes`);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, length));
    } catch {
      throw new ClientAssertionError(`${what} is not valid UTF-8`);
    }
    const assertion = text.trim();
    if (assertion === '') throw new ClientAssertionError(`${what} is empty`);
    return assertion;
  } finally {
    await handle.close();
  }
}

/** oauth4webapi client authentication that sends the file's assertion (RFC 7523 §2.2) and the client id, no secret. */
export function clientAssertionAuth(source: ClientAssertionSource): ClientAuth {
  return async (_as, client, body) => {
    const assertion = await readClientAssertion(source);
    const present = body.get('client_id');
    if (present !== null && present !== client.client_id)
      throw new ClientAssertionError('the token request carries another client_id');
    body.set('client_id', client.client_id);
    body.set('client_assertion_type', JWT_BEARER);
    body.set('client_assertion', assertion);
  };
}
