import { UnavailableError, type Logger, type RevocationChannel, type RevocationEvent } from '@gatehouse-auth/core';
import { REVOCATION_ALL, createRevocationRelay } from '@gatehouse-auth/core/adapter-kit';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisRevocationChannelOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** The pub/sub channel every instance shares. Default: `gatehouse:revocations`. */
  channel?: string;
  logger?: Logger;
}

export interface RedisRevocationChannel extends RevocationChannel {
  /** False from the moment the subscribing connection drops until it is subscribed again. */
  isLive(): boolean;
  /** Stops listening, publishing and reconnecting. Local delivery keeps working. */
  close(): Promise<void>;
}

const DEFAULT_CHANNEL = 'gatehouse:revocations';
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1_000;
/** A command that hangs longer than this fails (a publish is then queued), so a logout never hangs on it. */
const COMMAND_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 5_000;

const noopLogger: Logger = { info() {}, warn() {}, error() {} };

function connectionOptions(name: string): RedisOptions {
  return {
    connectionName: name,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Forever, 100 ms doubling up to 1 s: revocations must resume as soon as Redis is back.
    retryStrategy: (attempt) => Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1), MAX_RETRY_MS),
    // Commands fail at once while disconnected instead of waiting: the channel queues itself.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // The channel resubscribes itself, so it knows when the subscription is really back.
    autoResubscribe: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
  };
}

async function shutDown(connection: Redis): Promise<void> {
  if (connection.status === 'ready') await connection.quit().catch(() => {});
  // Also stops a pending reconnect, and is harmless after QUIT.
  connection.disconnect(false);
}

/**
 * Revocations across instances over Redis pub/sub, on two connections of its own (a subscribed
 * connection can send nothing else). Resolves once subscribed; a Redis unreachable at start-up is
 * an `UnavailableError`. After that it reconnects forever; while the subscriber is down `isLive()`
 * is false and publishes are delivered locally and queued. When it is subscribed again, local
 * listeners get `{ type: 'all' }` (whatever was sent meanwhile is lost), then the queue goes out.
 *
 * @example
 * ```ts
 * const revocations = await createRedisRevocationChannel({ url: process.env.REDIS_URL! });
 * const gh = await createGatehouse({ config, store, revocations });
 * ```
 */
export async function createRedisRevocationChannel(
  options: RedisRevocationChannelOptions,
): Promise<RedisRevocationChannel> {
  const channel = options.channel ?? DEFAULT_CHANNEL;
  if (channel === '') throw new TypeError('createRedisRevocationChannel: `channel` must not be empty');
  const logger = options.logger ?? noopLogger;
  const relay = createRevocationRelay({ logger });
  const subscriber = new Redis(options.url, connectionOptions('gatehouse-revocations-sub'));
  const publisher = new Redis(options.url, connectionOptions('gatehouse-revocations-pub'));
  let live = false;
  let closed = false;
  let reconnectAttempts = 0;

  /** Only while the publisher is ready; what fails goes back in front of the queue. */
  async function send(payloads: readonly string[]): Promise<void> {
    const results = await Promise.allSettled(payloads.map((payload) => publisher.publish(channel, payload)));
    const failed = payloads.filter((_, index) => results[index]?.status === 'rejected');
    // Delivered locally already; the others get them once the publisher is back.
    if (failed.length > 0) relay.hold(failed, true);
  }

  function flush(): void {
    if (closed || publisher.status !== 'ready') return;
    const pending = relay.takeHeld();
    if (pending.length > 0) void send(pending);
  }

  function onMessage(from: string, payload: string): void {
    if (from === channel) relay.receive(payload, { channel });
  }

  function onSubscriberClosed(): void {
    if (closed || !live) return;
    live = false;
    logger.warn('revocation channel lost its Redis subscription; caches are bypassed until it is back', { channel });
  }

  function onSubscriberReady(): void {
    subscriber.subscribe(channel).then(
      () => {
        if (closed || live) return;
        live = true;
        logger.info('revocation channel resubscribed to Redis', { channel, reconnectAttempts });
        reconnectAttempts = 0;
        relay.deliver(REVOCATION_ALL);
        flush();
      },
      (error: unknown) => {
        // A dropped connection retries on its next 'ready'; anything else would leave it dead.
        if (subscriber.status === 'ready') logger.error('revocation channel could not resubscribe', { channel, error });
      },
    );
  }

  // Unhandled, ioredis prints every failed reconnect; 'close' already says what matters.
  subscriber.on('error', () => {});
  publisher.on('error', () => {});
  subscriber.on('message', onMessage);

  try {
    await Promise.all([subscriber.connect(), publisher.connect()]);
    await subscriber.subscribe(channel);
  } catch (error) {
    subscriber.disconnect(false);
    publisher.disconnect(false);
    throw new UnavailableError('Revocation channel unavailable', { code: 'unavailable', cause: error });
  }
  live = true;
  // Registered only now: the first 'ready' was the start-up above.
  subscriber.on('close', onSubscriberClosed);
  subscriber.on('reconnecting', () => {
    reconnectAttempts += 1;
  });
  subscriber.on('ready', onSubscriberReady);
  publisher.on('ready', flush);

  return {
    async publish(event: RevocationEvent): Promise<void> {
      relay.deliver(event);
      if (closed) return;
      const payload = relay.encode(event);
      if (publisher.status !== 'ready') {
        relay.hold([payload]);
        return;
      }
      // Anything still queued goes first: one connection sends in order.
      flush();
      await send([payload]);
    },
    subscribe: relay.subscribe,
    isLive(): boolean {
      return live && !closed;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      live = false;
      await Promise.all([shutDown(subscriber), shutDown(publisher)]);
    },
  };
}
