import type { Logger } from '../services/deps.js';
import type { RevocationEvent } from '../ports.js';
import { REVOCATION_ALL, decodeRevocationMessage, encodeRevocationMessage } from './wire.js';

/**
 * What every cross-instance `RevocationChannel` does besides talking to its transport: local
 * listeners, the instance's wire identity, reading untrusted messages, and the bounded backlog of
 * messages published while disconnected. The Redis and PostgreSQL channels wrap their connections
 * around one of these.
 */
export interface RevocationRelay {
  /** This instance's id on the wire: its own messages coming back are skipped. */
  readonly origin: string;
  /** Runs every local listener; one that throws is logged and does not stop the others. */
  readonly deliver: (event: RevocationEvent) => void;
  readonly subscribe: (listener: (event: RevocationEvent) => void) => () => void;
  readonly encode: (event: RevocationEvent) => string;
  /** A message off the wire (untrusted): delivered unless malformed (logged, dropped) or our own. */
  readonly receive: (payload: string | undefined, context: Readonly<Record<string, unknown>>) => void;
  /**
   * Holds messages until the transport is back; `older` ones (a failed send) go in front. Past the
   * bound the backlog becomes one `{ type: 'all' }`: dropping events would leave other instances
   * trusting revoked credentials.
   */
  readonly hold: (payloads: readonly string[], older?: boolean) => void;
  /** Everything held, oldest first, and empties the backlog. */
  readonly takeHeld: () => string[];
}

export interface RevocationRelayOptions {
  logger: Logger;
  /** Messages held while disconnected before they collapse into `{ type: 'all' }`. Default 1,000. */
  maxHeld?: number;
}

export function createRevocationRelay(options: RevocationRelayOptions): RevocationRelay {
  const { logger } = options;
  const maxHeld = options.maxHeld ?? 1_000;
  const origin = globalThis.crypto.randomUUID();
  const listeners = new Set<(event: RevocationEvent) => void>();
  let held: string[] = [];

  function deliver(event: RevocationEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.error('revocation listener threw', { error });
      }
    }
  }

  return {
    origin,
    deliver,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    encode: (event) => encodeRevocationMessage(origin, event),
    receive(payload, context) {
      const message = payload === undefined ? undefined : decodeRevocationMessage(payload);
      if (message === undefined) {
        logger.warn('dropped a malformed revocation message', { ...context, bytes: payload?.length ?? 0 });
        return;
      }
      // Our own publishes come back too; they were delivered locally already.
      if (message.origin !== origin) deliver(message.event);
    },
    hold(payloads, older = false) {
      held = older ? [...payloads, ...held] : [...held, ...payloads];
      if (held.length > maxHeld) {
        logger.warn('revocation backlog overflowed; other instances will be told to drop all cached credentials', {
          queued: held.length,
        });
        held = [encodeRevocationMessage(origin, REVOCATION_ALL)];
      }
    },
    takeHeld() {
      const out = held;
      held = [];
      return out;
    },
  };
}
