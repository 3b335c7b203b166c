import {
  createLdapDirectory,
  findUnknownVariables,
  type AuthConfig,
  type DirectoryProbe,
  type IdpConfig,
  type LdapConfig,
  type UnknownVariable,
} from '@gatehouse-auth/core';
import { createDiscovery } from '@gatehouse-auth/core/internal';
import { parseOptions } from '../args.js';
import { SERVER_VARIABLES, type SecretSource } from '@gatehouse-auth/core/server-env';
import { loadEnvironment, type ServerEnvironment } from '../environment.js';
import { printJson, type Context } from '../io.js';
import { ROTATION_STEPS, rotationState } from '../rotation.js';
import type { Command } from './command.js';

interface OnlineResult {
  readonly idp: string;
  readonly ok: boolean;
  readonly issuer?: string;
  readonly error?: string;
}

/** The error and its causes, `a: b: c`: fetch's own message ("fetch failed") says little alone. */
function explainFailure(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current.message && !parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  return parts.join(': ') || String(error);
}

async function checkOnline(idps: readonly IdpConfig[]): Promise<OnlineResult[]> {
  const discovery = createDiscovery();
  return Promise.all(
    idps.map(async (idp): Promise<OnlineResult> => {
      try {
        const endpoint = await discovery.get(idp);
        return { idp: idp.name, ok: true, issuer: endpoint.as.issuer };
      } catch (error) {
        return { idp: idp.name, ok: false, error: explainFailure(error) };
      }
    }),
  );
}

/** A service-account bind and one user search on every LDAP server (Phoenix has no such check). */
async function checkLdap(ldap: LdapConfig | null, sample: string | undefined): Promise<DirectoryProbe | null> {
  if (ldap === null) return null;
  const directory = createLdapDirectory(ldap, { connectTimeoutMs: 5_000, operationTimeoutMs: 10_000 });
  return directory.probe ? directory.probe(sample) : null;
}

function secretText(secret: SecretSource): string {
  switch (secret.kind) {
    case 'env':
      return 'PHOENIX_SECRET';
    case 'file':
      return `from ${secret.path}`;
    case 'pending':
      return `not generated yet: the server creates ${secret.path} on its first start`;
    case 'none':
      return 'none (not needed with auth off)';
  }
}

function secretJson(secret: SecretSource): Record<string, unknown> {
  return secret.kind === 'file' || secret.kind === 'pending'
    ? { source: secret.kind, path: secret.path }
    : { source: secret.kind };
}

function previousText(env: ServerEnvironment): string {
  const { current, previous } = rotationState(env.config);
  // A stand-in secret (the server has not generated its own yet) has no fingerprint worth showing.
  const now = current === null || env.secret.kind === 'pending' ? '' : `; PHOENIX_SECRET is ${current}`;
  if (previous.length === 0) return `none (GATEHOUSE_PREVIOUS_SECRETS unset${now})`;
  return `${previous.map((id, index) => `#${index + 1} ${id}`).join(', ')}: still accepted, never used to sign${now}`;
}

function printRotation(ctx: Context): void {
  ctx.out('secret rotation (docs/secret-rotation.md)');
  ROTATION_STEPS.forEach((step, index) => ctx.out(`  ${index + 1}. ${step}`));
}

const onOff = (value: boolean) => (value ? 'on' : 'off');

function unknownText({ variable, suggestion }: UnknownVariable): string {
  return `${variable} is not a setting Gatehouse reads${suggestion ? `; did you mean ${suggestion}?` : ''}`;
}

/** Everything a reader needs to recognise the deployment; never a secret, a password or a database URL. */
function summary(env: ServerEnvironment): Record<string, unknown> {
  const { config, settings } = env;
  return {
    auth: {
      enabled: config.enabled,
      basicAuth: config.basicAuthEnabled,
      strongPasswords: config.passwordPolicy === 'strong',
      rateLimit: config.rateLimitEnabled,
      bruteForceProtection: config.bruteForce.enabled,
      accessTokenMinutes: config.tokens.accessTtlSeconds / 60,
      refreshTokenMinutes: config.tokens.refreshTtlSeconds / 60,
      sessionMaxLifetimeMinutes: config.tokens.sessionMaxLifetimeSeconds / 60,
    },
    secret: {
      ...secretJson(env.secret),
      fingerprint: env.secret.kind === 'pending' ? null : rotationState(config).current,
    },
    previousSecrets: rotationState(config).previous,
    adminSecret: config.adminSecret !== null,
    database:
      settings.database.kind === 'sqlite'
        ? { kind: 'sqlite', filename: settings.database.filename }
        : { kind: 'postgresql' },
    revocations: settings.redisUrl !== null ? 'redis' : settings.database.kind === 'postgres' ? 'postgresql' : 'none',
    idps: config.oauth2.idps.map((idp) => ({
      name: idp.name,
      displayName: idp.displayName,
      oidcConfigUrl: idp.oidcConfigUrl,
      allowSignUp: idp.allowSignUp,
      autoLogin: idp.autoLogin,
      groupsGate: idp.groupsPath !== null,
      rolePath: idp.rolePath !== null,
    })),
    smtp:
      config.smtp === null
        ? null
        : { hostname: config.smtp.hostname, port: config.smtp.port, mailFrom: config.smtp.mailFrom },
    ldap:
      config.ldap === null
        ? null
        : {
            hosts: config.ldap.hosts,
            port: config.ldap.port,
            tlsMode: config.ldap.tlsMode,
            serviceAccount: config.ldap.bindDn !== null,
          },
    cookies: {
      accessToken: config.cookies.names.accessToken,
      refreshToken: config.cookies.names.refreshToken,
      secure: config.cookies.secure,
      path: config.cookies.path,
    },
  };
}

function printSummary(ctx: Context, env: ServerEnvironment): void {
  const config: AuthConfig = env.config;
  const { database } = env.settings;
  const rows: [string, string][] = [
    [
      'auth',
      config.enabled
        ? `on (password login ${onOff(config.basicAuthEnabled)}, strong passwords ${onOff(config.passwordPolicy === 'strong')})`
        : `off: every request is allowed as anonymous (set ${config.prefix}ENABLE_AUTH=true to require sign-in)`,
    ],
    ['secret', secretText(env.secret)],
    ['previous', previousText(env)],
    [
      'sessions',
      `idle ${config.tokens.refreshTtlSeconds / 60} min (refresh token), absolute ${config.tokens.sessionMaxLifetimeSeconds / 60} min`,
    ],
    ['admin secret', config.adminSecret === null ? 'not set' : 'set'],
    ['database', database.kind === 'sqlite' ? `sqlite ${database.filename}` : 'postgresql'],
    [
      'idps',
      config.oauth2.idps.length === 0
        ? 'none'
        : config.oauth2.idps.map((idp) => `${idp.name} (${idp.displayName})`).join(', '),
    ],
    [
      'smtp',
      config.smtp === null ? 'off (password-reset e-mails answer 503)' : `${config.smtp.hostname}:${config.smtp.port}`,
    ],
    [
      'ldap',
      config.ldap === null
        ? 'off'
        : `${config.ldap.hosts.join(', ')} port ${config.ldap.port} (${config.ldap.tlsMode})`,
    ],
    [
      'cookies',
      `${config.cookies.names.accessToken}, ${config.cookies.names.refreshToken} (secure: ${config.cookies.secure ? 'yes' : 'no'}, path ${config.cookies.path})`,
    ],
  ];
  ctx.out('environment ok');
  for (const [label, text] of rows) ctx.out(`  ${label.padEnd(14)}${text}`);
}

export const checkEnv: Command = {
  name: 'check-env',
  synopsis: 'check-env [--online] [--rotation] [--json]',
  summary:
    "Check the server's environment; --online also fetches each IdP's discovery document and tests the LDAP directory",
  help: [
    'Parses the environment as the server does, with the same parser and defaults (PHOENIX_*,',
    'PHOENIX_WORKING_DIR, PHOENIX_SQL_DATABASE_URL, GATEHOUSE_REDIS_URL) and lists every problem at once.',
    'Warns about PHOENIX_* and GATEHOUSE_* variables nothing reads, with the closest known name.',
    'Never prints a secret value.',
    '',
    "  --online  also fetch each IdP's discovery document and, with LDAP, bind as the service account",
    '            and run the user search on every directory server; any failure exits 1',
    '  --ldap-user NAME  the login name the LDAP test search looks for (default: a name nobody has)',
    '  --rotation  print the secret-rotation procedure step by step (shown anyway while previous secrets are set)',
    '  --json    one JSON object on stdout',
  ].join('\n'),
  async run(args, ctx) {
    const values = parseOptions(args, {
      online: { type: 'boolean' },
      json: { type: 'boolean' },
      'ldap-user': { type: 'string' },
      rotation: { type: 'boolean' },
    });
    const rotation = values.rotation === true;
    // A ConfigError goes to the dispatcher, which lists every issue.
    const unknown = findUnknownVariables(ctx.env, { known: SERVER_VARIABLES });
    // Listed before any problem: a misspelt name is often why a variable "is missing".
    for (const entry of unknown) ctx.err(`warning: ${unknownText(entry)}`);
    const env = loadEnvironment(ctx);
    const [online, ldap] =
      values.online === true
        ? await Promise.all([checkOnline(env.config.oauth2.idps), checkLdap(env.config.ldap, values['ldap-user'])])
        : [null, null];
    const failed = online?.filter((result) => !result.ok) ?? [];
    const ldapFailed = ldap !== null && !ldap.ok;
    if (values.json === true) {
      printJson(ctx, {
        ok: failed.length === 0 && !ldapFailed,
        ...summary(env),
        unknownVariables: unknown,
        ...(online ? { online } : {}),
        ...(ldap ? { ldapOnline: ldap } : {}),
        ...(rotation ? { secretRotation: ROTATION_STEPS } : {}),
      });
    } else {
      printSummary(ctx, env);
      if (rotation || env.config.previousSecrets.length > 0) printRotation(ctx);
      if (online) {
        ctx.out(online.length === 0 ? 'online: no IdP configured' : 'online');
        for (const result of online) {
          ctx.out(
            `  ${result.idp.padEnd(14)}${result.ok ? `ok (issuer ${result.issuer ?? ''})` : `failed: ${result.error ?? ''}`}`,
          );
        }
      }
      if (ldap) {
        ctx.out(`ldap ${ldap.ok ? 'ok' : 'failed'}`);
        for (const line of ldap.lines) ctx.out(`  ${line}`);
      }
    }
    if (failed.length > 0) ctx.err(`error: discovery failed for ${failed.map((result) => result.idp).join(', ')}`);
    if (ldapFailed) ctx.err('error: the LDAP check failed (see above)');
    return failed.length > 0 || ldapFailed ? 1 : 0;
  },
};
