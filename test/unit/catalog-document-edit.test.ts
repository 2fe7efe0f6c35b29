/**
 * Editing catalog.yaml keeps what the operator wrote: comments (head, inline, between and after entries),
 * blank lines and quoting survive an append and a change; an empty, comments-only or `[]` file takes its
 * first entry as a block list; the result always reads back through the loader's parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCatalog } from '../../src/firmware/catalog-parse.js';
import { entryId } from '../../src/fleet/entry-id.js';
import {
  appendEntry,
  changeEntry,
  findEntry,
  readCatalogFile,
} from '../../src/operations/catalog-document.js';

async function withCatalog(text: string | null, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'catalog-doc-'));
  try {
    if (text !== null) writeFileSync(join(dir, 'catalog.yaml'), text);
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an indented block list gets the entry at its indentation', async () => {
  await withCatalog('  - board: a\n    version: "1.0"\n    file: a.bin\n', async (dir) => {
    const text = appendEntry(await readCatalogFile(dir, {}), ENTRY);
    const parsed = parseCatalog(text, { file: 'catalog.yaml', env: {} });
    assert.deepEqual(parsed.kind === 'parsed' ? parsed.entries.map((e) => e.board) : parsed.issues, [
      'a',
      'bread-*',
    ]);
  });
});

const ENTRY = { board: 'bread-*', version: '2.0.10', file: 'bread_-2.0.10.bin', rollout: 5 };
const APPENDED = '- board: bread-*\n  version: "2.0.10"\n  file: bread_-2.0.10.bin\n  rollout: 5\n';

const HAND_WRITTEN = `# head
# second line

- board: a   # inline on board
  version: '1.10'   # single-quoted, kept as written
  file: a.bin

  # between entries
- {board: b, version: "2.0", file: b.bin}   # a flow map stays a flow map
# trailing comment
`;

test('append keeps every byte of a block list and adds the entry after it', async () => {
  await withCatalog(HAND_WRITTEN, async (dir) => {
    const text = appendEntry(await readCatalogFile(dir, {}), ENTRY);
    assert.equal(text, `${HAND_WRITTEN}${APPENDED}`);
    const parsed = parseCatalog(text, { file: 'catalog.yaml', env: {} });
    assert.equal(parsed.kind, 'parsed');
    assert.deepEqual(
      parsed.kind === 'parsed' ? parsed.entries.map((e) => [e.board, e.version, e.rollout]) : [],
      [
        ['a', '1.10', 100],
        ['b', '2.0', 100],
        ['bread-*', '2.0.10', 5],
      ],
    );
  });
});

for (const [name, text, expected] of [
  ['a missing file', null, APPENDED],
  ['an empty file', '', APPENDED],
  ['a comments-only file', '# only a comment\n', `# only a comment\n\n${APPENDED}`],
  ['a flow `[]`', '[] # nothing yet\n', null],
] as const) {
  test(`append to ${name}: one block-list entry, and the file ends with a line break`, async () => {
    await withCatalog(text, async (dir) => {
      const out = appendEntry(await readCatalogFile(dir, {}), ENTRY);
      if (expected !== null) assert.equal(out, expected);
      else assert.ok(out.startsWith(APPENDED), out);
      assert.ok(out.endsWith('\n'));
      const parsed = parseCatalog(out, { file: 'catalog.yaml', env: {} });
      assert.equal(parsed.kind === 'parsed' ? parsed.entries.length : -1, 1);
    });
  });
}

test('a change edits only its keys: null removes one, comments stay, the entry keeps its id', async () => {
  await withCatalog(HAND_WRITTEN, async (dir) => {
    const file = await readCatalogFile(dir, {});
    const entry = findEntry(file, entryId('a', '1.10'));
    assert.equal(entry?.index, 0);
    const text = changeEntry(file, 0, { rollout: 12.5, exclude: ['aa:bb:cc:dd:ee:01'], min_version: '1.2' });
    for (const comment of [
      '# head',
      '# second line',
      '# inline on board',
      '# single-quoted, kept as written',
      '# between entries',
      '# a flow map stays a flow map',
    ])
      assert.ok(text.includes(comment), `${comment} kept in\n${text}`);
    assert.ok(text.includes("  version: '1.10'"), 'the quoting as written');
    assert.ok(
      text.includes('  rollout: 12.5\n  exclude: [ aa:bb:cc:dd:ee:01 ]\n  min_version: "1.2"\n'),
      text,
    );
    assert.ok(text.includes('# trailing comment'));
    await withCatalog(text, async (again) => {
      const back = changeEntry(await readCatalogFile(again, {}), 0, { exclude: null, rollout: null });
      assert.ok(!back.includes('exclude'), back);
      assert.ok(!back.includes('rollout'), back);
      assert.ok(back.includes('min_version: "1.2"'), back);
    });
  });
});

test('a catalog the loader cannot use is not edited', async () => {
  await withCatalog('board: not a list\n', async (dir) => {
    await assert.rejects(readCatalogFile(dir, {}), { code: 'CONFLICT' });
  });
  await withCatalog('- board: [unclosed\n', async (dir) => {
    await assert.rejects(readCatalogFile(dir, {}), { code: 'CONFLICT' });
  });
});
