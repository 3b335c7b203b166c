import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  recorder,
  revocationChannelContract,
  waitFor,
  type Recorded,
} from '../../../test/support/revocation-channel-contract.js';
import { createPostgresRevocationChannel, type PostgresRevocationChannel } from '../src/index.js';
import { createTestDatabase, postgresAdminUrl, withClient, type TestDatabase } from './support/postgres.js';

let database: TestDatabase | undefined;
let count = 0;
let victims = 0;
const opened: PostgresRevocationChannel[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((channel) => channel.close()));
});

afterAll(async () => {
  await database?.drop();
});

function testDatabase(): TestDatabase {
  if (!database) throw new Error('the test database was not created');
  return database;
}

/** Every test gets its own NOTIFY channel, so nothing leaks between tests sharing the database. */
function freshChannelName(): string {
  return `revocations_test_${++count}`;
}

function urlWithApplicationName(name: string): string {
  const url = new URL(testDatabase().url);
  url.searchParams.set('application_name', name);
  return url.toString();
}

async function allowConnections(allow: boolean): Promise<void> {
  await withClient(postgresAdminUrl(), (admin) =>
    admin.query(`ALTER DATABASE ${testDatabase().name} WITH ALLOW_CONNECTIONS ${allow}`),
  );
}

revocationChannelContract('PostgreSQL LISTEN/NOTIFY', {
  defaultChannel: 'gatehouse_revocations',
  lossWarning: 'lost its PostgreSQL connection',
  freshChannelName,
  open: ({ channel, logger }) =>
    createPostgresRevocationChannel({ connectionString: testDatabase().url, channel, logger }),
  async openSeverable({ channel: name, logger }) {
    // Its own application_name, so its connection can be picked out and terminated.
    const victimName = `gatehouse_victim_${++victims}`;
    const channel = await createPostgresRevocationChannel({
      connectionString: urlWithApplicationName(victimName),
      channel: name,
      logger,
    });
    return {
      channel,
      async cut() {
        // Refuse new connections so the outage lasts until the test ends it.
        await allowConnections(false);
        try {
          // From the admin database: the test database takes no new connections now.
          const killed = await withClient(postgresAdminUrl(), (admin) =>
            admin.query<{ killed: boolean }>(
              'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
              [testDatabase().name, victimName],
            ),
          );
          expect(killed.rows).toEqual([{ killed: true }]);
        } catch (error) {
          await allowConnections(true);
          throw error;
        }
      },
      restore: () => allowConnections(true),
    };
  },
  openUnreachable: () => createPostgresRevocationChannel({ connectionString: 'postgres://gatehouse@127.0.0.1:1/none' }),
  async sendRaw(channel, payloads) {
    await withClient(testDatabase().url, async (client) => {
      for (const payload of payloads) await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
    });
  },
});

describe('PostgreSQL revocation channel', () => {
  async function open(channel: string, record: Recorded): Promise<PostgresRevocationChannel> {
    const created = await createPostgresRevocationChannel({
      connectionString: testDatabase().url,
      channel,
      logger: record.logger,
    });
    opened.push(created);
    created.subscribe((event) => record.events.push(event));
    return created;
  }

  it('drops a bare NOTIFY, which carries no payload at all, as malformed', async () => {
    const name = freshChannelName();
    const a = recorder();
    await open(name, a);

    await withClient(testDatabase().url, async (client) => {
      await client.query('SELECT pg_notify($1, $2)', [
        name,
        JSON.stringify({ o: 'elsewhere', e: { type: 'api_key', apiKeyId: 4, role: 'ADMIN' } }),
      ]);
      // A bare NOTIFY carries no payload at all.
      await client.query(`NOTIFY ${client.escapeIdentifier(name)}`);
      await client.query('SELECT pg_notify($1, $2)', [name, JSON.stringify({ o: 'elsewhere', e: { type: 'all' } })]);
    });

    // One session's notifications arrive in order: once the last one is here, all were handled.
    await waitFor('the final valid event', () => a.events.length === 2, 2_000);
    expect(a.events).toStrictEqual([{ type: 'api_key', apiKeyId: 4 }, { type: 'all' }]);
    expect(a.warnings.filter((message) => message.includes('malformed'))).toHaveLength(1);
  });

  it('rejects a channel name longer than PostgreSQL identifiers (63 bytes)', async () => {
    await expect(
      createPostgresRevocationChannel({ connectionString: testDatabase().url, channel: 'x'.repeat(64) }),
    ).rejects.toBeInstanceOf(TypeError);
  });
});
