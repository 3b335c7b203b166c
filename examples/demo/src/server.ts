import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import {
  ConfigError,
  createGatehouse,
  createSmtpMailer,
  findUnknownVariables,
  type AuthConfig,
} from '@gatehouse-auth/core';
import { readServerSettings, resolveAuthConfig, SERVER_VARIABLES } from '@gatehouse-auth/core/server-env';
import { createApp } from './app.js';
import { openStorage, type Storage } from './db/open.js';
import { logger } from './log.js';
import { loadOtlpTraceTypes } from './otlp/definitions.js';
import { openSharedState, type SharedState } from './shared-state.js';

const SHUTDOWN_GRACE_MS = 10_000;

function publicUrl(address: AddressInfo, rootPath: string): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}${rootPath}`;
}

/** The one start-up line: where, on what, and how to get in. Never a secret. */
function startLine(
  url: string,
  storage: Storage,
  config: AuthConfig,
  createdAdmin: boolean,
  env: NodeJS.ProcessEnv,
): string {
  const parts = [
    `Gatehouse demo listening on ${url}`,
    `store: ${storage.description}`,
    `auth: ${config.enabled ? 'on' : 'off'}`,
  ];
  if (createdAdmin) {
    // The default password is public knowledge; one chosen through the environment is not echoed.
    const password = env.PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD?.trim()
      ? 'the password from PHOENIX_DEFAULT_ADMIN_INITIAL_PASSWORD'
      : "password 'admin'";
    parts.push(`created the default admin admin@localhost with ${password}; change it after logging in`);
  }
  return parts.join(' | ');
}

function listen(server: ServerType): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

async function main(): Promise<void> {
  const env = process.env;
  const { settings, issues } = readServerSettings(env, process.cwd());
  // A misspelt variable would leave its setting at the default without a word: say so.
  for (const { variable, suggestion } of findUnknownVariables(env, { known: SERVER_VARIABLES })) {
    logger.warn(
      `${variable} is not a setting Gatehouse or this demo reads${suggestion ? `; did you mean ${suggestion}?` : ''}`,
    );
  }

  // Without PHOENIX_SECRET, a secret is generated once into <working dir>/demo-secret, so a fresh
  // clone needs no setup.
  let auth: ReturnType<typeof resolveAuthConfig>;
  try {
    auth = resolveAuthConfig(env, settings.workingDir, issues, { createSecretFile: true });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const { config, secret } = auth;
  // The OTLP definitions ship next to dist/ (and src/): examples/demo/proto.
  const otlp = loadOtlpTraceTypes(new URL('../proto/', import.meta.url));
  if (secret.kind === 'file') {
    const how = secret.created ? 'generated a signing secret and saved it to' : 'using the signing secret saved in';
    console.warn(
      `warn: PHOENIX_SECRET is not set; ${how} ${secret.path} (mode 0600). Set PHOENIX_SECRET outside this demo.`,
    );
  }

  let storage: Storage;
  try {
    storage = await openStorage(settings.database);
  } catch (error) {
    console.error(`error: could not open the database: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }

  // Bootstrap creates the default admin exactly when no admin exists yet.
  const createsAdmin = config.enabled && (await storage.store.countUsersByRole('ADMIN')) === 0;
  // Without PHOENIX_SMTP_HOSTNAME the reset-email route answers 503, as in Phoenix.
  const mailer = config.smtp ? createSmtpMailer(config.smtp, { logger }) : null;
  let shared: SharedState;
  try {
    shared = await openSharedState(settings, logger);
  } catch (error) {
    console.error(
      `error: could not connect the shared state: ${error instanceof Error ? error.message : String(error)}`,
    );
    await storage.close();
    process.exit(1);
  }
  // Listen first: public URLs come from configuration, so with PHOENIX_PORT=0 the real port must be
  // known before Gatehouse is composed. Until then every request hears 503.
  let ready: ((request: Request, bindings: unknown) => Response | Promise<Response>) | null = null;
  const server = serve({
    fetch: (request, bindings) => (ready ? ready(request, bindings) : new Response('starting', { status: 503 })),
    hostname: settings.host,
    port: settings.port,
  });

  let address: AddressInfo;
  try {
    address = await listen(server);
  } catch (error) {
    console.error(
      `error: could not listen on ${settings.host}:${settings.port}: ${error instanceof Error ? error.message : String(error)}`,
    );
    await shared.close();
    await storage.close();
    process.exit(1);
  }
  // The address the demo really listens on is what PHOENIX_HOST/PHOENIX_PORT describe.
  const served = resolveAuthConfig(
    { ...env, PHOENIX_HOST: settings.host, PHOENIX_PORT: String(address.port) },
    settings.workingDir,
    issues,
    { createSecretFile: true },
  ).config;
  const gh = await createGatehouse({
    config: served,
    store: storage.store,
    mailer,
    logger,
    rateLimits: shared.rateLimits,
    revocations: shared.revocations,
    trustedProxies: settings.trustedProxies,
  });
  const app = createApp(gh, storage.db, logger, otlp);
  ready = (request, bindings) => app.fetch(request, bindings);
  const line = startLine(publicUrl(address, config.rootPath), storage, config, createsAdmin, env);
  console.log(
    shared.rateLimits || shared.revocations ? line.replace(' | auth:', ` | ${shared.description} | auth:`) : line,
  );

  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: shutting down`);
    // In-flight requests get a grace period; a stuck one does not keep the process alive forever.
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
    server.close(() => {
      mailer?.close();
      void gh
        .close()
        .then(() => shared.close())
        .then(() => storage.close())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(`error: shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
            process.exit(1);
          },
        );
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

await main();
