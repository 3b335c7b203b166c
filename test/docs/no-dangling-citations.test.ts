import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Every source a comment or a page cites must be in the repository. Phoenix's contract is
 * docs/phoenix-contract.md, the rules of the house are docs/architecture.md#rule-1 … #rule-10;
 * a citation of a document someone who clones the repository does not have (a "reference §4.8.2",
 * a "DESIGN rule 8", an issue number) is reported with its file and line. CHANGELOG.md is history
 * and may name issues. Every `<page>.md#<anchor>` link to a page of docs/ must name an anchor the
 * page has (a heading's GitHub slug or an explicit `<a id>`): in pages, every such link; in code, links to
 * the three pages citations use.
 */
const repoRoot = resolve(import.meta.dirname, '../..');
const ROOTS = ['packages', 'examples', 'test', 'bench', 'scripts', 'docs', '.ci'];
const ROOT_FILES = ['README.md', 'CONTRIBUTING.md', 'eslint.config.js', 'vitest.config.ts', 'package.json'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.runs', 'screenshots', 'proto', '.git']);
const TEXT_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.mjs', '.cjs', '.js', '.md', '.html', '.css', '.json', '']);
// This file names the patterns it looks for; CHANGELOG.md is history.
const EXEMPT = new Set(['test/docs/no-dangling-citations.test.ts', 'CHANGELOG.md', 'package-lock.json']);

interface Finding {
  where: string;
  text: string;
}

/** The citation shapes of sources outside the repository. */
const DANGLING: readonly RegExp[] = [
  /\breference\s*§/i,
  /\bdesign rules?\b/i,
  /\bissues?\s+#?\d+/i,
  /\bthe reference(?:'s|’s)?\b(?! to\b)/i,
  /\bthe db report\b/i,
];

/** `§n` is fine right after a public standard's name (RFC 6750 §2.1, OIDC Core §9, Back-Channel Logout 1.0 §2.8, WebAuthn §6.1). */
const STANDARD_BEFORE_SECTION = /(?:RFC \d+|BCP \d+|Core|Logout 1\.0|WebAuthn(?: Level \d)?|CTAP ?[\d.]*),?\s*$/;

function danglingCitations(text: string, file: string): Finding[] {
  const found: Finding[] = [];
  text.split('\n').forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    if (DANGLING.some((pattern) => pattern.test(line))) found.push({ where, text: line.trim() });
    else
      for (const match of line.matchAll(/§\s?\d/g)) {
        if (!STANDARD_BEFORE_SECTION.test(line.slice(0, match.index))) {
          found.push({ where, text: line.trim() });
          break;
        }
      }
  });
  return found;
}

/** GitHub's heading anchor: lower case, punctuation dropped (hyphens and underscores kept), spaces → hyphens. */
function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      const slug = slugOf(heading[1]!);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const id of line.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(id[1]!);
  }
  return anchors;
}

function filesUnder(directory: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name.startsWith('.') && entry.name !== '.ci') continue;
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) out.push(...filesUnder(path));
    } else if (entry.isFile() && TEXT_EXTENSIONS.has(extname(entry.name))) out.push(path);
  }
  return out;
}

const files = [
  ...ROOTS.flatMap((root) => filesUnder(join(repoRoot, root))),
  ...ROOT_FILES.map((name) => join(repoRoot, name)).filter((path) => statSync(path, { throwIfNoEntry: false })),
]
  .map((path) => relative(repoRoot, path))
  .filter((path) => !EXEMPT.has(path));

const CITED_PAGES = new Set(['phoenix-contract.md', 'architecture.md', 'divergences.md']);

const docAnchors = new Map<string, Set<string>>();
function anchorsOfDoc(page: string): Set<string> | null {
  const path = join(repoRoot, 'docs', page);
  if (!statSync(path, { throwIfNoEntry: false })) return null;
  let anchors = docAnchors.get(page);
  if (!anchors) docAnchors.set(page, (anchors = anchorsOf(readFileSync(path, 'utf8'))));
  return anchors;
}

/** `page.md#anchor` links to a page of docs/ (by the page's name, from code or from another page) whose anchor is missing. */
function brokenAnchors(text: string, file: string, anchorsFor: (page: string) => Set<string> | null): Finding[] {
  const found: Finding[] = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(/((?:[\w.-]+\/)*)([\w-]+\.md)#([\w-]+)/g)) {
      const [, directories, page, anchor] = match;
      // Only links into docs/ (docs/x.md, x.md from a page there, ../x.md from docs/sso): the root README is not checked.
      const intoDocs =
        directories === 'docs/' || directories === '../' || directories === '' || directories === '../docs/';
      // In code, only the pages citations point at (elsewhere `page.md#name` may name a test case).
      if (!intoDocs || (!file.endsWith('.md') && !CITED_PAGES.has(page!))) continue;
      const anchors = anchorsFor(directories === '' && file.startsWith('docs/sso/') ? `sso/${page!}` : page!);
      if (anchors && !anchors.has(anchor!)) found.push({ where: `${file}:${index + 1}`, text: `${page}#${anchor}` });
    }
  });
  return found;
}

describe('citations', () => {
  it('the scanner reports each dangling shape and passes a standard’s section', () => {
    const sample = [
      '// reference §4.8.2 step 6',
      '// Why (DESIGN rule 8): argon2',
      '// (issue 16, item 2)',
      '// Issue #7: the credential checks',
      "// the reference's redirect codes",
      '/** pruneClaims (§4.8.3) */',
      '// RFC 6750 §2.1 and OIDC Core §9 and Back-Channel Logout 1.0, §2.4 and WebAuthn Level 3 §6.1',
      '// docs/phoenix-contract.md#oauth2-callback step 11',
    ].join('\n');
    expect(danglingCitations(sample, 'sample.ts').map((finding) => finding.where)).toEqual([
      'sample.ts:1',
      'sample.ts:2',
      'sample.ts:3',
      'sample.ts:4',
      'sample.ts:5',
      'sample.ts:6',
    ]);
  });

  it('no file cites a source outside the repository (CHANGELOG.md excepted)', () => {
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((file) => danglingCitations(readFileSync(join(repoRoot, file), 'utf8'), file));
    expect(found.map(({ where, text }) => `${where}: ${text}`)).toEqual([]);
  });
});

describe('anchors', () => {
  it('slugs headings the way GitHub does', () => {
    expect(slugOf('CSRF (`PHOENIX_CSRF_TRUSTED_ORIGINS`)')).toBe('csrf-phoenix_csrf_trusted_origins');
    expect(slugOf('`POST /auth/login`')).toBe('post-authlogin');
    expect(slugOf('Rule 8: native code stays at the edge')).toBe('rule-8-native-code-stays-at-the-edge');
    const anchors = anchorsOf('# A\n## Same\n## Same\n<a id="rule-1"></a>\n```\n# not a heading\n```\n');
    expect([...anchors].sort()).toEqual(['a', 'rule-1', 'same', 'same-1']);
  });

  it('reports a link whose anchor the page does not have', () => {
    const anchorsFor = (page: string) => (page === 'architecture.md' ? new Set(['rule-1']) : null);
    const found = brokenAnchors('see docs/architecture.md#rule-1 and docs/architecture.md#rule-11', 'x.ts', anchorsFor);
    expect(found).toEqual([{ where: 'x.ts:1', text: 'architecture.md#rule-11' }]);
  });

  it('the contract pages have what code and docs link to', () => {
    for (const page of ['phoenix-contract.md', 'architecture.md', 'divergences.md']) {
      expect(anchorsOfDoc(page), page).not.toBeNull();
    }
    for (let rule = 1; rule <= 10; rule++) expect(anchorsOfDoc('architecture.md')!.has(`rule-${rule}`)).toBe(true);
    const found = files.flatMap((file) =>
      brokenAnchors(readFileSync(join(repoRoot, file), 'utf8'), file, anchorsOfDoc),
    );
    expect(found.map(({ where, text }) => `${where}: ${text}`)).toEqual([]);
  });
});
