#!/usr/bin/env node
// The bin is this committed file rather than dist/cli.js: npm links a package's bin at install time
// only if the file is there, and in a fresh clone of the repository `npm ci` runs before the build,
// so `npx @gatehouse-auth/cli` (and `gatehouse` in npm scripts) would not be found.
import '../dist/cli.js';
