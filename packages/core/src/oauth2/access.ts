import type { IdpConfig } from '../config/index.js';
import { quoted } from '../config/text.js';
import { type AssignableRole, isAssignableRole } from '../policy/index.js';

/** How many of a user's groups a denial names; the rest are counted. */
const MAX_GROUPS_SHOWN = 10;

/**
 * A JSON scalar as Python's `str()` prints it, which is what Phoenix compares: `True`,
 * `False`, integers without a decimal point. JS cannot tell `1.0` from `1`, so integers (BigInt,
 * to avoid exponent notation) print without a decimal and other numbers use JS's String().
 */
function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  return null;
}

/**
 * Groups normalisation (docs/phoenix-contract.md#oauth2-groups-and-roles): a string → [it]; a number or boolean → [its Python
 * string form]; a list → its string/number/boolean items stringified alike, nested lists and
 * objects skipped; anything else → []. Strings are kept exactly (no trimming, no case folding).
 */
export function normalizeGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(scalarText).filter((text) => text !== null);
  const text = scalarText(value);
  return text === null ? [] : [text];
}

/**
 * Role normalisation (docs/phoenix-contract.md#oauth2-groups-and-roles): a string trimmed (blank → null); a number or boolean → its
 * Python string form; a list → its first element by the same rules (a nested list → null); else null.
 */
export function normalizeRoleValue(value: unknown): string | null {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  const text = scalarText(first)?.trim();
  return text === undefined || text === '' ? null : text;
}

export type AccessDecision =
  | {
      readonly allowed: true;
      /** null = the IdP gives no role information (no ROLE_ATTRIBUTE_PATH): keep existing users' roles, VIEWER for new ones */
      readonly role: AssignableRole | null;
      readonly reason: string;
    }
  | { readonly allowed: false; readonly reason: string };

type Denial = Extract<AccessDecision, { allowed: false }>;

function listed(groups: readonly string[]): string {
  const shown = groups.slice(0, MAX_GROUPS_SHOWN).map(quoted).join(', ');
  return groups.length > MAX_GROUPS_SHOWN ? `${shown} and ${groups.length - MAX_GROUPS_SHOWN} more` : shown;
}

/** The group gate; its reason is null when there is no gate configured. */
function checkGroups(
  claims: Readonly<Record<string, unknown>>,
  idp: IdpConfig,
): Denial | { allowed: true; reason: string | null } {
  if (idp.groupsPath === null) return { allowed: true, reason: null };
  const groups = normalizeGroups(idp.groupsPath.evaluate(claims));
  const allowed = new Set(idp.allowedGroups);
  const match = groups.find((group) => allowed.has(group));
  if (match !== undefined) return { allowed: true, reason: `group ${quoted(match)} is in ALLOWED_GROUPS` };
  return {
    allowed: false,
    reason:
      groups.length === 0
        ? `Access denied: no groups found at GROUPS_ATTRIBUTE_PATH ${quoted(idp.groupsPath.expression)}`
        : `Access denied: none of the user's groups (${listed(groups)}) is in ALLOWED_GROUPS`,
  };
}

/** What a role that cannot be used becomes: a denial in strict mode, VIEWER (least privilege) otherwise. */
function fallback(idp: IdpConfig, problem: string): AccessDecision {
  return idp.roleAttributeStrict
    ? { allowed: false, reason: `Access denied: ${problem} and ROLE_ATTRIBUTE_STRICT is on` }
    : { allowed: true, role: 'VIEWER', reason: `${problem}: defaulting to VIEWER` };
}

function resolveRole(claims: Readonly<Record<string, unknown>>, idp: IdpConfig): AccessDecision {
  if (idp.rolePath === null) {
    return {
      allowed: true,
      role: null,
      reason: 'no ROLE_ATTRIBUTE_PATH, so no role from the IdP: existing users keep theirs, new users get VIEWER',
    };
  }
  const value = normalizeRoleValue(idp.rolePath.evaluate(claims));
  if (value === null) return fallback(idp, `no role found at ROLE_ATTRIBUTE_PATH ${quoted(idp.rolePath.expression)}`);

  // An empty mapping is no mapping, as in Phoenix (config never builds one).
  if (idp.roleMapping !== null && idp.roleMapping.size > 0) {
    // Exact and case-sensitive; config has already refused SYSTEM as a mapping target.
    const mapped = idp.roleMapping.get(value);
    return mapped === undefined
      ? fallback(idp, `IdP role ${quoted(value)} is not in ROLE_MAPPING`)
      : { allowed: true, role: mapped, reason: `IdP role ${quoted(value)} maps to ${mapped} through ROLE_MAPPING` };
  }

  const upper = value.toUpperCase();
  if (isAssignableRole(upper))
    return { allowed: true, role: upper, reason: `IdP role ${quoted(value)} is the role ${upper}` };
  const why = upper === 'SYSTEM' ? ' (SYSTEM is never assignable through an IdP)' : '';
  return fallback(idp, `IdP role ${quoted(value)} is not one of ADMIN, MEMBER, VIEWER${why}`);
}

/**
 * docs/phoenix-contract.md#oauth2-groups-and-roles: the group gate (when configured), then the role. Claims should already be
 * pruned (`pruneClaims`). A JMESPath runtime error counts as a missing claim. `reason` is a short
 * sentence for logs and `explain-claims`; the only claim values it names are group and role names.
 */
export function resolveAccess(claims: Readonly<Record<string, unknown>>, idp: IdpConfig): AccessDecision {
  const gate = checkGroups(claims, idp);
  if (!gate.allowed) return gate;
  const role = resolveRole(claims, idp);
  if (!role.allowed || gate.reason === null) return role;
  return { ...role, reason: `${gate.reason}; ${role.reason}` };
}
