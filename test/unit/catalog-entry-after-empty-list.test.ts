/**
 * The shipped firmware/catalog.yaml used to end in `[]`, so appending an entry as its comments said gave
 * "Unexpected seq-item-ind". It ships comments only now (an empty file is an empty catalog), and a block
 * list after a flow `[]` is reported with the advice to delete the `[]`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCatalog } from '../../src/firmware/catalog-parse.js';
import { parseConfig } from '../../src/config/parse.js';
import { ConfigError } from '../../src/errors.js';

const shipped = readFileSync(new URL('../../firmware/catalog.yaml', import.meta.url), 'utf8');
const file = 'firmware/catalog.yaml';

/** The commented example of the shipped catalog, uncommented. */
function example(): string {
  const lines = shipped.split('\n');
  const start = lines.findIndex((line) => line.startsWith('# Example'));
  assert.ok(start > 0);
  return lines
    .slice(start + 1)
    .filter((line) => line.startsWith('#'))
    .map((line) => line.slice(2))
    .join('\n');
}

test('appending the documented example entries to a copy of the shipped catalog parses', () => {
  const result = parseCatalog(`${shipped}\n${example()}\n`, { file, env: {} });
  assert.equal(result.kind, 'parsed', result.issues.map((i) => i.message).join('\n'));
  assert.deepEqual(result.issues, []);
  assert.deepEqual(
    result.entries.map((e) => [e.board, e.version]),
    [
      ['bread-compact-wifi', '2.0.4'],
      ['m5stack-stack-chan', '1.2.4'],
      ['bread-compact-wifi-128x64', '2.0.4'],
    ],
  );
});

test('an entry appended after `[]` is one issue at the entry, saying to delete the `[]` on its line', () => {
  const text = '# catalog\n[]\n\n- board: x\n  version: "1.0.0"\n  file: a.bin\n';
  const result = parseCatalog(text, { file, env: {} });
  assert.equal(result.kind, 'unusable');
  assert.deepEqual(
    result.issues.map((i) => [i.path, i.line, i.col]),
    [['catalog', 4, 1]],
  );
  assert.match(
    result.issues[0]?.message ?? '',
    /delete the `\[\]` on line 2 at firmware\/catalog\.yaml:4:1$/,
  );
});

test('the same in proxy.yaml: rules indented under `rewrite: []`', () => {
  const text = 'rewrite: []\n  - from: http://a/\n    to: http://{host}/\n';
  assert.throws(
    () => parseConfig(text, { file: '/srv/config/proxy.yaml', displayFile: 'config/proxy.yaml' }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.code === 'CONFIG_INVALID' &&
      error.issues.length === 1 &&
      /delete the `\[\]` on line 1 at config\/proxy\.yaml:2:1$/.test(error.issues[0]?.message ?? ''),
  );
});
