import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per public subpath (package.json `exports`).
  entry: ['src/index.ts', 'src/adapter-kit.ts', 'src/internal.ts', 'src/server-env.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
  // Shared chunks in both formats: each class and module-level state exists once per build, whichever
  // subpath loaded it (without it the CJS entries would each carry their own copy).
  splitting: true,
  tsconfig: 'tsconfig.json',
});
