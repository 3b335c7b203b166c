import type { RevocationEvent } from '../ports.js';

/** The event a channel delivers after a reconnect (and sends when its backlog overflowed). */
export const REVOCATION_ALL: RevocationEvent = Object.freeze({ type: 'all' });

/**
 * The wire format every cross-instance `RevocationChannel` shares (Redis pub/sub, PostgreSQL
 * NOTIFY). What a published message carries: `{ "o": <sender instance id>, "e": <event> }`. */
export interface RevocationWireMessage {
  readonly origin: string;
  readonly event: RevocationEvent;
}

export function encodeRevocationMessage(origin: string, event: RevocationEvent): string {
  return JSON.stringify({ o: origin, e: event });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** Rebuilds the event from known fields only, so nothing else a sender attached gets through. */
function toEvent(value: unknown): RevocationEvent | undefined {
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case 'all':
      return REVOCATION_ALL;
    case 'user':
      return isId(value.userId) ? { type: 'user', userId: value.userId } : undefined;
    case 'user_sessions':
      return isId(value.userId) ? { type: 'user_sessions', userId: value.userId } : undefined;
    case 'session':
      return isId(value.sessionId) ? { type: 'session', sessionId: value.sessionId } : undefined;
    case 'api_key':
      return isId(value.apiKeyId) ? { type: 'api_key', apiKeyId: value.apiKeyId } : undefined;
    default:
      return undefined;
  }
}

/** Whoever can publish on the channel (any Redis client, any database user) is untrusted: validate everything. */
export function decodeRevocationMessage(payload: string): RevocationWireMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || typeof parsed.o !== 'string' || parsed.o === '') return undefined;
  const event = toEvent(parsed.e);
  return event === undefined ? undefined : { origin: parsed.o, event };
}
