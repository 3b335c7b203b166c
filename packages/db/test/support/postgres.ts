import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** The server the globalSetup provided; without one the PostgreSQL tests fail, loudly. */
export function postgresAdminUrl(): string {
  const url = inject('databaseUrl');
  if (!url)
    throw new Error(
      inject('databaseSetupError') || 'No PostgreSQL: test/setup/postgres.ts is not registered as a globalSetup',
    );
  return url;
}

async function onAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresAdminUrl() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh database per test file, so files can run in parallel on one server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gh_${randomBytes(6).toString('hex')}`;
  await onAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(postgresAdminUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => onAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** One short-lived client on the test database, for looking behind the store's back. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
