import { UnavailableError, type Logger, type RevocationChannel, type RevocationEvent } from '@gatehouse-auth/core';
import { REVOCATION_ALL, createRevocationRelay } from '@gatehouse-auth/core/adapter-kit';
import type { Client, Notification } from 'pg';
import { isUnavailable } from './errors.js';
import { loadPg } from './postgres.js';

export interface PostgresRevocationChannelOptions {
  connectionString: string;
  /** The NOTIFY channel every instance shares. Default: `gatehouse_revocations`. */
  channel?: string;
  logger?: Logger;
}

export interface PostgresRevocationChannel extends RevocationChannel {
  /** False from the moment the listening connection fails until it listens again. */
  isLive(): boolean;
  /** Stops listening and reconnecting. Local delivery keeps working; nothing more goes out. */
  close(): Promise<void>;
}

const DEFAULT_CHANNEL = 'gatehouse_revocations';
/** Shown in `pg_stat_activity`; a `application_name` in the connection string wins. */
const APPLICATION_NAME = 'gatehouse-revocations';
/** PostgreSQL truncates longer identifiers in LISTEN but rejects them in pg_notify. */
const MAX_CHANNEL_BYTES = 63;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1_000;
/** A publish that hangs longer than this counts as a lost connection, so a logout never hangs on it. */
const QUERY_TIMEOUT_MS = 5_000;
/** Without it a connect to a host that drops packets could stall the reconnect loop for minutes. */
const CONNECT_TIMEOUT_MS = 5_000;

const noopLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * Revocations across instances over PostgreSQL `LISTEN`/`NOTIFY`, on one dedicated connection
 * (outside any pool, since a pooled connection would drop the LISTEN when returned). Resolves
 * once that connection listens; a database unreachable at start-up is an `UnavailableError`.
 * After that it reconnects forever; while it is down `isLive()` is false, publishes are
 * delivered locally and queued, and when it listens again local listeners get `{ type: 'all' }`
 * (whatever was sent meanwhile is lost) before the queue goes out.
 *
 * @example
 * ```ts
 * const revocations = await createPostgresRevocationChannel({ connectionString: process.env.DATABASE_URL! });
 * const gh = await createGatehouse({ config, store, revocations });
 * ```
 */
export async function createPostgresRevocationChannel(
  options: PostgresRevocationChannelOptions,
): Promise<PostgresRevocationChannel> {
  const channel = options.channel ?? DEFAULT_CHANNEL;
  const channelBytes = Buffer.byteLength(channel);
  if (channelBytes === 0 || channelBytes > MAX_CHANNEL_BYTES) {
    throw new TypeError(`createPostgresRevocationChannel: \`channel\` must be 1 to ${MAX_CHANNEL_BYTES} bytes`);
  }
  const logger = options.logger ?? noopLogger;
  // pg is loaded here, not at import, so a SQLite-only host never loads it (nor needs it installed).
  const pg = await loadPg('PostgreSQL LISTEN/NOTIFY (createPostgresRevocationChannel)');
  const relay = createRevocationRelay({ logger });
  let current: Client | null = null;
  let live = false;
  let closed = false;
  let retryDelay = FIRST_RETRY_MS;
  let retryTimer: NodeJS.Timeout | undefined;
  let failedAttempts = 0;

  function onNotification(message: Notification): void {
    // Anyone with database access can NOTIFY this channel: the relay treats the payload as untrusted.
    if (message.channel === channel) relay.receive(message.payload, { channel });
  }

  /** Forgets a connection that failed. Stale clients (already replaced or abandoned) are ignored. */
  function lose(client: Client, error?: unknown): void {
    if (client !== current) return;
    current = null;
    live = false;
    client.end().catch(() => {});
    if (closed) return;
    logger.warn('revocation channel lost its PostgreSQL connection; caches are bypassed until it is back', {
      channel,
      error,
    });
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer !== undefined) return;
    const delay = retryDelay;
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void reconnect();
    }, delay);
    // A database that stays down must not keep the process from exiting.
    retryTimer.unref();
  }

  async function connect(): Promise<Client> {
    const client = new pg.Client({
      application_name: APPLICATION_NAME,
      connectionString: options.connectionString,
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
    });
    // Unhandled, a client 'error' would crash the host; it means the connection is gone.
    client.on('error', (error) => lose(client, error));
    client.on('end', () => lose(client));
    client.on('notification', onNotification);
    try {
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    return client;
  }

  async function reconnect(): Promise<void> {
    let client: Client;
    try {
      client = await connect();
    } catch {
      failedAttempts += 1;
      scheduleReconnect();
      return;
    }
    if (closed) {
      client.end().catch(() => {});
      return;
    }
    current = client;
    live = true;
    retryDelay = FIRST_RETRY_MS;
    logger.info('revocation channel reconnected to PostgreSQL', { channel, failedAttempts });
    failedAttempts = 0;
    relay.deliver(REVOCATION_ALL);
    void flush(client);
  }

  /**
   * Sends what was published while disconnected (`notify` runs one query at a time). Payloads whose
   * send fails go back in front of the queue; their order may change, which evictions do not mind.
   */
  async function flush(client: Client): Promise<void> {
    const pending = relay.takeHeld();
    if (pending.length === 0) return;
    const results = await Promise.allSettled(pending.map((payload) => notify(client, payload)));
    const failed: string[] = [];
    let firstError: unknown;
    results.forEach((result, index) => {
      const payload = pending[index];
      if (result.status === 'rejected' && payload !== undefined) {
        failed.push(payload);
        firstError ??= result.reason;
      }
    });
    if (failed.length > 0) requeue(client, failed, firstError);
  }

  /**
   * Payloads that `client` failed to send: they go back in front of anything queued since, and
   * out on the next connection — at once if that one is already up.
   */
  function requeue(client: Client, payloads: readonly string[], error: unknown): void {
    relay.hold(payloads, true);
    lose(client, error);
    if (current !== null && current !== client && live) void flush(current);
  }

  // One query at a time per client: pg queues overlapping queries itself but warns that doing so is
  // deprecated (pg 9 drops it), and a burst of revocations or a flush after a reconnect overlaps.
  const sending = new WeakMap<Client, Promise<unknown>>();
  function notify(client: Client, payload: string): Promise<void> {
    const sent = (sending.get(client) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => client.query('SELECT pg_notify($1, $2)', [channel, payload]));
    sending.set(client, sent);
    return sent.then(() => undefined);
  }

  try {
    current = await connect();
  } catch (error) {
    if (isUnavailable(error))
      throw new UnavailableError('Revocation channel unavailable', { code: 'unavailable', cause: error });
    throw error;
  }
  live = true;

  return {
    async publish(event: RevocationEvent): Promise<void> {
      relay.deliver(event);
      if (closed) return;
      const payload = relay.encode(event);
      const client = current;
      if (client === null || !live) {
        relay.hold([payload]);
        return;
      }
      try {
        await notify(client, payload);
      } catch (error) {
        // Delivered locally already; the others get it after the reconnect this forces.
        requeue(client, [payload], error);
      }
    },
    subscribe: relay.subscribe,
    isLive(): boolean {
      return live && !closed;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      live = false;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      const client = current;
      current = null;
      if (client !== null) await client.end().catch(() => {});
    },
  };
}
