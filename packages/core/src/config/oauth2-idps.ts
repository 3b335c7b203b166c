import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { ConfigIssue } from '../errors/index.js';
import type { AssignableRole } from '../policy/roles.js';
import { readonlyMap } from './freeze.js';
import { compilePath } from './jmespath-path.js';
import { collectRoleMapping } from './role-mapping.js';
import {
  INVALID,
  type Field,
  type Raw,
  type RawSchema,
  booleanVar,
  field,
  jmespathVar,
  optionalString,
  urlWithHost,
} from './schemas.js';
import { commaItems, escaped, quoted, shown, unique } from './text.js';
import type { IdpConfig, TokenEndpointAuthMethod } from './types.js';

/** Per-IdP settings Gatehouse reads: `<PREFIX>OAUTH2_<IDP>_<SUFFIX>`. */
export const IDP_SUFFIXES = [
  'DISPLAY_NAME',
  'CLIENT_ID',
  'CLIENT_SECRET',
  'OIDC_CONFIG_URL',
  'ALLOW_SIGN_UP',
  'AUTO_LOGIN',
  'USE_PKCE',
  'TOKEN_ENDPOINT_AUTH_METHOD',
  'SCOPES',
  'EMAIL_ATTRIBUTE_PATH',
  'GROUPS_ATTRIBUTE_PATH',
  'ALLOWED_GROUPS',
  'ROLE_ATTRIBUTE_PATH',
  'ROLE_MAPPING',
  'ROLE_ATTRIBUTE_STRICT',
  'ROLE_RESYNC',
  'CLIENT_ASSERTION_FILE',
  'CLIENT_ASSERTION_FILE_ENV_VAR',
  'REQUIRED_ACR',
  'REQUIRED_AMR',
] as const;
export type IdpSuffix = (typeof IDP_SUFFIXES)[number];

/**
 * Gatehouse's own per-IdP settings, outside Phoenix's contract: `GATEHOUSE_OAUTH2_<IDP>_<SUFFIX>`
 * whatever the prefix of the others. They configure an IdP declared by the prefixed variables; they
 * do not declare one.
 */
export const GATEHOUSE_IDP_SUFFIXES = ['LOGOUT'] as const;
export type GatehouseIdpSuffix = (typeof GATEHOUSE_IDP_SUFFIXES)[number];
export const GATEHOUSE_IDP_PREFIX = 'GATEHOUSE_';

/** Not a variable: the value of the variable `CLIENT_ASSERTION_FILE_ENV_VAR` names, read alongside. */
export const ASSERTION_PATH_FROM_VARIABLE = 'CLIENT_ASSERTION_FILE_FROM_VARIABLE';

/** Names that would shadow the authorization server's `/oauth2/<name>` routes. */
const RESERVED_NAMES = ['authorize', 'consent', 'register', 'revoke', 'token'] as const;

const TOKEN_ENDPOINT_AUTH_METHODS = [
  'client_assertion_jwt',
  'client_secret_basic',
  'client_secret_post',
  'none',
] as const;
const BASELINE_SCOPES = ['openid', 'email', 'profile'] as const;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface DiscoveredIdp {
  /** Lower-cased, valid and not reserved. */
  readonly name: string;
}

export interface IdpDiscovery {
  /** Valid IdPs, sorted by name. */
  readonly idps: readonly DiscoveredIdp[];
  /** Every IdP name declared, valid or not. */
  readonly declared: number;
  /** Problems with the variable names themselves, attributed to the full variable name. */
  readonly issues: readonly ConfigIssue[];
}

export function idpVariable(prefix: string, idp: string, suffix: string): string {
  return `${prefix}OAUTH2_${idp.toUpperCase()}_${suffix}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Finds the IdPs declared in the environment. Any variable `<PREFIX>OAUTH2_<NAME>_<SUFFIX>` with a
 * known suffix declares the IdP `<name>` (lower-cased); its settings are then read from the
 * upper-cased names, as in Phoenix.
 */
export function discoverIdps(env: Readonly<Record<string, string | undefined>>, prefix: string): IdpDiscovery {
  const suffixes = IDP_SUFFIXES.join('|');
  const pattern = new RegExp(`^${escapeRegExp(prefix)}OAUTH2_(.+)_(${suffixes})$`);
  const declaredBy = new Map<string, string>();
  const caseIssues = new Map<string, ConfigIssue[]>();
  const issues: ConfigIssue[] = [];

  for (const variable of Object.keys(env).sort()) {
    if (env[variable] === undefined) continue;
    const match = pattern.exec(variable);
    if (match === null) continue;
    const segment = match[1] ?? '';
    const suffix = match[2] ?? '';
    const name = segment.toLowerCase();
    if (!declaredBy.has(name)) declaredBy.set(name, variable);
    if (segment !== segment.toUpperCase()) {
      // Reported only for an acceptable name: renaming is pointless advice for a rejected one.
      const pending = caseIssues.get(name) ?? [];
      pending.push({
        variable,
        message: `${escaped(variable)} is never read: IdP settings are read from upper-case names, so rename it to ${idpVariable(prefix, name, suffix)}`,
      });
      caseIssues.set(name, pending);
    }
  }

  const idps: DiscoveredIdp[] = [];
  for (const [name, variable] of [...declaredBy].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!/^[a-z0-9_]+$/.test(name)) {
      issues.push({
        variable,
        message:
          `OAuth2 IdP name ${quoted(name)} is not valid: the part between ${prefix}OAUTH2_ and the setting name ` +
          'may contain only letters, digits and underscores, because the lower-cased name is the login URL segment /oauth2/<name>/login',
      });
    } else if ((RESERVED_NAMES as readonly string[]).includes(name)) {
      issues.push({
        variable,
        message:
          `OAuth2 IdP name ${quoted(name)} is reserved: /oauth2/${name} is a route of the OAuth2 authorization server ` +
          `(reserved: ${RESERVED_NAMES.join(', ')}). Choose another IdP name.`,
      });
    } else {
      idps.push({ name });
      issues.push(...(caseIssues.get(name) ?? []));
    }
  }
  return { idps, declared: declaredBy.size, issues };
}

/**
 * `GATEHOUSE_OAUTH2_<IDP>_<SUFFIX>` variables that configure no declared IdP (a typo in the name, or a
 * lower-case one that is never read): reported, since a logout setting silently ignored is a
 * sign-out that does not reach the IdP.
 */
export function strayGatehouseIdpVariables(
  env: Readonly<Record<string, string | undefined>>,
  prefix: string,
  discovery: IdpDiscovery,
): ConfigIssue[] {
  const pattern = new RegExp(`^${GATEHOUSE_IDP_PREFIX}OAUTH2_(.+)_(${GATEHOUSE_IDP_SUFFIXES.join('|')})$`);
  const known = new Set(discovery.idps.map((idp) => idp.name.toUpperCase()));
  const issues: ConfigIssue[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (env[variable] === undefined) continue;
    const match = pattern.exec(variable);
    if (match === null || known.has(match[1] ?? '')) continue;
    const name = (match[1] ?? '').toLowerCase();
    issues.push({
      variable,
      message: discovery.idps.some((idp) => idp.name === name)
        ? `${escaped(variable)} is never read: IdP settings are read from upper-case names, so rename it to ${idpVariable(GATEHOUSE_IDP_PREFIX, name, match[2] ?? '')}`
        : `${escaped(variable)} configures the OAuth2 IdP ${quoted(name)}, which is not declared: declare it with ${prefix}OAUTH2_${name.toUpperCase()}_CLIENT_ID and ${prefix}OAUTH2_${name.toUpperCase()}_OIDC_CONFIG_URL, or fix the name`,
    });
  }
  return issues;
}

/** `aws_cognito` → "AWS Cognito", `microsoft_entra_id` → "Microsoft Entra ID", `my_idp` → "My Idp". */
export function defaultDisplayName(idp: string): string {
  if (idp === 'aws_cognito') return 'AWS Cognito';
  if (idp === 'microsoft_entra_id') return 'Microsoft Entra ID';
  // Python's str.title(): a letter is upper-cased when it does not follow another letter.
  return idp
    .replace(/_/g, ' ')
    .toLowerCase()
    .replace(/(^|[^a-z])([a-z])/g, (_match, before: string, letter: string) => before + letter.toUpperCase());
}

function requiredString(message: string): RawSchema<string> {
  return z.string({ error: message }).min(1, { error: message });
}

function isHttpsOrLoopback(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return true; // not a URL at all: reported by the URL check
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

function tokenEndpointAuthMethodVar(idp: string): RawSchema<TokenEndpointAuthMethod | undefined> {
  const allowed = [...TOKEN_ENDPOINT_AUTH_METHODS].sort().join(', ');
  return z
    .string()
    .optional()
    .transform((value) => (value ? value.toLowerCase() : undefined))
    .pipe(
      z
        .enum(TOKEN_ENDPOINT_AUTH_METHODS, {
          error: (issue) =>
            `Invalid TOKEN_ENDPOINT_AUTH_METHOD for ${idp}. Allowed: ${allowed}. Got: ${quoted(String(issue.input))}`,
        })
        .optional(),
    );
}

function roleMappingVar(idp: string): RawSchema<Map<string, AssignableRole> | null> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const { mapping, problems } = collectRoleMapping(raw, idp);
      for (const message of problems) ctx.addIssue({ code: 'custom', message });
      return problems.length > 0 ? z.NEVER : mapping;
    });
}

/** The schema of one IdP's variables, with its combination rules. */
export function idpSchema(prefix: string, idp: string) {
  const variable = (suffix: IdpSuffix) => idpVariable(prefix, idp, suffix);
  const mustBeSet = (what: string, suffix: IdpSuffix) =>
    `${what} must be set for the ${idp} OAuth2 IDP via the ${variable(suffix)} environment variable`;
  const configUrl = requiredString(mustBeSet('OpenID Connect configuration URL', 'OIDC_CONFIG_URL'))
    .pipe(
      urlWithHost((value) => `Invalid OIDC configuration URL for ${idp} OAuth2 IDP: ${shown(value)}`, {
        anyScheme: true,
      }),
    )
    .refine(isHttpsOrLoopback, {
      error: (issue) =>
        `OIDC configuration URL for ${idp} OAuth2 IDP must use HTTPS (except for localhost). Got: ${quoted(String(issue.input))}`,
    });

  return z
    .object({
      DISPLAY_NAME: field(
        z
          .string()
          .optional()
          .transform((value) => value || defaultDisplayName(idp)),
      ),
      CLIENT_ID: field(requiredString(mustBeSet('Client ID', 'CLIENT_ID'))),
      CLIENT_SECRET: field(optionalString()),
      OIDC_CONFIG_URL: field(configUrl),
      ALLOW_SIGN_UP: field(booleanVar(variable('ALLOW_SIGN_UP'), true)),
      AUTO_LOGIN: field(booleanVar(variable('AUTO_LOGIN'), false)),
      USE_PKCE: field(booleanVar(variable('USE_PKCE'), false)),
      TOKEN_ENDPOINT_AUTH_METHOD: field(tokenEndpointAuthMethodVar(idp)),
      SCOPES: field(
        z
          .string()
          .optional()
          .transform((value) => unique([...BASELINE_SCOPES, ...(value ?? '').split(/\s+/).filter(Boolean)])),
      ),
      EMAIL_ATTRIBUTE_PATH: field(jmespathVar('EMAIL_ATTRIBUTE_PATH')),
      GROUPS_ATTRIBUTE_PATH: field(jmespathVar('GROUPS_ATTRIBUTE_PATH')),
      ALLOWED_GROUPS: field(
        z
          .string()
          .optional()
          .transform((value) => unique(commaItems(value ?? ''))),
      ),
      ROLE_ATTRIBUTE_PATH: field(jmespathVar('ROLE_ATTRIBUTE_PATH')),
      ROLE_MAPPING: field(roleMappingVar(idp)),
      ROLE_ATTRIBUTE_STRICT: field(booleanVar(variable('ROLE_ATTRIBUTE_STRICT'), false)),
      ROLE_RESYNC: field(booleanVar(variable('ROLE_RESYNC'), true)),
      CLIENT_ASSERTION_FILE: field(optionalString()),
      CLIENT_ASSERTION_FILE_ENV_VAR: field(optionalString()),
      // Gatehouse additions: the authentication strength an ID token must show (docs/mfa.md).
      REQUIRED_ACR: field(
        z
          .string()
          .optional()
          .transform((value) => unique(commaItems(value ?? ''))),
      ),
      REQUIRED_AMR: field(
        z
          .string()
          .optional()
          .transform((value) => unique(commaItems(value ?? ''))),
      ),
      [ASSERTION_PATH_FROM_VARIABLE]: field(optionalString()),
      LOGOUT: field(booleanVar(idpVariable(GATEHOUSE_IDP_PREFIX, idp, 'LOGOUT'), false)),
    } satisfies Record<IdpSuffix | GatehouseIdpSuffix | typeof ASSERTION_PATH_FROM_VARIABLE, z.ZodType<unknown, Raw>>)
    .superRefine((draft, ctx) => {
      const problem = (suffix: IdpSuffix, message: string) =>
        ctx.addIssue({ code: 'custom', path: [suffix], message, continue: true });

      // PKCE does not make the secret optional: only a declared public client may omit it.
      const method = draft.TOKEN_ENDPOINT_AUTH_METHOD;
      if (
        method !== INVALID &&
        method !== 'none' &&
        method !== 'client_assertion_jwt' &&
        draft.CLIENT_SECRET === null
      ) {
        problem('CLIENT_SECRET', mustBeSet('Client secret', 'CLIENT_SECRET'));
      }
      if (method === 'client_assertion_jwt')
        assertionProblems(idp, draft, (suffix, message) => problem(suffix, message));

      // Group gating is fail-closed: a path without groups would admit nobody, groups without a path everybody.
      const groups = draft.ALLOWED_GROUPS;
      const groupsPathSet = draft.GROUPS_ATTRIBUTE_PATH !== null;
      if (groups !== INVALID && groups.length > 0 && !groupsPathSet) {
        problem(
          'ALLOWED_GROUPS',
          `ALLOWED_GROUPS is set for ${idp} but GROUPS_ATTRIBUTE_PATH is not. ` +
            'GROUPS_ATTRIBUTE_PATH must be configured to use group-based access control.',
        );
      }
      if (groupsPathSet && groups !== INVALID && groups.length === 0) {
        problem(
          'GROUPS_ATTRIBUTE_PATH',
          `GROUPS_ATTRIBUTE_PATH is set for ${idp} but ALLOWED_GROUPS is not. ` +
            'If you want to extract groups, you must specify which groups are allowed. ' +
            "If you don't need group-based access control, remove GROUPS_ATTRIBUTE_PATH.",
        );
      }

      if (draft.ROLE_ATTRIBUTE_PATH === null) {
        if (draft.ROLE_MAPPING !== null) {
          problem(
            'ROLE_MAPPING',
            `Invalid configuration for ${idp}: ROLE_MAPPING is set but ROLE_ATTRIBUTE_PATH is not configured. ` +
              'ROLE_MAPPING requires ROLE_ATTRIBUTE_PATH to specify where to extract the role from.',
          );
        }
        if (draft.ROLE_ATTRIBUTE_STRICT === true) {
          problem(
            'ROLE_ATTRIBUTE_STRICT',
            `Invalid configuration for ${idp}: ROLE_ATTRIBUTE_STRICT is set to true but ROLE_ATTRIBUTE_PATH is not configured. ` +
              'ROLE_ATTRIBUTE_STRICT only applies when role extraction is enabled via ROLE_ATTRIBUTE_PATH.',
          );
        }
        if (draft.ROLE_RESYNC === false) {
          problem(
            'ROLE_RESYNC',
            `Invalid configuration for ${idp}: ROLE_RESYNC is set to false but ROLE_ATTRIBUTE_PATH is not configured. ` +
              'Without ROLE_ATTRIBUTE_PATH roles are never synchronised from the IdP, so there is no role sync to disable.',
          );
        }
      }
    });
}

export type IdpDraft = z.output<ReturnType<typeof idpSchema>>;

/**
 * `client_assertion_jwt` (docs/phoenix-contract.md#client-assertion): exactly one of the direct path or the name of the variable
 * holding it, the path absolute. The file itself may appear later (a sidecar writes it): it is read,
 * and checked, at each code exchange. A path from a named variable is never echoed.
 */
function assertionProblems(idp: string, draft: IdpDraft, problem: (suffix: IdpSuffix, message: string) => void): void {
  const direct = draft.CLIENT_ASSERTION_FILE;
  const named = draft.CLIENT_ASSERTION_FILE_ENV_VAR;
  const fromVariable = draft[ASSERTION_PATH_FROM_VARIABLE];
  if (direct === INVALID || named === INVALID || fromVariable === INVALID) return;
  if (direct !== null && named !== null) {
    problem(
      'CLIENT_ASSERTION_FILE_ENV_VAR',
      'CLIENT_ASSERTION_FILE and CLIENT_ASSERTION_FILE_ENV_VAR are mutually exclusive; set the path directly or name the variable holding it, not both',
    );
  } else if (named !== null) {
    if (fromVariable === null) {
      problem(
        'CLIENT_ASSERTION_FILE_ENV_VAR',
        `CLIENT_ASSERTION_FILE_ENV_VAR names ${escaped(named)}, but that variable is unset or empty. Set ${escaped(named)} to the absolute path of the assertion file.`,
      );
    } else if (!isAbsolute(fromVariable)) {
      problem(
        'CLIENT_ASSERTION_FILE_ENV_VAR',
        `CLIENT_ASSERTION_FILE_ENV_VAR names ${escaped(named)}, but its value is not an absolute path. Set ${escaped(named)} to the absolute path of the assertion file.`,
      );
    }
  } else if (direct === null) {
    problem(
      'CLIENT_ASSERTION_FILE',
      `client_assertion_file is required when token_endpoint_auth_method is 'client_assertion_jwt' (IDP: ${idp}). Set CLIENT_ASSERTION_FILE to the absolute path of the assertion file, or CLIENT_ASSERTION_FILE_ENV_VAR to the name of the variable holding it.`,
    );
  } else if (!isAbsolute(direct)) {
    problem(
      'CLIENT_ASSERTION_FILE',
      `client_assertion_file must be an absolute path (IDP: ${idp}), got ${quoted(direct)}`,
    );
  }
}

const DEFAULT_EMAIL_PATH = (() => {
  const compiled = compilePath('email');
  if (!compiled.ok) throw new Error(compiled.reason);
  return compiled.path;
})();

/** Unwraps a field of a draft that parsed without issues. */
export function valid<T>(value: Field<T>): T {
  if (value === INVALID) throw new Error('unreachable: invalid configuration value after a successful parse');
  return value;
}

export function buildIdp(idp: string, draft: IdpDraft): IdpConfig {
  const roleMapping = valid(draft.ROLE_MAPPING);
  // Unset means a confidential client, for which basic is the usual default.
  const method = valid(draft.TOKEN_ENDPOINT_AUTH_METHOD) ?? 'client_secret_basic';
  return {
    name: idp,
    displayName: valid(draft.DISPLAY_NAME),
    clientId: valid(draft.CLIENT_ID),
    clientSecret: valid(draft.CLIENT_SECRET),
    oidcConfigUrl: valid(draft.OIDC_CONFIG_URL),
    allowSignUp: valid(draft.ALLOW_SIGN_UP),
    autoLogin: valid(draft.AUTO_LOGIN),
    usePkce: valid(draft.USE_PKCE),
    tokenEndpointAuthMethod: method,
    clientAssertion:
      method !== 'client_assertion_jwt'
        ? null
        : valid(draft.CLIENT_ASSERTION_FILE_ENV_VAR) === null
          ? { path: valid(draft.CLIENT_ASSERTION_FILE) ?? '', variable: null }
          : {
              path: valid(draft[ASSERTION_PATH_FROM_VARIABLE]) ?? '',
              variable: valid(draft.CLIENT_ASSERTION_FILE_ENV_VAR),
            },
    scopes: valid(draft.SCOPES),
    emailPath: valid(draft.EMAIL_ATTRIBUTE_PATH) ?? DEFAULT_EMAIL_PATH,
    groupsPath: valid(draft.GROUPS_ATTRIBUTE_PATH),
    allowedGroups: valid(draft.ALLOWED_GROUPS),
    rolePath: valid(draft.ROLE_ATTRIBUTE_PATH),
    roleMapping: roleMapping === null ? null : readonlyMap(roleMapping),
    roleAttributeStrict: valid(draft.ROLE_ATTRIBUTE_STRICT),
    roleResync: valid(draft.ROLE_RESYNC),
    rpInitiatedLogout: valid(draft.LOGOUT),
    requiredAcr: valid(draft.REQUIRED_ACR),
    requiredAmr: valid(draft.REQUIRED_AMR),
  };
}
