import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClientAssertionError, clientAssertionAuth, readClientAssertion } from '../../src/oauth2/client-assertion.js';

const dir = mkdtempSync(join(tmpdir(), 'gh-assertion-unit-'));

describe('client assertion file (docs/phoenix-contract.md#client-assertion)', () => {
  it('reads, trims, and accepts exactly 64 KiB', async () => {
    const path = join(dir, 'ok.jwt');
    writeFileSync(path, '  a.b.c \n');
    expect(await readClientAssertion({ path, variable: null })).toBe('a.b.c');
    writeFileSync(path, 'x'.repeat(65_536));
    expect(await readClientAssertion({ path, variable: null })).toHaveLength(65_536);
    writeFileSync(path, 'x'.repeat(65_537));
    await expect(readClientAssertion({ path, variable: null })).rejects.toThrow(
      `the client assertion file '${path}' is larger than 65536 bytes`,
    );
  });

  it('names a direct path, but only the variable for an indirect one', async () => {
    const path = join(dir, 'secret-location', 'token');
    await expect(readClientAssertion({ path, variable: null })).rejects.toThrow(
      `the client assertion file '${path}' cannot be opened (ENOENT)`,
    );
    const error = await readClientAssertion({ path, variable: 'AZURE_FEDERATED_TOKEN_FILE' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientAssertionError);
    expect((error as Error).message).toBe(
      'the client assertion file named by AZURE_FEDERATED_TOKEN_FILE cannot be opened (ENOENT)',
    );
    expect(JSON.stringify(error) + String((error as Error).stack) + String((error as Error).cause)).not.toContain(
      'secret-location',
    );
  });

  it('puts the assertion, its type and the client id in the form; a conflicting client_id is refused', async () => {
    const path = join(dir, 'form.jwt');
    writeFileSync(path, 'h.p.s');
    const auth = clientAssertionAuth({ path, variable: null });
    const body = new URLSearchParams({ grant_type: 'authorization_code' });
    const headers = new Headers();
    await auth({ issuer: 'https://idp' }, { client_id: 'rp' }, body, headers);
    expect(Object.fromEntries(body)).toEqual({
      grant_type: 'authorization_code',
      client_id: 'rp',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: 'h.p.s',
    });
    expect(headers.has('authorization')).toBe(false);
    await expect(
      auth({ issuer: 'https://idp' }, { client_id: 'rp' }, new URLSearchParams({ client_id: 'other' }), new Headers()),
    ).rejects.toThrow('another client_id');
  });
});
