import { z } from 'zod';
import { ASSIGNABLE_ROLES, type AssignableRole } from '../policy/roles.js';
import { quoted } from './text.js';

const VALID_ROLES = [...ASSIGNABLE_ROLES].sort().join(', ');
const assignableRole = z.enum(ASSIGNABLE_ROLES);

export interface RoleMappingParseResult {
  /** Null when the variable holds no item at all (unset, empty, only commas). */
  readonly mapping: Map<string, AssignableRole> | null;
  readonly problems: string[];
}

/**
 * Parses `IdpRole:ROLE,IdpRole2:ROLE2` for the IdP `idp`, reporting every bad item.
 * Items are split at the FIRST `:` and trimmed; the role side is case-insensitive, the IdP side
 * is kept exactly (it is matched case-sensitively). A later duplicate key overwrites an earlier one.
 */
export function collectRoleMapping(raw: string | undefined, idp: string): RoleMappingParseResult {
  const items = (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) return { mapping: null, problems: [] };

  const mapping = new Map<string, AssignableRole>();
  const problems: string[] = [];
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon === -1) {
      problems.push(
        `Invalid ROLE_MAPPING format for ${idp}: ${quoted(item)}. ` +
          `Expected format: 'IdpRole:PhoenixRole' (e.g., 'Owner:ADMIN,Developer:MEMBER')`,
      );
      continue;
    }
    const idpRole = item.slice(0, colon).trim();
    const roleText = item.slice(colon + 1).trim();
    if (idpRole === '') {
      problems.push(`Invalid ROLE_MAPPING for ${idp}: IDP role cannot be empty in ${quoted(item)}`);
      continue;
    }
    const role = assignableRole.safeParse(roleText.toUpperCase());
    if (!role.success) {
      problems.push(
        roleText.toUpperCase() === 'SYSTEM'
          ? `Invalid ROLE_MAPPING for ${idp}: SYSTEM role cannot be assigned via OAuth2. ` +
              `SYSTEM is an internal-only role for system API keys. Valid roles are: ${VALID_ROLES}`
          : `Invalid ROLE_MAPPING for ${idp}: ${quoted(roleText)} is not a valid Phoenix role. ` +
              `Valid roles are: ${VALID_ROLES} (case-insensitive).`,
      );
      continue;
    }
    mapping.set(idpRole, role.data);
  }
  return { mapping, problems };
}
