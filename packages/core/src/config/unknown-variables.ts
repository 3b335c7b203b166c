import { LDAP_SUFFIXES } from './ldap.js';
import {
  GATEHOUSE_IDP_PREFIX,
  GATEHOUSE_IDP_SUFFIXES,
  IDP_SUFFIXES,
  discoverIdps,
  idpVariable,
} from './oauth2-idps.js';
import { GATEHOUSE_PREFIX, GATEHOUSE_VARIABLES, VARIABLES } from './variables.js';

/**
 * Phoenix's own settings that are not authentication (the server, its database, telemetry, TLS,
 * its OAuth2 authorization server): present in a Phoenix deployment's environment, ignored by
 * Gatehouse, and so never "unknown". Names after the prefix.
 */
const PHOENIX_OTHER_SETTINGS = [
  'WORKING_DIR',
  'SQL_DATABASE_URL',
  'SQL_DATABASE_SCHEMA',
  'POSTGRES_HOST',
  'POSTGRES_PORT',
  'POSTGRES_USER',
  'POSTGRES_PASSWORD',
  'POSTGRES_DB',
  'POSTGRES_USE_AWS_IAM_AUTH',
  'POSTGRES_AWS_REGION',
  'POSTGRES_AWS_IAM_TOKEN_LIFETIME_SECONDS',
  'GRPC_PORT',
  'COLLECTOR_ENDPOINT',
  'PROJECT_NAME',
  'API_KEY',
  'CLIENT_HEADERS',
  'ENABLE_PROMETHEUS',
  'TELEMETRY_ENABLED',
  'LOGGING_MODE',
  'LOGGING_LEVEL',
  'DB_LOGGING_LEVEL',
  'LOG_MIGRATIONS',
  'DANGEROUSLY_DISABLE_MIGRATIONS',
  'DEFAULT_RETENTION_POLICY_DAYS',
  'MASK_INTERNAL_SERVER_ERRORS',
  'FASTAPI_MIDDLEWARE_PATHS',
  'GQL_EXTENSION_PATHS',
  'GRPC_INTERCEPTOR_PATHS',
  'SERVER_INSTRUMENTATION_OTLP_TRACE_COLLECTOR_HTTP_ENDPOINT',
  'SERVER_INSTRUMENTATION_OTLP_TRACE_COLLECTOR_GRPC_ENDPOINT',
  'DATABASE_ALLOCATED_STORAGE_CAPACITY_GIBIBYTES',
  'DATABASE_USAGE_EMAIL_WARNING_THRESHOLD_PERCENTAGE',
  'DATABASE_USAGE_INSERTION_BLOCKING_THRESHOLD_PERCENTAGE',
  'TLS_ENABLED',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'TLS_KEY_FILE_PASSWORD',
  'TLS_CA_FILE',
  'TLS_VERIFY_CLIENT',
  'ALLOWED_PROVIDERS',
  'ALLOWED_SANDBOX_PROVIDERS',
  'ACCESS_CONTROL_ENABLED',
  'DISABLE_AGENT_ASSISTANT',
  'ENABLE_MCP_SERVER',
  'ENABLE_MCP_CODE_MODE',
  'ENABLE_OAUTH2_AUTHORIZATION_SERVER',
  'OAUTH2_ALLOWED_REDIRECT_HOSTS',
  'OAUTH2_CONSENT_ORIGIN_CHECK',
  'OAUTH2_DCR_RATE_LIMIT_PER_HOUR',
  'OAUTH2_DYNAMIC_CLIENT_REGISTRATION',
  'OAUTH2_GRANT_EXPIRY_DAYS',
] as const;

export interface UnknownVariable {
  readonly variable: string;
  /** The closest known name, when one is near enough to be a likely typo. */
  readonly suggestion: string | null;
}

export interface FindUnknownVariablesOptions {
  /** The prefix of the contract's variables, as given to `parseAuthEnv` (default `PHOENIX_`). */
  readonly prefix?: string;
  /** More names the caller reads itself (a CLI's `GATEHOUSE_REDIS_URL`, …): known, and suggested. */
  readonly known?: readonly string[];
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbours each cost 1, so `SECERT` is one step from `SECRET`. Names are short (< 80
 * characters) and few, so the quadratic table is cheaper than a dependency.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

/** The nearest candidate within a typo's reach (a third of the name after its prefix, at most 3). */
function nearest(variable: string, prefix: string, candidates: readonly string[]): string | null {
  const reach = Math.min(3, Math.max(1, Math.floor((variable.length - prefix.length) / 3)));
  let best: string | null = null;
  let bestDistance = reach + 1;
  for (const candidate of candidates) {
    const distance = editDistance(variable, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Variables under the prefix (`PHOENIX_`) or `GATEHOUSE_` that nothing reads: most often a typo
 * (`PHOENIX_SECERT`), which would otherwise leave a setting silently at its default. Each comes
 * with the closest known name when one is near. Phoenix's own non-auth settings are known.
 */
export function findUnknownVariables(
  env: Readonly<Record<string, string | undefined>>,
  options: FindUnknownVariablesOptions = {},
): UnknownVariable[] {
  const prefix = options.prefix ?? 'PHOENIX_';
  const idps = discoverIdps(env, prefix).idps.map((idp) => idp.name);
  const candidates = [
    ...VARIABLES.map((name) => `${prefix}${name}`),
    ...LDAP_SUFFIXES.map((suffix) => `${prefix}LDAP_${suffix}`),
    ...GATEHOUSE_VARIABLES.map((name) => `${GATEHOUSE_PREFIX}${name}`),
    ...idps.flatMap((idp) => IDP_SUFFIXES.map((suffix) => idpVariable(prefix, idp, suffix))),
    ...idps.flatMap((idp) => GATEHOUSE_IDP_SUFFIXES.map((suffix) => idpVariable(GATEHOUSE_IDP_PREFIX, idp, suffix))),
    ...(options.known ?? []),
  ];
  const known = new Set<string>([...candidates, ...PHOENIX_OTHER_SETTINGS.map((name) => `${prefix}${name}`)]);
  // A client-assertion file's path may sit in a variable of any name the IdP settings point at.
  for (const idp of idps) {
    const named = env[idpVariable(prefix, idp, 'CLIENT_ASSERTION_FILE_ENV_VAR')];
    if (named) known.add(named.trim());
  }
  const unknown: UnknownVariable[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (env[variable] === undefined || known.has(variable)) continue;
    const own = variable.startsWith(prefix) ? prefix : variable.startsWith(GATEHOUSE_PREFIX) ? GATEHOUSE_PREFIX : null;
    if (own === null) continue;
    unknown.push({ variable, suggestion: nearest(variable, own, candidates) });
  }
  return unknown;
}
