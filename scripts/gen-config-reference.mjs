#!/usr/bin/env node
// Writes docs/configuration-reference.md from the BUILT core (run `npm run build -w @gatehouse-auth/core`
// first), so the page shows exactly what the shipped parser reads. The rendering lives in core, where
// packages/core/test/config/reference.test.ts compares it with the committed page.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { renderConfigReference } = await import(pathToFileURL(join(root, 'packages/core/dist/index.js')).href);
const target = join(root, 'docs/configuration-reference.md');
writeFileSync(target, renderConfigReference());
console.log(`[gen-config-reference] wrote ${target}`);
