import type { RevocationChannel, RevocationEvent } from '../ports.js';

/**
 * In-process fan-out: listeners run synchronously inside `publish`, so when a logout returns, this
 * process's caches have already forgotten the credential.
 */
export function createLocalRevocationChannel(): RevocationChannel {
  const listeners = new Set<(event: RevocationEvent) => void>();
  return {
    publish(event: RevocationEvent): Promise<void> {
      for (const listener of listeners) listener(event);
      return Promise.resolve();
    },
    subscribe(listener: (event: RevocationEvent) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
