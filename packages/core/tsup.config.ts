import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per public subpath (package.json `exports`), and the argon2 worker thread's script,
  // which src/crypto/argon2-threads.ts finds beside its own chunk (dist/argon2-worker.{js,cjs}).
  entry: {
    index: 'src/index.ts',
    'adapter-kit': 'src/adapter-kit.ts',
    internal: 'src/internal.ts',
    'server-env': 'src/server-env.ts',
    'argon2-worker': 'src/crypto/argon2-worker.ts',
  },
  format: ['esm', 'cjs'],
  // Declarations for the public subpaths only: the worker script is nobody's import.
  dts: {
    entry: {
      index: 'src/index.ts',
      'adapter-kit': 'src/adapter-kit.ts',
      internal: 'src/internal.ts',
      'server-env': 'src/server-env.ts',
    },
  },
  clean: true,
  target: 'node20',
  sourcemap: true,
  // Shared chunks in both formats: each class and module-level state exists once per build, whichever
  // subpath loaded it (without it the CJS entries would each carry their own copy).
  splitting: true,
  tsconfig: 'tsconfig.json',
  // `import.meta.url` in the CJS build: the URL of the .cjs file it is in (argon2-threads.ts needs it).
  shims: true,
});
