import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../packages/db/src/index.js';
import { createUserApiKey, login, updateOwnProfile } from '../../packages/core/src/services/index.js';
import { bearer, makeHarness } from '../../packages/core/test/support/harness.js';

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-restart-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('restarting on the same SQLite file', () => {
  it('keeps users, keys and sessions; the default admin is neither recreated nor reset', async () => {
    const filename = join(directory, 'gatehouse.sqlite');

    const first = await makeHarness({}, await createSqliteStore({ filename }));
    const s = await login(first.deps, { email: 'admin@localhost', password: 'admin-initial' });
    const adminP = await first.auth.authenticate(bearer(s.accessToken));
    if (!adminP.ok) throw new Error('login token refused');
    await updateOwnProfile(first.deps, adminP.principal, { password: 'chosen-pw', currentPassword: 'admin-initial' });
    const session = await login(first.deps, { email: 'admin@localhost', password: 'chosen-pw' });
    const p = await first.auth.authenticate(bearer(session.accessToken));
    if (!p.ok) throw new Error('login token refused');
    const key = await createUserApiKey(first.deps, p.principal, { name: 'survives' });
    const adminBefore = await first.store.findUserByEmail('admin@localhost');
    first.auth.close();
    await first.store.close();

    // a new process: new store connection, new caches, bootstrap runs again
    const second = await makeHarness(
      { PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD: 'something-else' },
      await createSqliteStore({ filename }),
    );
    try {
      expect(second.systemUserId).toBe(first.systemUserId);
      expect(await second.store.findUserByEmail('admin@localhost')).toEqual(adminBefore);
      expect(await second.store.countUsersByRole('ADMIN')).toBe(1);
      expect((await second.auth.authenticate(bearer(session.accessToken))).ok).toBe(true);
      expect((await second.auth.authenticate(bearer(key.key))).ok).toBe(true);
      await login(second.deps, { email: 'admin@localhost', password: 'chosen-pw' });
      await expect(login(second.deps, { email: 'admin@localhost', password: 'something-else' })).rejects.toMatchObject({
        code: 'invalid_credentials',
      });
    } finally {
      second.auth.close();
      await second.store.close();
    }
  });
});
