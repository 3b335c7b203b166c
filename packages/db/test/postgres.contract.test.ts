import { afterAll, beforeAll } from 'vitest';
import { defineStoreContract } from '../../../test/store-contract/contract.js';
import { createPostgresStore } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';

let database: TestDatabase | undefined;
let count = 0;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

// One database for this file; each test gets its own schema in it, so every test starts empty
// and the `schema` option is exercised on every operation.
defineStoreContract('PostgreSQL (pg)', async () => {
  if (!database) throw new Error('the test database was not created');
  const store = await createPostgresStore({ connectionString: database.url, schema: `contract_${++count}` });
  return { store, cleanup: () => store.close() };
});
