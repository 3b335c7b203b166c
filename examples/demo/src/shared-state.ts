import type { Logger, RateLimitStore, RevocationChannel } from '@gatehouse-auth/core';
import type { ServerSettings } from '@gatehouse-auth/core/server-env';

/** What several instances must share: rate limits and lockouts, and the revocation fan-out. */
export interface SharedState {
  readonly rateLimits?: RateLimitStore;
  readonly revocations?: RevocationChannel;
  /** For the start-up line. */
  readonly description: string;
  close(): Promise<void>;
}

/**
 * Redis when `GATEHOUSE_REDIS_URL` is set (rate limits, lockouts and revocations); else, on
 * PostgreSQL, revocations over `LISTEN/NOTIFY` (counters stay per instance); else one process.
 */
export async function openSharedState(settings: ServerSettings, logger: Logger): Promise<SharedState> {
  if (settings.redisUrl !== null) {
    const [{ Redis }, { createRedisRateLimitStore, createRedisRevocationChannel }] = await Promise.all([
      import('ioredis'),
      import('@gatehouse-auth/redis'),
    ]);
    // No offline queue: while Redis is down a limiter call fails at once (the route answers 503)
    // instead of waiting for a reconnect.
    const redis = new Redis(settings.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    redis.on('error', () => {});
    await redis.connect();
    const revocations = await createRedisRevocationChannel({ url: settings.redisUrl, logger });
    return {
      rateLimits: createRedisRateLimitStore(redis),
      revocations,
      description: 'shared: redis',
      async close() {
        await revocations.close();
        redis.disconnect();
      },
    };
  }
  if (settings.database.kind === 'postgres') {
    const { createPostgresRevocationChannel } = await import('@gatehouse-auth/db');
    const revocations = await createPostgresRevocationChannel({
      connectionString: settings.database.connectionString,
      logger,
    });
    return { revocations, description: 'shared: postgresql notify', close: () => revocations.close() };
  }
  return { description: 'single instance', close: () => Promise.resolve() };
}
