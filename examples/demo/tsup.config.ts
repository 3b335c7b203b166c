import { defineConfig } from 'tsup';

// An application, not a library: one ESM entry, no declarations, dependencies left external.
export default defineConfig({
  entry: ['src/server.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  target: 'node20',
  sourcemap: true,
  tsconfig: 'tsconfig.json',
});
