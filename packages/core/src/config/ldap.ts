/**
 * The `LDAP_*` variables (docs/phoenix-contract.md#ldap-variables, #ldap-groups). LDAP is on exactly when `LDAP_HOST` holds a
 * host; then every other LDAP variable is validated, even with auth off, and every problem is
 * reported (Phoenix stops at the first one).
 */
import { statSync } from 'node:fs';
import type { ConfigIssue } from '../errors/index.js';
import { canonicalDn, isValidDn } from '../ldap/dn.js';
import { ASSIGNABLE_ROLES, type AssignableRole } from '../policy/roles.js';
import { commaItems, shown } from './text.js';
import type { LdapConfig, LdapGroupRoleMapping, LdapTlsMode } from './types.js';

/** Read under the prefix as `LDAP_<SUFFIX>`. */
export const LDAP_SUFFIXES = [
  'HOST',
  'PORT',
  'TLS_MODE',
  'TLS_VERIFY',
  'TLS_CA_CERT_FILE',
  'TLS_CLIENT_CERT_FILE',
  'TLS_CLIENT_KEY_FILE',
  'BIND_DN',
  'BIND_PASSWORD',
  'USER_SEARCH_BASE_DNS',
  'USER_SEARCH_FILTER',
  'ATTR_EMAIL',
  'ATTR_DISPLAY_NAME',
  'ATTR_MEMBER_OF',
  'ATTR_UNIQUE_ID',
  'GROUP_SEARCH_FILTER',
  'GROUP_SEARCH_BASE_DNS',
  'GROUP_SEARCH_FILTER_USER_ATTR',
  'GROUP_ROLE_MAPPINGS',
  'ALLOW_SIGN_UP',
] as const;
export type LdapSuffix = (typeof LDAP_SUFFIXES)[number];

export const DEFAULT_USER_SEARCH_FILTER = '(&(objectClass=user)(sAMAccountName=%s))';
const ROLE_LIST = `(${ASSIGNABLE_ROLES.map((role) => `'${role}'`).join(', ')})`;

export interface LdapParseResult {
  readonly ldap: LdapConfig | null;
  readonly issues: ConfigIssue[];
  /** Logged at start-up: allowed but risky settings. */
  readonly warnings: string[];
}

/**
 * Parses the LDAP variables from already-trimmed values. `adminsConfigured`: `PHOENIX_ADMINS` holds
 * accounts (refused in no-email mode).
 */
export function parseLdapEnv(
  read: (suffix: LdapSuffix) => string | undefined,
  prefix: string,
  adminsConfigured: boolean,
): LdapParseResult {
  const name = (suffix: LdapSuffix) => `${prefix}LDAP_${suffix}`;
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const problem = (suffix: LdapSuffix, message: string) => issues.push({ variable: name(suffix), message });
  const value = (suffix: LdapSuffix): string | undefined => {
    const raw = read(suffix);
    return raw === undefined || raw === '' ? undefined : raw;
  };

  const hostRaw = read('HOST');
  if (hostRaw === undefined || hostRaw === '') return { ldap: null, issues, warnings };
  const hosts = commaItems(hostRaw);
  if (hosts.length === 0) {
    problem(
      'HOST',
      `${name('HOST')} must contain at least one non-empty host. Example: 'ldap1.example.com,ldap2.example.com'`,
    );
  }
  for (const host of hosts) {
    if (!/^[A-Za-z0-9._:[\]-]+$/.test(host) || host.includes('://')) {
      problem(
        'HOST',
        `${name('HOST')} items must be bare host names or IP addresses (no scheme, port or spaces). Got: '${shown(host)}'`,
      );
    }
  }

  const mappings = parseMappings(read('GROUP_ROLE_MAPPINGS'), name('GROUP_ROLE_MAPPINGS'), (m) =>
    problem('GROUP_ROLE_MAPPINGS', m),
  );

  const modeRaw = (value('TLS_MODE') ?? 'starttls').toLowerCase();
  let tlsMode: LdapTlsMode = 'starttls';
  if (modeRaw === 'none' || modeRaw === 'starttls' || modeRaw === 'ldaps') tlsMode = modeRaw;
  else problem('TLS_MODE', `${name('TLS_MODE')} must be 'none', 'starttls', or 'ldaps'. Got: '${shown(modeRaw)}'`);

  const groupFilter = value('GROUP_SEARCH_FILTER') ?? null;
  if (groupFilter !== null && !groupFilter.includes('%s')) {
    problem(
      'GROUP_SEARCH_FILTER',
      `${name('GROUP_SEARCH_FILTER')} must contain '%s' placeholder. Got: '${shown(groupFilter)}'`,
    );
  }
  const groupBases =
    value('GROUP_SEARCH_BASE_DNS') === undefined
      ? null
      : parseBaseDns(read('GROUP_SEARCH_BASE_DNS'), name('GROUP_SEARCH_BASE_DNS'), (m) =>
          problem('GROUP_SEARCH_BASE_DNS', m),
        );
  if (groupFilter !== null && groupBases === null) {
    problem(
      'GROUP_SEARCH_BASE_DNS',
      `${name('GROUP_SEARCH_FILTER')} is set but ${name('GROUP_SEARCH_BASE_DNS')} is missing. Both are required for POSIX group search.`,
    );
  }
  const groupUserAttr = value('GROUP_SEARCH_FILTER_USER_ATTR') ?? null;
  if (groupUserAttr !== null && groupFilter === null) {
    problem(
      'GROUP_SEARCH_FILTER_USER_ATTR',
      `${name('GROUP_SEARCH_FILTER_USER_ATTR')} is set but ${name('GROUP_SEARCH_FILTER')} is not. The user attribute setting only applies to group search filter mode.`,
    );
  }

  const tlsVerify = parseBool(read('TLS_VERIFY'), true, name('TLS_VERIFY'), (m) => problem('TLS_VERIFY', m));
  if (tlsMode === 'none') warnings.push(`${name('TLS_MODE')}=none: passwords cross the network in plain text`);
  else if (tlsVerify === false)
    warnings.push(`${name('TLS_VERIFY')}=false: the directory's certificate is not checked (man-in-the-middle risk)`);

  const userBases = parseBaseDns(
    read('USER_SEARCH_BASE_DNS'),
    name('USER_SEARCH_BASE_DNS'),
    (m) => problem('USER_SEARCH_BASE_DNS', m),
    true,
  );
  const allowSignUp = parseBool(read('ALLOW_SIGN_UP'), true, name('ALLOW_SIGN_UP'), (m) => problem('ALLOW_SIGN_UP', m));

  const defaultPort = tlsMode === 'ldaps' ? 636 : 389;
  let port = defaultPort;
  const portRaw = value('PORT');
  if (portRaw !== undefined) {
    const parsed = /^[+-]?\d+$/.test(portRaw) ? Number(portRaw) : Number.NaN;
    if (!Number.isSafeInteger(parsed)) {
      problem(
        'PORT',
        `Invalid value for environment variable ${name('PORT')}: ${shown(portRaw)}. Value must be an integer.`,
      );
    } else if (parsed < 1 || parsed > 65_535) {
      problem('PORT', `${name('PORT')} must be a port number from 1 to 65535. Got: ${parsed}`);
    } else port = parsed;
  }

  const clientCert = value('TLS_CLIENT_CERT_FILE') ?? null;
  const clientKey = value('TLS_CLIENT_KEY_FILE') ?? null;
  if (clientCert !== null && clientKey === null) {
    problem(
      'TLS_CLIENT_KEY_FILE',
      `${name('TLS_CLIENT_CERT_FILE')} requires ${name('TLS_CLIENT_KEY_FILE')} to also be set`,
    );
  }
  if (clientKey !== null && clientCert === null) {
    problem(
      'TLS_CLIENT_CERT_FILE',
      `${name('TLS_CLIENT_KEY_FILE')} requires ${name('TLS_CLIENT_CERT_FILE')} to also be set`,
    );
  }
  const caFile = value('TLS_CA_CERT_FILE') ?? null;
  for (const [suffix, path] of [
    ['TLS_CA_CERT_FILE', caFile],
    ['TLS_CLIENT_CERT_FILE', clientCert],
    ['TLS_CLIENT_KEY_FILE', clientKey],
  ] as const) {
    if (path !== null && !isFile(path))
      problem(suffix, `${name(suffix)}='${shown(path)}' does not exist or is not a file`);
  }

  // E-mail: unset → `mail`; "" or "null" (any case) → no-email mode.
  const emailRaw = read('ATTR_EMAIL');
  const emailAttribute =
    emailRaw === undefined ? 'mail' : emailRaw === '' || emailRaw.toLowerCase() === 'null' ? null : emailRaw;
  if (emailRaw === undefined) warnings.push(`${name('ATTR_EMAIL')} is not set: using 'mail' (set it explicitly)`);
  const uniqueIdAttribute = value('ATTR_UNIQUE_ID') ?? null;
  if (emailAttribute === null) {
    if (uniqueIdAttribute === null) {
      problem(
        'ATTR_UNIQUE_ID',
        `${name('ATTR_UNIQUE_ID')} is required when ${name('ATTR_EMAIL')} is 'null'. Without email, unique_id is needed to identify returning users.`,
      );
    }
    if (allowSignUp === false) {
      problem(
        'ALLOW_SIGN_UP',
        `${name('ALLOW_SIGN_UP')} must be True when ${name('ATTR_EMAIL')} is 'null'. Null email markers require auto-provisioning on first login.`,
      );
    }
    if (adminsConfigured) {
      issues.push({
        variable: `${prefix}ADMINS`,
        message: `${prefix}ADMINS is not supported when ${name('ATTR_EMAIL')} is 'null'. Use ${name('GROUP_ROLE_MAPPINGS')} to assign roles.`,
      });
    }
  }
  const displayRaw = read('ATTR_DISPLAY_NAME');
  const displayNameAttribute = displayRaw === undefined ? 'displayName' : displayRaw === '' ? null : displayRaw;
  const memberOfRaw = read('ATTR_MEMBER_OF');
  const memberOfAttribute = memberOfRaw === undefined ? 'memberOf' : memberOfRaw === '' ? null : memberOfRaw;
  const attributes: [LdapSuffix, string | null][] = [
    ['ATTR_EMAIL', emailAttribute],
    ['ATTR_DISPLAY_NAME', displayNameAttribute],
    ['ATTR_MEMBER_OF', memberOfAttribute],
    ['ATTR_UNIQUE_ID', uniqueIdAttribute],
    ['GROUP_SEARCH_FILTER_USER_ATTR', groupUserAttr],
  ];
  for (const [suffix, attribute] of attributes) {
    if (attribute !== null && /\s/.test(attribute)) {
      problem(
        suffix,
        `${name(suffix)}='${shown(attribute)}' contains spaces. LDAP attribute names do not contain spaces. Did you mean '${shown(attribute.replace(/\s+/g, ''))}'?`,
      );
    }
  }

  const userFilter = value('USER_SEARCH_FILTER') ?? DEFAULT_USER_SEARCH_FILTER;
  if (!userFilter.includes('%s')) {
    problem(
      'USER_SEARCH_FILTER',
      `${name('USER_SEARCH_FILTER')} must contain '%s' placeholder for username. Got: '${shown(userFilter)}'`,
    );
  }

  const bindDn = value('BIND_DN') ?? null;
  if (bindDn !== null && !isValidDn(bindDn)) {
    problem(
      'BIND_DN',
      `${name('BIND_DN')} has invalid LDAP DN syntax: '${shown(bindDn)}'. Expected format: 'cn=service,ou=accounts,dc=example,dc=com'`,
    );
  }
  const bindPassword = value('BIND_PASSWORD') ?? null;
  if (bindDn !== null && bindPassword === null) {
    problem(
      'BIND_PASSWORD',
      `${name('BIND_DN')} is set but ${name('BIND_PASSWORD')} is missing. Both are required for service account authentication.`,
    );
  }
  if (bindPassword !== null && bindDn === null) {
    problem(
      'BIND_DN',
      `${name('BIND_PASSWORD')} is set but ${name('BIND_DN')} is missing. Both are required for service account authentication.`,
    );
  }

  if (issues.length > 0 || mappings === null || userBases === null || tlsVerify === null || allowSignUp === null) {
    return { ldap: null, issues, warnings };
  }
  const ldap: LdapConfig = {
    hosts,
    port,
    tlsMode,
    tlsVerify,
    caCertFile: caFile,
    clientCertFile: clientCert,
    clientKeyFile: clientKey,
    bindDn,
    bindPassword,
    userSearchBaseDns: userBases,
    userSearchFilter: userFilter,
    emailAttribute,
    displayNameAttribute,
    memberOfAttribute,
    uniqueIdAttribute,
    groupSearchFilter: groupFilter,
    groupSearchBaseDns: groupBases ?? [],
    groupSearchFilterUserAttribute: groupUserAttr,
    groupRoleMappings: mappings,
    allowSignUp,
  };
  return { ldap, issues, warnings };
}

function parseBool(
  raw: string | undefined,
  fallback: boolean,
  variable: string,
  report: (message: string) => void,
): boolean | null {
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  report(`${variable} must be set to TRUE or FALSE (case-insensitive). Got: '${shown(raw)}'`);
  return null;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function parseJson(raw: string, variable: string, example: string, report: (message: string) => void): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    report(
      `${variable} is not valid JSON: ${error instanceof Error ? error.message : String(error)}. Expected format: ${example}`,
    );
    return undefined;
  }
}

/** A JSON array of DN strings, trimmed; `""` is the root DSE. Null when invalid (reported). */
function parseBaseDns(
  raw: string | undefined,
  variable: string,
  report: (message: string) => void,
  required = false,
): string[] | null {
  const example = `'["ou=users,dc=example,dc=com"]'`;
  if (raw === undefined || raw === '') {
    if (required) report(`${variable} must be set. Example: ${example}`);
    return null;
  }
  const parsed = parseJson(raw, variable, example, report);
  if (parsed === undefined) return null;
  if (!Array.isArray(parsed)) {
    report(`${variable} must be a JSON array. Example: ${example}`);
    return null;
  }
  if (parsed.length === 0) {
    report(`${variable} must contain at least one base DN. Example: ${example}`);
    return null;
  }
  const bases: string[] = [];
  let ok = true;
  parsed.forEach((item: unknown, index) => {
    if (typeof item !== 'string') {
      report(`${variable}[${index}] must be a string`);
      ok = false;
      return;
    }
    const dn = item.trim();
    if (!isValidDn(dn)) {
      report(
        `${variable}[${index}] has invalid LDAP DN syntax: '${shown(item)}'. Expected format: 'ou=users,dc=example,dc=com'`,
      );
      ok = false;
      return;
    }
    bases.push(dn);
  });
  return ok ? bases : null;
}

function parseMappings(
  raw: string | undefined,
  variable: string,
  report: (message: string) => void,
): LdapGroupRoleMapping[] | null {
  const example = `'[{"group_dn": "*", "role": "MEMBER"}]'`;
  if (raw === undefined) {
    report(
      `${variable} must contain at least one mapping. Example: ${example} (wildcard '*' grants MEMBER role to all authenticated LDAP users)`,
    );
    return null;
  }
  const parsed = parseJson(raw, variable, example, report);
  if (parsed === undefined) return null;
  if (!Array.isArray(parsed)) {
    report(`${variable} must be a JSON array. Example: ${example}`);
    return null;
  }
  if (parsed.length === 0) {
    report(
      `${variable} must contain at least one mapping. Example: ${example} (wildcard '*' grants MEMBER role to all authenticated LDAP users)`,
    );
    return null;
  }
  const mappings: LdapGroupRoleMapping[] = [];
  let ok = true;
  const fail = (message: string) => {
    report(message);
    ok = false;
  };
  parsed.forEach((item: unknown, index) => {
    const at = `${variable}[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return fail(
        `${at} must be an object. Got: ${item === null ? 'null' : Array.isArray(item) ? 'array' : typeof item}`,
      );
    }
    const entry = item as Record<string, unknown>;
    if (!('group_dn' in entry)) return fail(`${at} missing required field 'group_dn'`);
    if (!('role' in entry)) return fail(`${at} missing required field 'role'`);
    const groupDn = entry.group_dn;
    if (typeof groupDn !== 'string' || groupDn.trim() === '') return fail(`${at}.group_dn must be a non-empty string`);
    const role = typeof entry.role === 'string' ? entry.role.toUpperCase() : '';
    if (!(ASSIGNABLE_ROLES as readonly string[]).includes(role)) {
      return fail(`${at}: role must be one of ${ROLE_LIST} (case-insensitive). Got: '${shown(String(entry.role))}'`);
    }
    const trimmed = groupDn.trim();
    if (trimmed === '*') {
      mappings.push({ groupDn: '*', role: role as AssignableRole });
      return;
    }
    const canonical = canonicalDn(trimmed);
    if (canonical === null) {
      return fail(
        `${at}.group_dn has invalid LDAP DN syntax: '${shown(groupDn)}'. Expected format: 'cn=GroupName,ou=Groups,dc=example,dc=com'`,
      );
    }
    mappings.push({ groupDn: canonical, role: role as AssignableRole });
  });
  return ok ? mappings : null;
}
