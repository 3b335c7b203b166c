import { existsSync } from 'node:fs';
import {
  adminSecretPrincipal,
  ConfigError,
  createGatehouse,
  NotFoundError,
  PermissionDeniedError,
  type AuditRecorder,
  type AuditTrail,
  type AuthStore,
  type Logger,
  type Principal,
  type RevocationChannel,
  type ServiceDeps,
} from '@gatehouse-auth/core';
import { importOptional } from '@gatehouse-auth/core/adapter-kit';
import { internalsOf } from '@gatehouse-auth/core/internal';
import { createPostgresRevocationChannel, createPostgresStore, createSqliteStore } from '@gatehouse-auth/db';
import type { ServerEnvironment } from './environment.js';
import type { Context } from './io.js';

/** How a revocation made here reaches servers that are running on the same database. */
export type FanOut = 'redis' | 'postgresql' | 'none';

export interface Services {
  readonly deps: ServiceDeps;
  readonly systemUserId: number;
  /** The CLI acts as the admin secret does: an operator with access to the server's environment. */
  readonly operator: Principal;
  readonly fanOut: FanOut;
  /** False when the channel is down, so a revocation just published may not have gone out. */
  channelLive(): boolean;
}

export interface OpenOptions {
  /** The command signs a credential, so it needs the server's own secret, not a stand-in. */
  readonly signs?: boolean;
}

type ClosableChannel = RevocationChannel & { close(): Promise<void> };

function loggerFor(ctx: Context): Logger {
  // Fields are dropped: they may hold error objects; the messages say what matters.
  return {
    info() {},
    warn: (message) => ctx.err(`warning: ${message}`),
    error: (message) => ctx.err(`warning: ${message}`),
  };
}

function checkUsable(env: ServerEnvironment, options: OpenOptions): void {
  if (!env.config.enabled) {
    throw new PermissionDeniedError(
      `Authentication is disabled (${env.config.prefix}ENABLE_AUTH is not true): there are no users or keys to manage`,
      { code: 'auth_disabled' },
    );
  }
  if (options.signs === true && env.secret.kind === 'pending') {
    throw new ConfigError([
      {
        variable: 'PHOENIX_SECRET',
        message: `PHOENIX_SECRET is not set and ${env.secret.path} does not exist: start the server once (it generates the file), or set PHOENIX_SECRET as the server has it`,
      },
    ]);
  }
  const { database } = env.settings;
  // Opening a missing file would create an empty database: a typo in the working directory would
  // then look like "user not found" instead of "wrong place".
  if (database.kind === 'sqlite' && !existsSync(database.filename)) {
    throw new NotFoundError(
      `No database at ${database.filename}: start the server once, or set PHOENIX_WORKING_DIR or PHOENIX_SQL_DATABASE_URL as the server has them`,
    );
  }
}

/** Redis when the server uses it, else PostgreSQL NOTIFY on PostgreSQL, as the demo server chooses. */
async function openChannel(
  env: ServerEnvironment,
  logger: Logger,
): Promise<{ channel: ClosableChannel | null; fanOut: FanOut }> {
  const { redisUrl, database } = env.settings;
  if (redisUrl !== null) {
    // An optional peer, loaded on demand: only deployments with Redis install it (and ioredis).
    const { createRedisRevocationChannel } = await importOptional(
      '@gatehouse-auth/redis',
      'GATEHOUSE_REDIS_URL (revocations over Redis)',
      () => import('@gatehouse-auth/redis'),
    );
    return { channel: await createRedisRevocationChannel({ url: redisUrl, logger }), fanOut: 'redis' };
  }
  if (database.kind === 'postgres') {
    return {
      channel: await createPostgresRevocationChannel({ connectionString: database.connectionString, logger }),
      fanOut: 'postgresql',
    };
  }
  return { channel: null, fanOut: 'none' };
}

/**
 * The CLI acts with the admin secret's powers (the operator principal); its audit events say `cli`
 * instead, so the trail tells a command run on the server from an API call.
 */
function cliRecorder(trail: AuditTrail): AuditRecorder {
  const recorder = trail.recorder({ clientAddress: null, userAgent: 'gatehouse-cli', requestId: null });
  return {
    record(event) {
      recorder.record(
        event.actor?.kind === 'admin_secret' ? { ...event, actor: { kind: 'cli', userId: null } } : event,
      );
    },
  };
}

/**
 * Opens the server's database (migrating it, as the server does at start), composes Gatehouse on it,
 * runs `fn`, and closes everything whatever happens.
 */
export async function withServices<T>(
  ctx: Context,
  env: ServerEnvironment,
  options: OpenOptions,
  fn: (services: Services) => Promise<T>,
): Promise<T> {
  checkUsable(env, options);
  const logger = loggerFor(ctx);
  const { database } = env.settings;
  const store: AuthStore =
    database.kind === 'sqlite'
      ? await createSqliteStore({ filename: database.filename })
      : await createPostgresStore({ connectionString: database.connectionString });
  let channel: ClosableChannel | null = null;
  try {
    const opened = await openChannel(env, logger);
    channel = opened.channel;
    const gatehouse = await createGatehouse({
      config: env.config,
      store,
      logger,
      ...(channel ? { revocations: channel } : {}),
    });
    try {
      const { deps, systemUserId } = internalsOf(gatehouse);
      if (deps === null || systemUserId === null)
        throw new Error('unreachable: auth is enabled but Gatehouse built no services');
      const live = channel;
      return await fn({
        deps: { ...deps, audit: cliRecorder(gatehouse.audit) },
        systemUserId,
        operator: adminSecretPrincipal(systemUserId),
        fanOut: opened.fanOut,
        channelLive: () => live?.isLive?.() !== false,
      });
    } finally {
      await gatehouse.close();
    }
  } finally {
    await channel?.close();
    await store.close();
  }
}
