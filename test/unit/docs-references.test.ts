// check-doc-refs: ignore-file — the samples below cite missing docs on purpose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkDocCitations,
  checkDocLinks,
  findOldStyleCitations,
  headingsOf,
  missingReference,
  parseCitations,
} from '../../scripts/check-doc-refs.mjs';
import type { Reference } from '../../scripts/check-doc-refs.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A throw-away repository: `files` maps relative paths to contents; removed by the caller's `cleanup`. */
function tree(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'doc-refs-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const heading = (text: string): Reference => ({ kind: 'heading', text });
const section = (number: string): Reference => ({ kind: 'section', number });

test('every docs/ citation in src, test, bench and eslint.config.js names a file, section and heading that exist', () => {
  const { problems } = checkDocCitations({ root });
  assert.deepEqual(problems, []);
});

test('the links between the docs, and from them into the repository, resolve', () => {
  assert.deepEqual(checkDocLinks({ root }), []);
});

test('the docs keep the section numbers and headings that code comments cite', () => {
  const expected: Record<string, Reference[]> = {
    'docs/device-contract.md': ['1', '2', '3', '4', '5', '6', '7'].map(section),
    'docs/contributing.md': Array.from({ length: 24 }, (_, i) => section(String(i + 1))),
    'docs/configuration.md': [
      'The file',
      'More load-time checks',
      'The device, as the proxy reads it',
      'Conditions: `when:` lists',
      'Conditions',
      'Templates',
      "Reading the upstream's reply",
      'Rules, in order',
      'The device guard',
      'Which reply a device gets',
      'Fallback reply',
      'Framing and paths',
      'Catalog',
      'Reload scope',
      'Fleet and hardening amendments',
    ].map(heading),
    'docs/fleet.md': [
      'What the proxy observes',
      'Device record',
      'Update attempts',
      'Protections',
      'Download tokens',
      'Store',
      'Interfaces',
    ].map(heading),
    'docs/upstream.md': ['Errors', 'What users keep running into', 'Rules the proxy follows'].map(heading),
    'docs/README.md': [heading('Documentation')],
  };
  for (const [file, refs] of Object.entries(expected)) {
    const headings = headingsOf(readFileSync(join(root, file), 'utf8'));
    for (const ref of refs)
      assert.equal(missingReference(headings, ref), null, `${file} ${JSON.stringify(ref)}`);
  }
});

test('a citation takes the § numbers and quoted headings after the file, across comment lines', () => {
  const text = [
    '// framing (docs/device-contract.md §2–§3; docs/configuration.md "Which reply',
    '// a device gets", "Framing and paths")',
    ' * docs/contributing.md §2 and §5. docs/fleet.md#download-tokens',
    '// docs/device-contract.md §3: "a URL whose path holds `:` needs an explicit port"',
  ].join('\n');
  assert.deepEqual(
    parseCitations(text).map(({ file, refs, line, column, text: written, ...rest }) => ({
      file,
      refs,
      line,
      column,
      written,
      ...rest,
    })),
    [
      {
        file: 'docs/device-contract.md',
        refs: [{ kind: 'section', number: '2', to: '3' }],
        line: 1,
        column: 13,
        written: 'docs/device-contract.md §2–§3',
      },
      {
        file: 'docs/configuration.md',
        refs: [heading('Which reply a device gets'), heading('Framing and paths')],
        line: 1,
        column: 44,
        written: 'docs/configuration.md "Which reply a device gets", "Framing and paths"',
      },
      {
        file: 'docs/contributing.md',
        refs: [section('2'), section('5')],
        line: 3,
        column: 4,
        written: 'docs/contributing.md §2 and §5',
      },
      {
        file: 'docs/fleet.md',
        refs: [],
        line: 3,
        column: 36,
        written: 'docs/fleet.md#download-tokens',
        anchor: 'download-tokens',
      },
      {
        file: 'docs/device-contract.md',
        refs: [section('3')],
        line: 4,
        column: 4,
        written: 'docs/device-contract.md §3',
      },
    ],
  );
});

test('code after a citation is not read as a reference, and paths into other trees are not citations', () => {
  const text = [
    "const files = ['docs/fleet.md',",
    '  "Store"];',
    "const other = '../docs/fleet.md'; // https://example.com/docs/fleet.md",
  ].join('\n');
  assert.deepEqual(
    parseCitations(text).map((c) => [c.file, c.refs]),
    [['docs/fleet.md', []]],
  );
});

test('headings: rendered text, section numbers and GitHub anchors, code blocks skipped', () => {
  const headings = headingsOf(
    [
      '# Title',
      '## 1. The request (device → proxy)',
      '```yaml',
      '## not a heading',
      '```',
      '## Conditions: `when:` lists',
      '#### 12. Helpers own their teardown',
      '### Store',
      '### Store',
    ].join('\n'),
  );
  assert.deepEqual(headings, [
    { level: 1, text: 'Title', number: null, slug: 'title' },
    { level: 2, text: '1. The request (device → proxy)', number: '1', slug: '1-the-request-device--proxy' },
    { level: 2, text: 'Conditions: when: lists', number: null, slug: 'conditions-when-lists' },
    { level: 4, text: '12. Helpers own their teardown', number: '12', slug: '12-helpers-own-their-teardown' },
    { level: 3, text: 'Store', number: null, slug: 'store' },
    { level: 3, text: 'Store', number: null, slug: 'store-1' },
  ]);
  assert.equal(missingReference(headings, heading('Conditions')), null);
  assert.equal(missingReference(headings, heading('conditions: `when:` lists')), null);
  assert.equal(missingReference(headings, heading('Cond')), 'no heading "Cond"');
  assert.equal(missingReference(headings, section('12')), null);
  assert.equal(missingReference(headings, { kind: 'section', number: '1', to: '2' }), 'no section §2');
});

test('a cited file, section, heading or anchor that does not exist is a problem, named where it is cited', () => {
  const { dir, cleanup } = tree({
    'docs/guide.md': '# Guide\n\n## 1. Start\n\n## Catalog\n',
    'src/a.ts': [
      `// fine: docs/guide.md §1, "Catalog"`,
      `// docs/guide.md §2 and "Catlog"`,
      `/** see docs/missing.md */`,
      `export const x = 1; // docs/guide.md#nowhere`,
    ].join('\n'),
    'test/b.md': `Prose cites docs/guide.md "Start"\nacross a line, and "no" more.\n`,
    'bench/c.ts': `// docs/guide.md\n`,
    'docs/unscanned.ts': `// docs/guide.md "Never checked"\n`,
    'test/opted-out.ts': `// check-doc-refs: ignore-file\n// docs/missing.md\n`,
  });
  try {
    const { citations, problems } = checkDocCitations({ root: dir });
    assert.equal(citations.length, 6);
    assert.deepEqual(problems, [
      {
        path: 'src/a.ts',
        line: 2,
        column: 4,
        citation: 'docs/guide.md §2 and "Catlog"',
        message: 'docs/guide.md has no section §2',
      },
      {
        path: 'src/a.ts',
        line: 2,
        column: 4,
        citation: 'docs/guide.md §2 and "Catlog"',
        message: 'docs/guide.md has no heading "Catlog"',
      },
      {
        path: 'src/a.ts',
        line: 3,
        column: 9,
        citation: 'docs/missing.md',
        message: 'docs/missing.md does not exist',
      },
      {
        path: 'src/a.ts',
        line: 4,
        column: 24,
        citation: 'docs/guide.md#nowhere',
        message: 'docs/guide.md has no anchor #nowhere',
      },
      {
        path: 'test/b.md',
        line: 1,
        column: 13,
        citation: 'docs/guide.md "Start"',
        message: 'docs/guide.md has no heading "Start"',
      },
    ]);
  } finally {
    cleanup();
  }
});

test('broken links between docs files are problems', () => {
  const { dir, cleanup } = tree({
    'docs/a.md':
      '# A\n\nSee [b](b.md#two), [gone](c.md), [self](#a), [bad](#nope), `[code](x.md)`, [web](https://x.test/y).\n',
    'docs/b.md': '# B\n\n## Two\n',
  });
  try {
    assert.deepEqual(checkDocLinks({ root: dir }), [
      { path: 'docs/a.md', line: 3, column: 20, citation: 'c.md', message: 'docs/c.md does not exist' },
      { path: 'docs/a.md', line: 3, column: 46, citation: '#nope', message: 'docs/a.md has no anchor #nope' },
    ]);
  } finally {
    cleanup();
  }
});

test('old-style citations of the shared files are listed with the docs file that replaces them', () => {
  const { dir, cleanup } = tree({
    'docs/configuration.md': '# Configuration\n\n## Catalog\n',
    'docs/contributing.md': '# Contributing\n\n#### 2. Pure core\n',
    'src/a.ts': [
      `// CONFIG.md "Catalog"; device-contract.md §3`,
      `/** ../shared/STYLE.md §2 */ // FLEET.md's store`,
      `// already new: docs/upstream.md, and not a citation: upstream-captures/README.md`,
    ].join('\n'),
  });
  try {
    assert.deepEqual(findOldStyleCitations({ root: dir }), [
      {
        path: 'src/a.ts',
        line: 1,
        column: 4,
        text: 'CONFIG.md "Catalog"',
        name: 'CONFIG.md',
        replacement: 'docs/configuration.md',
        refs: [heading('Catalog')],
        problems: [],
      },
      {
        path: 'src/a.ts',
        line: 1,
        column: 25,
        text: 'device-contract.md §3',
        name: 'device-contract.md',
        replacement: 'docs/device-contract.md',
        refs: [section('3')],
        problems: ['docs/device-contract.md does not exist'],
      },
      {
        path: 'src/a.ts',
        line: 2,
        column: 5,
        text: '../shared/STYLE.md §2',
        name: 'STYLE.md',
        replacement: 'docs/contributing.md',
        refs: [section('2')],
        problems: [],
      },
      {
        path: 'src/a.ts',
        line: 2,
        column: 33,
        text: 'FLEET.md',
        name: 'FLEET.md',
        replacement: 'docs/fleet.md',
        refs: [],
        problems: ['docs/fleet.md does not exist'],
      },
    ]);
  } finally {
    cleanup();
  }
});
