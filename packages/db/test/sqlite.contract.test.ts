import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { defineStoreContract } from '../../../test/store-contract/contract.js';
import { createSqliteStore } from '../src/index.js';

let directory = '';
let count = 0;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-contract-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

// A real file per store (WAL, foreign keys and all), never :memory:.
defineStoreContract('SQLite (better-sqlite3, file)', async () => {
  const store = await createSqliteStore({ filename: join(directory, `store-${++count}.db`) });
  return { store, cleanup: () => store.close() };
});
