import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/*
 * @simplewebauthn/browser's own UMD bundle (global `SimpleWebAuthnBrowser`), served same-origin as
 * /assets/simplewebauthn-browser.js: the CSP allows scripts from 'self' only, and the pages stay free
 * of a build step. Read once, on first request, from the installed package.
 */

let bundle: string | undefined;

export function webauthnBrowserScript(): string {
  if (bundle === undefined) {
    // The package exports only its modules; the bundle sits next to them (dist/bundle).
    const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
    bundle = readFileSync(join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
  }
  return bundle;
}
