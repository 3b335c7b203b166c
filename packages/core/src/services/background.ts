/**
 * Work that must finish but must not hold up the answer. The password-reset mail goes here so that
 * an existing account and an unknown e-mail get the same answer in the same time; `drain` lets a
 * host (or a test) wait for it before shutting down.
 */
export interface BackgroundWork {
  run(work: () => Promise<void>): void;
  /** Resolves when everything started so far has settled. */
  drain(): Promise<void>;
}

/** Errors must be handled inside `work` (logged without secrets); anything that escapes is dropped here. */
export function createBackgroundWork(): BackgroundWork {
  const pending = new Set<Promise<void>>();
  return {
    run(work) {
      const task = Promise.resolve()
        .then(work)
        .catch(() => {})
        .finally(() => pending.delete(task));
      pending.add(task);
    },
    async drain() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
