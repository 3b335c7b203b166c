import type fc from 'fast-check';

/**
 * Run counts for the property tests in this folder. CI runs each property `ciRuns` times (sized
 * per property so the folder stays well under 20 s); `npm run fuzz` sets FUZZ_RUNS, the count for
 * a property whose CI count is 1000, and every other property scales in proportion, so costly
 * properties stay costly-but-bounded. FUZZ_SEED and FUZZ_PATH, both printed by fast-check on a
 * failure, replay it; select the failing test with `vitest -t`, as the path only fits that property.
 */
const REFERENCE_CI_RUNS = 1000;

function envInteger(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

const fuzzRuns = envInteger('FUZZ_RUNS');
const seed = envInteger('FUZZ_SEED');
const path = process.env.FUZZ_PATH;

/** Per-test timeout: vitest's default suits CI; the long run may take minutes per property. */
export const TIMEOUT_MS = fuzzRuns === undefined ? 30_000 : 15 * 60_000;

export function runs<T>(ciRuns: number, extra: fc.Parameters<NoInfer<T>> = {}): fc.Parameters<T> {
  const numRuns =
    fuzzRuns === undefined ? ciRuns : Math.max(ciRuns, Math.round((fuzzRuns * ciRuns) / REFERENCE_CI_RUNS));
  return {
    ...extra,
    numRuns,
    ...(seed === undefined ? {} : { seed }),
    ...(seed === undefined || path === undefined ? {} : { path }),
  };
}
