import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCatalog } from '../../src/firmware/catalog-parse.js';
import type { CatalogParse, RawCatalogEntry } from '../../src/firmware/catalog-parse.js';

const file = 'firmware/catalog.yaml';

function parse(text: string, env: Record<string, string> = {}): CatalogParse {
  return parseCatalog(text, { file, env });
}

function parsed(
  text: string,
  env: Record<string, string> = {},
): { entries: readonly RawCatalogEntry[]; paths: string[] } {
  const result = parse(text, env);
  assert.equal(result.kind, 'parsed', result.issues.map((i) => i.message).join('\n'));
  assert.ok(result.kind === 'parsed');
  return { entries: result.entries, paths: result.issues.map((i) => i.path) };
}

const minimal = (extra = ''): string =>
  `- board: bread-compact-wifi\n  version: "2.0.4"\n  file: xiaozhi.bin\n${extra}`;

describe('parseCatalog: empty catalogs', () => {
  test('an empty file, a comment-only file, null and [] are empty catalogs', () => {
    for (const text of ['', '# nothing yet\n', '~\n', '[]\n'])
      assert.deepEqual(parsed(text), { entries: [], paths: [] });
  });

  test('the commented example in the shipped catalog is a valid catalog', () => {
    const text = readFileSync(new URL('../../firmware/catalog.yaml', import.meta.url), 'utf8');
    const lines = text.split('\n');
    const start = lines.findIndex((line) => line.startsWith('# Example'));
    assert.ok(start > 0);
    const example = lines
      .slice(start + 1)
      .filter((line) => line.startsWith('#'))
      .map((line) => line.slice(2))
      .join('\n');
    const { entries, paths } = parsed(example);
    assert.deepEqual(paths, []);
    assert.equal(entries.length, 3);
  });
});

describe('parseCatalog: entries', () => {
  test('a full entry', () => {
    const { entries, paths } = parsed(`
- board: "bread-*"
  version: "2.0.4"
  file: bread-2.0.4.bin
  url: "{scheme}://{host}:9000/fw/bread-2.0.4.bin"
  sha256: ${'AB'.repeat(32)}
  rollout: 12.5
  devices: [AA-BB-CC-DD-EE-01, aabbccddee02]
  exclude: aa:bb:cc:dd:ee:03
  min_version: "1.6.0"
  force: true
`);
    assert.deepEqual(paths, []);
    const [entry] = entries;
    assert.ok(entry);
    assert.equal(entry.index, 0);
    assert.equal(entry.board, 'bread-*');
    assert.ok(entry.boardGlob.regex.test('BREAD-compact-wifi'));
    assert.equal(entry.version, '2.0.4');
    assert.equal(entry.file, 'bread-2.0.4.bin');
    assert.equal(entry.url?.source, '{scheme}://{host}:9000/fw/bread-2.0.4.bin');
    assert.equal(entry.sha256, 'ab'.repeat(32));
    assert.equal(entry.rollout, 12.5);
    assert.deepEqual(entry.devices, ['aa:bb:cc:dd:ee:01', 'aa:bb:cc:dd:ee:02']);
    assert.deepEqual(entry.exclude, ['aa:bb:cc:dd:ee:03']);
    assert.equal(entry.minVersion, '1.6.0');
    assert.equal(entry.force, true);
    assert.deepEqual(entry.positions.version, { line: 3, col: 12 });
  });

  test('defaults: rollout 100, no devices, no exclusions, no min_version, not forced, no url or sha256', () => {
    const [entry] = parsed(minimal()).entries;
    assert.ok(entry);
    assert.deepEqual(
      {
        rollout: entry.rollout,
        devices: entry.devices,
        exclude: entry.exclude,
        minVersion: entry.minVersion,
        force: entry.force,
        url: entry.url,
        sha256: entry.sha256,
      },
      { rollout: 100, devices: null, exclude: [], minVersion: null, force: false, url: null, sha256: null },
    );
  });

  test('a bad entry is reported with its key path and position and skipped; the others stay', () => {
    const result = parse(
      `${minimal()}- board: other\n  version: 2.x\n  file: other.bin\n${minimal().replace('2.0.4', '2.0.5')}`,
    );
    assert.ok(result.kind === 'parsed');
    assert.deepEqual(
      result.entries.map((e) => e.index),
      [0, 2],
    );
    assert.equal(result.issues.length, 1);
    const [issue] = result.issues;
    assert.equal(issue?.path, 'catalog[1].version');
    assert.deepEqual([issue?.file, issue?.line, issue?.col], [file, 5, 12]);
    assert.ok(issue?.message.endsWith(`at ${file}:5:12`));
  });

  test('required keys', () => {
    assert.deepEqual(parsed('- board: x\n').paths.sort(), ['catalog[0].file', 'catalog[0].version']);
    assert.deepEqual(parsed('- version: "1.0.0"\n  file: a.bin\n').paths, ['catalog[0].board']);
    assert.deepEqual(parsed('- just-a-string\n').paths, ['catalog[0]']);
    assert.deepEqual(parsed('-\n').paths, ['catalog[0]']);
  });

  test('a version written as a number is refused with advice to quote it', () => {
    const result = parse('- board: x\n  version: 1.10\n  file: a.bin\n');
    assert.ok(result.kind === 'parsed');
    assert.equal(result.entries.length, 0);
    assert.equal(result.issues[0]?.path, 'catalog[0].version');
    assert.ok(result.issues[0]?.message.includes('"1.10"'));
    assert.ok(result.issues[0]?.message.includes('quotes'));
    assert.deepEqual(parsed(minimal('  min_version: 1.6\n')).paths, ['catalog[0].min_version']);
  });

  test('versions must be dotted integers', () => {
    for (const version of ['"v2.0.0"', '"2.x"', '"2..0"', '"2.0.0-beta"', '""', '"99999999999.0"']) {
      assert.deepEqual(
        parsed(`- board: x\n  version: ${version}\n  file: a.bin\n`).paths,
        ['catalog[0].version'],
        version,
      );
    }
  });

  test('file is a plain name inside firmware.dir', () => {
    for (const name of ['../x.bin', 'a/b.bin', '"a\\\\b.bin"', '..', '.', '/etc/passwd', '"x y.bin"', '""']) {
      assert.deepEqual(
        parsed(`- board: x\n  version: "1.0.0"\n  file: ${name}\n`).paths,
        ['catalog[0].file'],
        name,
      );
    }
  });

  test('url must be an http(s) URL template', () => {
    assert.deepEqual(parsed(minimal('  url: https://cdn.example.com/a.bin\n')).paths, []);
    for (const url of ['ftp://cdn.example.com/a.bin', '"{hots}/a.bin"', 'not-a-url', '"ws://{host}/a.bin"']) {
      assert.deepEqual(parsed(minimal(`  url: ${url}\n`)).paths, ['catalog[0].url'], url);
    }
  });

  test('sha256 is 64 hex digits, also when YAML would read it as a number', () => {
    assert.equal(parsed(minimal(`  sha256: ${'1'.repeat(64)}\n`)).entries[0]?.sha256, '1'.repeat(64));
    assert.deepEqual(parsed(minimal(`  sha256: ${'0'.repeat(63)}\n`)).paths, ['catalog[0].sha256']);
    assert.deepEqual(parsed(minimal(`  sha256: ${'g'.repeat(64)}\n`)).paths, ['catalog[0].sha256']);
  });

  test('rollout is 0–100 with at most two decimals', () => {
    for (const ok of ['0', '100', '0.01', '99.99', '33.3'])
      assert.deepEqual(parsed(minimal(`  rollout: ${ok}\n`)).paths, [], ok);
    for (const bad of ['-1', '100.01', '12.345', '"50"', 'null'])
      assert.deepEqual(parsed(minimal(`  rollout: ${bad}\n`)).paths, ['catalog[0].rollout'], bad);
  });

  test('devices and exclude are MACs, one or a list, each checked', () => {
    assert.deepEqual(parsed(minimal('  devices: [aa:bb:cc:dd:ee:01, nope]\n')).paths, [
      'catalog[0].devices[1]',
    ]);
    assert.deepEqual(parsed(minimal('  exclude: []\n')).paths, ['catalog[0].exclude']);
    assert.deepEqual(parsed(minimal('  exclude: 112233445566\n')).entries[0]?.exclude, ['11:22:33:44:55:66']);
    assert.deepEqual(parsed(minimal('  exclude: 12\n')).paths, ['catalog[0].exclude']);
  });

  test('force is a boolean; unknown keys are errors', () => {
    assert.deepEqual(parsed(minimal('  force: "yes"\n')).paths, ['catalog[0].force']);
    assert.deepEqual(parsed(minimal('  rolout: 5\n')).paths, ['catalog[0].rolout']);
  });

  test('a later entry with the same board and version is reported and skipped', () => {
    const result = parse(
      `${minimal()}${minimal().replace('xiaozhi.bin', 'other.bin')}${minimal().replace('"2.0.4"', '"2.0.4.0"')}`,
    );
    assert.ok(result.kind === 'parsed');
    assert.deepEqual(
      result.entries.map((e) => e.index),
      [0, 2],
    );
    assert.deepEqual(
      result.issues.map((i) => i.path),
      ['catalog[1]'],
    );
  });

  test('a duplicated key inside an entry skips that entry', () => {
    const result = parse(`${minimal('  file: again.bin\n')}`);
    assert.ok(result.kind === 'parsed');
    assert.equal(result.entries.length, 0);
    assert.deepEqual(
      result.issues.map((i) => i.path),
      ['catalog[0].file'],
    );
  });
});

describe('parseCatalog: ${VAR}', () => {
  test('variables are substituted; an unquoted whole reference is read again as YAML', () => {
    const { entries } = parsed(
      '- board: ${BOARD}\n  version: "${V}"\n  file: ${FILE:-xiaozhi.bin}\n  rollout: ${R}\n',
      { BOARD: 'bread-*', V: '2.0.4', R: '25' },
    );
    assert.deepEqual(
      entries.map((e) => [e.board, e.version, e.file, e.rollout]),
      [['bread-*', '2.0.4', 'xiaozhi.bin', 25]],
    );
  });

  test('an unset variable skips its entry, named by path', () => {
    const result = parse(`- board: x\n  version: "\${MISSING}"\n  file: a.bin\n${minimal()}`);
    assert.ok(result.kind === 'parsed');
    assert.deepEqual(
      result.entries.map((e) => e.index),
      [1],
    );
    assert.deepEqual(
      result.issues.map((i) => i.path),
      ['catalog[0].version'],
    );
    assert.ok(result.issues[0]?.message.startsWith('`catalog[0].version`'));
  });
});

describe('parseCatalog: unusable files', () => {
  test('YAML that does not parse', () => {
    const result = parse('- board: [unclosed\n');
    assert.equal(result.kind, 'unusable');
    assert.deepEqual(
      result.issues.map((i) => [i.path, i.file, i.line, i.col]),
      [['catalog', file, 2, 1]],
    );
  });

  test('not a list', () => {
    for (const text of ['board: x\nversion: "1.0.0"\n', 'just text\n', '42\n']) {
      const result = parse(text);
      assert.equal(result.kind, 'unusable', text);
      assert.deepEqual(
        result.issues.map((i) => i.path),
        ['catalog'],
      );
    }
  });
});
