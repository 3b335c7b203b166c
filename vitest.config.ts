import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Type tests of the public API (test/types/*.test-d.ts): type-checked by tsc, never executed; a
    // failed expectTypeOf or an unused @ts-expect-error fails the run like a failed test.
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './test/types/tsconfig.json' },
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // A throw-away PostgreSQL on loopback (or DATABASE_URL when set) for the store and service suites.
    globalSetup: ['test/setup/postgres.ts'],
    // The JSON report is what .ci/run turns into its `N passed, N failed` line.
    reporters: ['default', ['json', { outputFile: '.ci-vitest.json' }]],
  },
});
