/**
 * ARCHITECTURE.md cannot drift from the tree: every file under src/ has its line, and every `src/…` path
 * it names (a file, or a folder ending in `/`) exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDocLinks } from '../../scripts/check-doc-refs.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [relative(root, path).split('\\').join('/')];
  });
}

/** The `src/…` paths written in backticks anywhere in the document (tree lines, flows, tables). */
const named = [...doc.matchAll(/`(src\/[^`\s]*)`/g)].map((m) => m[1] ?? '');
/** Paths inside the flow diagrams' code blocks, which have no backticks. */
const inBlocks = [...doc.matchAll(/(?<![\w/.-])(src\/[\w./-]*\w)/g)].map((m) => m[1] ?? '');

test('every file under src/ has a line of its own in ARCHITECTURE.md', () => {
  const listed = new Set([...doc.matchAll(/^- `(src\/[^`]+)` — \S/gm)].map((m) => m[1] ?? ''));
  const missing = filesUnder(join(root, 'src')).filter((file) => !listed.has(file));
  assert.deepEqual(missing, [], 'add a line `- `<path>` — what it is` under its folder');
});

test('every src/ path ARCHITECTURE.md names exists', () => {
  assert.ok(named.length > 100, `the scan finds the paths (${named.length})`);
  const absent = [...new Set([...named, ...inBlocks])].filter((path) => !existsSync(join(root, path)));
  assert.deepEqual(absent, []);
});

test('README.md links to ARCHITECTURE.md', () => {
  assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /\]\(ARCHITECTURE\.md\)/);
});

test('the links in README.md, README.zh-CN.md and ARCHITECTURE.md resolve', () => {
  for (const file of ['README.md', 'README.zh-CN.md', 'ARCHITECTURE.md'])
    assert.deepEqual(checkDocLinks({ root, dir: file }), [], file);
});

test('the README answers "how do I start" in its first 40 lines', () => {
  const top = readFileSync(join(root, 'README.md'), 'utf8').split('\n').slice(0, 40).join('\n');
  for (const needle of [
    'npm install && npm start',
    'npm install && npm test',
    'UPSTREAM_URL=',
    'deploy/docker/install.sh',
    '](README.zh-CN.md)',
  ])
    assert.ok(top.includes(needle), needle);
});

test('every npm script the front-door docs name exists in package.json', () => {
  const scripts = Object.keys(
    (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
      .scripts,
  );
  const docs = ['README.md', 'README.zh-CN.md', 'docs/troubleshooting.md', 'docs/contributing.md'];
  const used = docs.flatMap((file) =>
    [...readFileSync(join(root, file), 'utf8').matchAll(/\bnpm (?:run ([\w:-]+)|(start|test))\b/g)].map(
      (m) => ({ file, script: m[1] ?? m[2] ?? '' }),
    ),
  );
  assert.ok(used.length > 10, `the scan finds the commands (${used.length})`);
  assert.deepEqual(
    used.filter((u) => !scripts.includes(u.script)),
    [],
  );
});
