/**
 * What cli.test.ts (the CLI in-process) and binary.test.ts (the built bin in a child process) both
 * stand on: temporary working directories, a server opened on the same database the CLI works on,
 * a fake OpenID discovery server for `check-env --online`, the environments they check, and the
 * shape of a `--json` line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createGatehouse,
  parseAuthEnv,
  type Authenticator,
  type AuthStore,
  type Gatehouse,
  type RevocationChannel,
  type ServiceDeps,
} from '@gatehouse-auth/core';
import { internalsOf } from '@gatehouse-auth/core/internal';
import { createSqliteStore } from '@gatehouse-auth/db';
import { afterAll, beforeAll } from 'vitest';

export type Env = Record<string, string>;

/** What `--json` prints, with the fields the tests read by name typed; the rest is checked with matchers. */
export interface CliJson {
  readonly [field: string]: unknown;
  readonly ok?: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly issues?: readonly { readonly variable: string; readonly message: string }[];
  readonly user?: { readonly id: string; readonly email: string };
  readonly users?: readonly { readonly id: string; readonly email: string }[];
  readonly password?: string;
  readonly apiKey?: { readonly id: string; readonly key: string };
}

export function decodeGlobalId(id: string): string {
  return Buffer.from(id, 'base64').toString('utf8');
}

/**
 * A maker of fresh directories named `<prefix>…` under the OS temp dir, each removed after the
 * file's tests. Call it once, at the top level of a test file: it registers that file's `afterAll`.
 */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}

/** What the server would run on the same database: core's config with the demo's auth-on default. */
export interface RunningServer {
  readonly gh: Gatehouse;
  readonly deps: ServiceDeps;
  readonly store: AuthStore;
  /** Bearer-token check as the server's middleware does it. */
  authenticate(token: string): ReturnType<Authenticator['authenticate']>;
  /** Closes the Gatehouse, then the store. */
  close(): Promise<void>;
}

export async function startServer(store: AuthStore, env: Env, revocations?: RevocationChannel): Promise<RunningServer> {
  const config = parseAuthEnv({ PHOENIX_ENABLE_AUTH: 'true', ...env });
  const gh = await createGatehouse({ config, store, ...(revocations ? { revocations } : {}) });
  return {
    gh,
    deps: internalsOf(gh).deps!,
    store,
    authenticate: (token) => internalsOf(gh).authenticator!.authenticate({ authorization: `Bearer ${token}` }),
    async close() {
      await gh.close();
      await store.close();
    },
  };
}

/** {@link startServer} on its own connection to `<dir>/phoenix.db`, the SQLite file the server keeps in its working directory. */
export async function startSqliteServer(
  dir: string,
  env: Env,
  revocations?: RevocationChannel,
): Promise<RunningServer> {
  return startServer(await createSqliteStore({ filename: join(dir, 'phoenix.db') }), env, revocations);
}

/**
 * A good environment's optional parts (add the working directory and the secret): an admin secret,
 * SMTP with a password and one OIDC IdP, `corp`. Every one of its secrets is one `check-env` must
 * not echo.
 */
export const GOOD_ENV: Readonly<Env> = {
  PHOENIX_ADMIN_SECRET: 'admin-secret-0123456789-abcdefghijklmnop',
  PHOENIX_SMTP_HOSTNAME: 'smtp.example.com',
  PHOENIX_SMTP_USERNAME: 'mailer',
  PHOENIX_SMTP_PASSWORD: 'smtp-password-value',
  PHOENIX_OAUTH2_CORP_CLIENT_ID: 'corp-client',
  PHOENIX_OAUTH2_CORP_CLIENT_SECRET: 'corp-client-secret-value',
  PHOENIX_OAUTH2_CORP_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
};

/** The IdP `corp` that `explain-claims` judges claims against: a groups gate and a role path with a mapping (add the secret). */
export const CORP_IDP_ENV: Readonly<Env> = {
  PHOENIX_OAUTH2_CORP_CLIENT_ID: 'corp-client',
  PHOENIX_OAUTH2_CORP_CLIENT_SECRET: 'corp-client-secret',
  PHOENIX_OAUTH2_CORP_OIDC_CONFIG_URL: 'https://idp.example.com/.well-known/openid-configuration',
  PHOENIX_OAUTH2_CORP_GROUPS_ATTRIBUTE_PATH: 'groups',
  PHOENIX_OAUTH2_CORP_ALLOWED_GROUPS: 'eng,admins',
  // Conditional: members of `admins` are admins, everyone else a viewer.
  PHOENIX_OAUTH2_CORP_ROLE_ATTRIBUTE_PATH: "contains(groups, 'admins') && 'admin' || 'viewer'",
  PHOENIX_OAUTH2_CORP_ROLE_MAPPING: 'admin:ADMIN,viewer:VIEWER',
};

/**
 * A fake OpenID provider on loopback for `check-env --online`: `<base>/good/.well-known/openid-configuration`
 * answers a discovery document whose issuer is `<base>/good`; every other path answers 404.
 */
export interface DiscoveryServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  readonly base: string;
  /** The PHOENIX_OAUTH2_<NAME>_* variables of an IdP whose discovery URL is under `<base>/<name>/`: `good` answers, any other name fails. */
  idpEnv(name: string): Env;
}

/**
 * The {@link DiscoveryServer} of the enclosing `describe`: started in its `beforeAll`, closed in its
 * `afterAll`. Call it in the `describe` body; read `base` and `idpEnv` inside the tests.
 */
export function useDiscoveryServer(): DiscoveryServer {
  let running: RunningDiscoveryServer | undefined;
  beforeAll(async () => {
    running = await startDiscoveryServer();
  });
  afterAll(() => running?.close());
  const started = (): RunningDiscoveryServer => {
    if (!running) throw new Error('the discovery server starts in beforeAll: use it inside a test');
    return running;
  };
  return {
    get base() {
      return started().base;
    },
    idpEnv: (name) => started().idpEnv(name),
  };
}

interface RunningDiscoveryServer extends DiscoveryServer {
  close(): Promise<void>;
}

async function startDiscoveryServer(): Promise<RunningDiscoveryServer> {
  let base = '';
  const server = createServer((request, response) => {
    if (request.url === '/good/.well-known/openid-configuration') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          issuer: `${base}/good`,
          authorization_endpoint: `${base}/good/authorize`,
          token_endpoint: `${base}/good/token`,
          jwks_uri: `${base}/good/jwks`,
        }),
      );
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    idpEnv(name) {
      const upper = name.toUpperCase();
      return {
        [`PHOENIX_OAUTH2_${upper}_CLIENT_ID`]: `${name}-client`,
        [`PHOENIX_OAUTH2_${upper}_CLIENT_SECRET`]: `${name}-client-secret`,
        [`PHOENIX_OAUTH2_${upper}_OIDC_CONFIG_URL`]: `${base}/${name}/.well-known/openid-configuration`,
      };
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
