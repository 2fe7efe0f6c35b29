import { test } from 'node:test';
import assert from 'node:assert/strict';
import { int, list, optional, orNull, readKeys, section, text } from '../../src/config/key-definitions.js';
import { createReader, parseYamlSource } from '../../src/config/yaml-source.js';
import type { YamlReader } from '../../src/config/yaml-source.js';

// Reading a mapping by its key definitions: defaults, stand-ins for unusable values, optional and
// required keys, and where each key was read from.

const KEYS = {
  port: int({ doc: 'a port', default: 8003, min: 1, max: 65535 }),
  name: orNull(text({ doc: 'a name', default: null })),
  tags: optional(list(text({ doc: 'a tag', minLength: 1 }), { doc: 'tags', single: true })),
  limits: section('limits', { max: int({ doc: 'a maximum', default: 10, min: 0 }) }),
};

function reader(yaml: string): YamlReader {
  return createReader(parseYamlSource(yaml, { file: 'k.yaml', env: {} }));
}

test('keys left out take their defaults; optional ones stay out', () => {
  const r = reader('');
  const read = readKeys(r, r.root(), KEYS);
  assert.equal(read.ok, true);
  assert.deepEqual(read.values, { port: 8003, name: null, limits: { max: 10 } });
  assert.equal(read.at('port').field.fromFile, false);
});

test('values written are read, single items as lists', () => {
  const r = reader('port: 9000\nname: x\ntags: a\nlimits: {max: 3}\n');
  const read = readKeys(r, r.root(), KEYS);
  assert.equal(read.ok, true);
  assert.deepEqual(read.values, { port: 9000, name: 'x', tags: ['a'], limits: { max: 3 } });
  assert.deepEqual(read.at('limits.max').field.pos, { line: 4, col: 15 });
});

test('an unusable key with a default is an issue, holds the default, and is not valid', () => {
  const r = reader('port: 0\nlimits: {max: -1}\n');
  const read = readKeys(r, r.root(), KEYS);
  assert.equal(read.ok, false);
  assert.deepEqual(read.values, { port: 8003, name: null, limits: { max: 10 } });
  assert.equal(read.at('port').valid, false);
  assert.equal(read.at('name').valid, true);
  assert.deepEqual(
    r.issues.map((i) => [i.path, i.line, i.col]),
    [
      ['port', 1, 7],
      ['limits.max', 2, 15],
    ],
  );
});

test('an unusable key without a default leaves no values', () => {
  const r = reader('tags: [a, ""]\n');
  const read = readKeys(r, r.root(), KEYS);
  assert.equal(read.ok, false);
  assert.equal(read.values, undefined);
  assert.deepEqual(
    r.issues.map((i) => i.path),
    ['tags[1]'],
  );
});

test('a required key left out is an issue at its mapping', () => {
  const r = reader('other: 1\n');
  const read = readKeys(r, r.root(), { must: int({ doc: 'required' }) });
  assert.equal(read.values, undefined);
  assert.deepEqual(
    r.issues.map((i) => [i.path, i.line, i.col]),
    [
      ['other', 1, 1],
      ['must', 1, 1],
    ],
  );
});
