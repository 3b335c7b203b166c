import { defineConfig } from 'tsup';

// ESM only: the package is a command first; `run` is exported for tests and scripts that embed it.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: {
    entry: 'src/index.ts',
    // `npm run build --workspaces` builds packages/cli before packages/core (folder order), so the
    // declaration build reads the sibling packages' sources rather than their not-yet-built dist.
    // Only the declarations: the JavaScript keeps importing the packages, which stay external.
    compilerOptions: {
      paths: {
        '@gatehouse-auth/core': ['../core/src/index.ts'],
        '@gatehouse-auth/core/adapter-kit': ['../core/src/adapter-kit.ts'],
        '@gatehouse-auth/core/internal': ['../core/src/internal.ts'],
        '@gatehouse-auth/core/server-env': ['../core/src/server-env.ts'],
        '@gatehouse-auth/db': ['../db/src/index.ts'],
        '@gatehouse-auth/redis': ['../redis/src/index.ts'],
      },
    },
  },
  clean: true,
  target: 'node20',
  sourcemap: true,
  tsconfig: 'tsconfig.json',
});
