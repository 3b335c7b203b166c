import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/index.js';
import { collectAdmins } from './admins.js';
import { buildAuthConfig } from './build-config.js';
import { checkCrossFieldRules } from './cross-field-rules.js';
import { deepFreeze, redactSecrets } from './freeze.js';
import {
  type IdpDiscovery,
  ASSERTION_PATH_FROM_VARIABLE,
  GATEHOUSE_IDP_PREFIX,
  GATEHOUSE_IDP_SUFFIXES,
  IDP_SUFFIXES,
  discoverIdps,
  idpVariable,
  strayGatehouseIdpVariables,
} from './oauth2-idps.js';
import type { Raw } from './schemas.js';
import { parseLdapEnv } from './ldap.js';
import type { AuthConfig, ParseAuthEnvOptions } from './types.js';
import { authEnvShape } from './variable-schemas.js';
import { DEFAULT_PREFIX, GATEHOUSE_PREFIX, GATEHOUSE_VARIABLES, VARIABLES } from './variables.js';

/**
 * @module
 * The entry point of configuration: reads the environment, runs the per-variable schemas
 * (`variable-schemas.ts`), the cross-field rules (`cross-field-rules.ts`) and the build
 * (`build-config.ts`), and throws one `ConfigError` listing every problem.
 */

function authEnvSchema(prefix: string, discovery: IdpDiscovery, ldapOn: boolean) {
  return z
    .object(authEnvShape(prefix, discovery))
    .superRefine((env, ctx) => checkCrossFieldRules(env, ctx, prefix, discovery, ldapOn))
    .transform((env): AuthConfig => buildAuthConfig(env, prefix, discovery));
}

/** A value as read: own properties only, whitespace-trimmed, undefined when unset. */
function read(env: Readonly<Record<string, string | undefined>>, variable: string): Raw {
  if (!Object.hasOwn(env, variable)) return undefined;
  const value = env[variable];
  return typeof value === 'string' ? value.trim() : undefined;
}

function rawInput(env: Readonly<Record<string, string | undefined>>, prefix: string, discovery: IdpDiscovery) {
  return {
    ...Object.fromEntries(VARIABLES.map((variable) => [variable, read(env, `${prefix}${variable}`)])),
    OAUTH2: Object.fromEntries(
      discovery.idps.map((idp, index) => [
        String(index),
        withAssertionPath(env, {
          ...Object.fromEntries(
            IDP_SUFFIXES.map((suffix) => [suffix, read(env, idpVariable(prefix, idp.name, suffix))]),
          ),
          ...Object.fromEntries(
            GATEHOUSE_IDP_SUFFIXES.map((suffix) => [
              suffix,
              read(env, idpVariable(GATEHOUSE_IDP_PREFIX, idp.name, suffix)),
            ]),
          ),
        }),
      ]),
    ),
    GATEHOUSE: Object.fromEntries(
      GATEHOUSE_VARIABLES.map((variable) => [variable, read(env, `${GATEHOUSE_PREFIX}${variable}`)]),
    ),
  };
}

/** `CLIENT_ASSERTION_FILE_ENV_VAR` names another variable: its value travels with the IdP's settings. */
function withAssertionPath(
  env: Readonly<Record<string, string | undefined>>,
  raw: Record<string, Raw>,
): Record<string, Raw> {
  const named = raw.CLIENT_ASSERTION_FILE_ENV_VAR;
  return { ...raw, [ASSERTION_PATH_FROM_VARIABLE]: named ? read(env, named) || undefined : undefined };
}

function issueVariable(path: readonly PropertyKey[], prefix: string, discovery: IdpDiscovery): string {
  const [head, index, suffix] = path;
  if (head === 'OAUTH2' && suffix !== undefined) {
    const idp = discovery.idps[Number(index)];
    const own = (GATEHOUSE_IDP_SUFFIXES as readonly PropertyKey[]).includes(suffix);
    if (idp !== undefined) return idpVariable(own ? GATEHOUSE_IDP_PREFIX : prefix, idp.name, String(suffix));
  }
  if (head === 'GATEHOUSE' && index !== undefined) return `${GATEHOUSE_PREFIX}${String(index)}`;
  return `${prefix}${String(head ?? '')}`;
}

/**
 * Reads every authentication variable from `env` (usually `process.env`) into one frozen,
 * typed `AuthConfig`, or throws ONE `ConfigError` listing every problem found. Messages say
 * what is wrong and what is expected, and never contain a secret's value.
 *
 * A bad value is an error even when auth is disabled; only `SECRET` is then optional.
 *
 * @example
 * ```ts
 * const config = parseAuthEnv(process.env); // throws one ConfigError listing every problem
 * if (!config.enabled) console.warn('authentication is off');
 * ```
 */
export function parseAuthEnv(
  env: Readonly<Record<string, string | undefined>>,
  options: ParseAuthEnvOptions = {},
): AuthConfig {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const discovery = discoverIdps(env, prefix);
  // LDAP has its own parser (config/ldap.ts); it is validated whether or not auth is on.
  const ldapResult = parseLdapEnv(
    (suffix) => read(env, `${prefix}LDAP_${suffix}`),
    prefix,
    collectAdmins(read(env, `${prefix}ADMINS`), `${prefix}ADMINS`).admins.length > 0,
  );
  const ldapOn = (read(env, `${prefix}LDAP_HOST`) ?? '') !== '';
  const result = authEnvSchema(prefix, discovery, ldapOn).safeParse(rawInput(env, prefix, discovery));
  const issues: ConfigIssue[] = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => ({
          variable: issueVariable(issue.path, prefix, discovery),
          message: issue.message,
        }))),
    ...discovery.issues,
    ...strayGatehouseIdpVariables(env, prefix, discovery),
    ...ldapResult.issues,
  ];
  if (!result.success || issues.length > 0) throw new ConfigError(issues);
  // Set on the object itself: a copy would lose the root's redacting toJSON.
  (result.data as { ldap: AuthConfig['ldap'] }).ldap =
    ldapResult.ldap === null ? null : redactSecrets(ldapResult.ldap, ['bindPassword']);
  return deepFreeze(result.data);
}
