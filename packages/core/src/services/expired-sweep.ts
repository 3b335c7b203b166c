import type { AuthStore, Clock } from '../ports.js';
import type { Logger } from './deps.js';

export interface ExpiredSweep {
  /** One sweep now (skipped if one is still running); resolves with the rows removed, or null. */
  runOnce(): Promise<number | null>;
  /** Stops the timer and waits for a sweep in progress, so the store can be closed after it. */
  stop(): Promise<void>;
}

export interface ExpiredSweepOptions {
  store: Pick<AuthStore, 'deleteExpired'> & Partial<Pick<AuthStore, 'deleteAuditEventsBefore'>>;
  clock: Clock;
  logger: Logger;
  /** Milliseconds between sweeps; 0 starts no timer (`runOnce` still works). */
  intervalMs: number;
  /** Audit events older than this (milliseconds) go in the same sweep; omitted: the audit table is not swept. */
  auditRetentionMs?: number;
}

/**
 * Deletes expired sessions, tokens, reset tokens and API keys (and audit events past their
 * retention) on a timer, as Phoenix's token
 * stores do, so the tables hold what is live rather than every token ever issued. The timer does
 * not keep the process alive; a failed sweep is logged (no row contents) and the next one retries.
 */
export function startExpiredSweep(options: ExpiredSweepOptions): ExpiredSweep {
  const { store, clock, logger, intervalMs, auditRetentionMs } = options;

  async function sweepAll(now: number): Promise<number> {
    const removed = await store.deleteExpired(now);
    if (auditRetentionMs === undefined || !store.deleteAuditEventsBefore) return removed;
    return removed + (await store.deleteAuditEventsBefore(now - auditRetentionMs));
  }
  let running: Promise<number | null> | null = null;

  function runOnce(): Promise<number | null> {
    if (running) return running.then(() => null);
    running = sweepAll(clock.now())
      .catch((error: unknown) => {
        logger.warn('expired-row sweep failed; the next one retries', {
          error: error instanceof Error ? error.name : typeof error,
        });
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = intervalMs > 0 ? setInterval(() => void runOnce(), intervalMs) : undefined;
  timer?.unref();

  return {
    runOnce,
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
