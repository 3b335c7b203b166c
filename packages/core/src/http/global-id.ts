import { ValidationError } from '../errors/index.js';

/** Node types whose ids clients see: Phoenix's GraphQL GlobalIDs, base64 of `<Type>:<n>`. */
export type NodeType = 'User' | 'UserApiKey' | 'SystemApiKey' | 'AuditEvent' | 'UserSession';

export function toGlobalId(type: NodeType, id: number): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64');
}

/** The row id inside a GlobalID of the expected type; a malformed id or another type is a 422. */
export function fromGlobalId(type: NodeType, globalId: string | null | undefined, field = 'id'): number {
  if (globalId && globalId.length <= 128) {
    const decoded = Buffer.from(globalId, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && decoded.slice(0, colon) === type) {
      const digits = decoded.slice(colon + 1);
      if (/^[1-9]\d{0,15}$/.test(digits)) {
        const id = Number(digits);
        if (Number.isSafeInteger(id)) return id;
      }
    }
  }
  throw new ValidationError(`${field} must be a ${type} id`);
}
