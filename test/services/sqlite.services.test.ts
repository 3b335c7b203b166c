import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createSqliteStore } from '../../packages/db/src/index.js';
import { defineMfaServiceSuite } from '../../packages/core/test/services/mfa-suite.js';
import { definePasskeyServiceSuite } from '../../packages/core/test/services/passkey-suite.js';
import { defineServiceSuite } from '../../packages/core/test/services/service-suite.js';

let directory = '';
let count = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-services-sqlite-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

defineServiceSuite('SQLite (a real file)', async () => {
  const store = await createSqliteStore({ filename: join(directory, `services-${++count}.db`) });
  return { store, cleanup: () => store.close() };
});

defineMfaServiceSuite('SQLite (a real file)', async () => {
  const store = await createSqliteStore({ filename: join(directory, `mfa-${++count}.db`) });
  return { store, cleanup: () => store.close() };
});

definePasskeyServiceSuite('SQLite (a real file)', async () => {
  const store = await createSqliteStore({ filename: join(directory, `passkeys-${++count}.db`) });
  return { store, cleanup: () => store.close() };
});
