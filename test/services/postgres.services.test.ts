import { afterAll, beforeAll } from 'vitest';
import { createPostgresStore } from '../../packages/db/src/index.js';
import { createTestDatabase, type TestDatabase } from '../../packages/db/test/support/postgres.js';
import { defineMfaServiceSuite } from '../../packages/core/test/services/mfa-suite.js';
import { definePasskeyServiceSuite } from '../../packages/core/test/services/passkey-suite.js';
import { defineServiceSuite } from '../../packages/core/test/services/service-suite.js';

let database: TestDatabase | undefined;
let count = 0;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

defineServiceSuite('PostgreSQL (a real server)', async () => {
  if (!database) throw new Error('the test database was not created');
  const store = await createPostgresStore({ connectionString: database.url, schema: `services_${++count}` });
  return { store, cleanup: () => store.close() };
});

defineMfaServiceSuite('PostgreSQL (a real server)', async () => {
  if (!database) throw new Error('the test database was not created');
  const store = await createPostgresStore({ connectionString: database.url, schema: `mfa_${++count}` });
  return { store, cleanup: () => store.close() };
});

definePasskeyServiceSuite('PostgreSQL (a real server)', async () => {
  if (!database) throw new Error('the test database was not created');
  const store = await createPostgresStore({ connectionString: database.url, schema: `passkeys_${++count}` });
  return { store, cleanup: () => store.close() };
});
