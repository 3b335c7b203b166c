import { z } from 'zod';
import { ASSIGNABLE_ROLES, isAssignableRole, type AssignableRole } from '../policy/roles.js';
import { secretProblems } from './secret-rules.js';
import { shown } from './text.js';

type Raw = string | undefined;

/**
 * `GATEHOUSE_ENCRYPTION_KEY_PREVIOUS`: former encryption keys, comma-separated, each held to the
 * same rules as the current one. They only decrypt; a secret read with one is written back under
 * the current key. Messages name the position of a bad key, never its value.
 */
export function previousKeysVar(variable: string): z.ZodType<readonly string[], Raw> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return [];
      const keys = raw.split(',').map((key) => key.trim());
      keys.forEach((key, index) => {
        const problem = secretProblems(key, `${variable} entry ${index + 1}`);
        if (problem !== null)
          ctx.addIssue({
            code: 'custom',
            message: `${problem}${key.length === 0 ? '' : ` (got ${key.length} characters)`}`,
          });
      });
      return keys;
    });
}

/** `GATEHOUSE_MFA_REQUIRED_ROLES`: `ADMIN`, `ADMIN,MEMBER`…; case-insensitive, de-duplicated. */
export function requiredRolesVar(variable: string): z.ZodType<readonly AssignableRole[], Raw> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return [];
      const roles = new Set<AssignableRole>();
      for (const part of raw.split(',')) {
        const role = part.trim().toUpperCase();
        if (isAssignableRole(role)) roles.add(role);
        else
          ctx.addIssue({
            code: 'custom',
            message: `${variable} must be a comma-separated list of ${ASSIGNABLE_ROLES.join(', ')}. Got: '${shown(part.trim())}'`,
          });
      }
      return ASSIGNABLE_ROLES.filter((role) => roles.has(role));
    });
}
