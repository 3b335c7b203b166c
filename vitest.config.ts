import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // A throw-away PostgreSQL on loopback (or DATABASE_URL when set) for the store and service suites.
    globalSetup: ['test/setup/postgres.ts'],
    // The JSON report is what .ci/run turns into its `N passed, N failed` line.
    reporters: ['default', ['json', { outputFile: '.ci-vitest.json' }]],
  },
});
