import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReader, parseYamlSource } from '../../src/config/yaml-source.js';
import type { Field, YamlReader } from '../../src/config/yaml-source.js';
import {
  bool,
  int,
  number,
  oneOf,
  orNull,
  parsed,
  readValue,
  scalar,
  text,
} from '../../src/config/key-definitions.js';
import { ConfigError } from '../../src/errors.js';

// The generic reader the configuration and the firmware catalog are both read with, and typed values
// read on it by their definitions (the reader's own int/string/… accessors became `readValue`).

const doc = 'a test key';
const asInt = (r: YamlReader, f: Field, o: { min?: number; max?: number } = {}): number | undefined =>
  readValue(r, f, int({ doc, ...o }));
const asString = (r: YamlReader, f: Field): string | undefined => readValue(r, f, text({ doc }));
const asNumber = (
  r: YamlReader,
  f: Field,
  o: { min?: number; max?: number; decimals?: number } = {},
): number | undefined => readValue(r, f, number({ doc, ...o }));

function reader(
  text: string,
  { rootPath, env = {} }: { rootPath?: string; env?: Record<string, string> } = {},
): YamlReader {
  return createReader(
    parseYamlSource(text, { file: 'f.yaml', env, ...(rootPath === undefined ? {} : { rootPath }) }),
  );
}

function at(r: YamlReader): [string, number, number][] {
  return r.issues.map((i) => [i.path, i.line, i.col]);
}

describe('YamlReader', () => {
  test('typed values with their paths, positions and "expected … got …" messages', () => {
    const r = reader('a: 1\nb: "x"\nc: true\nd: 2.5\n');
    const view = r.object(r.root(), ['a', 'b', 'c', 'd']) ?? assert.fail();
    assert.equal(asInt(r, view.get('a'), { min: 0, max: 10 }), 1);
    assert.equal(asString(r, view.get('b')), 'x');
    assert.equal(readValue(r, view.get('c'), bool({ doc })), true);
    assert.equal(asNumber(r, view.get('d'), { min: 0, max: 100, decimals: 2 }), 2.5);
    assert.equal(r.issues.length, 0);

    assert.equal(asInt(r, view.get('b')), undefined);
    assert.equal(asString(r, view.get('a')), undefined);
    assert.equal(asInt(r, view.get('d')), undefined);
    assert.equal(asNumber(r, view.get('d'), { min: 3 }), undefined);
    assert.deepEqual(at(r), [
      ['b', 2, 4],
      ['a', 1, 4],
      ['d', 4, 4],
      ['d', 4, 4],
    ]);
    assert.equal(r.issues[0]?.message, '`b` must be an integer (got "x") at f.yaml:2:4');
    assert.equal(
      r.issues[1]?.message,
      '`a` must be a string (got 1) — write it in quotes ("1") so YAML reads it as text at f.yaml:1:4',
    );
    assert.equal(r.issues[3]?.message, '`d` must be a number ≥ 3 (got 2.5) at f.yaml:4:4');
  });

  test('decimals are checked without binary rounding noise', () => {
    const r = reader('a: 0.29\nb: 12.345\n');
    const view = r.object(r.root(), ['a', 'b']) ?? assert.fail();
    assert.equal(asNumber(r, view.get('a'), { decimals: 2 }), 0.29);
    assert.equal(asNumber(r, view.get('b'), { decimals: 2 }), undefined);
  });

  test('absent keys: the fallback stands in (not from the file), else "is required" at the mapping', () => {
    const r = reader('m:\n  x: 1\n');
    const m =
      r.object(r.object(r.root(), ['m'])?.get('m') ?? assert.fail(), ['x', 'y', 'z']) ?? assert.fail();
    const y = m.get('y', 'fallback');
    assert.equal(y.fromFile, false);
    assert.equal(asString(r, y), 'fallback');
    assert.equal(m.get('x').fromFile, true);
    assert.equal(m.has('x'), true);
    assert.equal(m.has('z'), false);
    assert.equal(asString(r, m.get('z')), undefined);
    assert.deepEqual(at(r), [['m.z', 2, 3]]);
    assert.match(r.issues[0]?.message ?? '', /`m\.z` is required/);
  });

  test('unknown keys are issues at the key, with a suggestion when one is close', () => {
    const r = reader('upstream:\n  timeout-ms: 1\n  zzz: 2\n');
    const up = r.object(r.root(), ['upstream'])?.get('upstream') ?? assert.fail();
    r.object(up, ['url', 'timeout_ms']);
    assert.deepEqual(at(r), [
      ['upstream.timeout-ms', 2, 3],
      ['upstream.zzz', 3, 3],
    ]);
    assert.match(r.issues[0]?.message ?? '', /did you mean `timeout_ms`/);
    assert.doesNotMatch(r.issues[1]?.message ?? '', /did you mean/);
  });

  test('lists: items get [i] paths; a single item may stand alone; empty lists refused unless allowed', () => {
    const r = reader('l: [a, b]\ns: one\ne: []\n');
    const view = r.object(r.root(), ['l', 's', 'e']) ?? assert.fail();
    assert.deepEqual(
      r.list(view.get('l'))?.map((f) => f.path),
      ['l[0]', 'l[1]'],
    );
    assert.deepEqual(
      r.list(view.get('s'), { single: true })?.map((f) => f.path),
      ['s'],
    );
    assert.equal(r.list(view.get('s')), undefined);
    assert.deepEqual(r.list(view.get('e'), { nonEmpty: false }), []);
    assert.equal(r.list(view.get('e')), undefined);
    assert.deepEqual(at(r), [
      ['s', 2, 4],
      ['e', 3, 4],
    ]);
  });

  test('nullable, oneOf, parse and scalar', () => {
    const r = reader('n: null\nm: keep\np: "8003"\nq: nope\n');
    const view = r.object(r.root(), ['n', 'm', 'p', 'q']) ?? assert.fail();
    assert.equal(readValue(r, view.get('n'), orNull(text({ doc }))), null);
    assert.equal(readValue(r, view.get('absent'), orNull(text({ doc }))), null);
    assert.equal(readValue(r, view.get('m'), oneOf(['keep', 'drop'], { doc })), 'keep');
    const port = (convert: (t: string) => { value: number } | string) =>
      parsed({ doc, expected: 'a port', parse: convert });
    assert.equal(
      readValue(
        r,
        view.get('p'),
        port((t) => ({ value: Number(t) })),
      ),
      8003,
    );
    assert.equal(
      readValue(
        r,
        view.get('q'),
        port(() => 'it is not a number'),
      ),
      undefined,
    );
    const wasNull = scalar({
      doc,
      expected: 'null',
      convert: (v) => (v === null ? { value: 'was null' } : null),
      schema: {},
    });
    assert.equal(readValue(r, view.get('n'), wasNull), 'was null');
    assert.equal(r.issues[0]?.message, '`q` must be a port (got "nope") — it is not a number at f.yaml:4:4');
  });

  test('rootPath names the document in every path', () => {
    const r = reader('- board: x\n- version: ${UNSET}\n', { rootPath: 'catalog' });
    const items = r.list(r.root()) ?? assert.fail();
    assert.deepEqual(
      items.map((i) => i.path),
      ['catalog[0]', 'catalog[1]'],
    );
    assert.deepEqual(at(r), [['catalog[1].version', 2, 12]]);
  });

  test('duplicate keys and non-text keys are issues with their paths', () => {
    const r = reader('a:\n  b: 1\n  b: 2\n[x]: 1\n');
    assert.deepEqual(at(r), [
      ['a.b', 3, 3],
      ['', 4, 1],
    ]);
  });

  test('a value whose substitution failed is reported once, not again by the readers', () => {
    const r = reader('a: ${NOPE}\n');
    const view = r.object(r.root(), ['a']) ?? assert.fail();
    assert.equal(asInt(r, view.get('a')), undefined);
    assert.equal(asString(r, view.get('a')), undefined);
    assert.equal(r.issues.length, 1);
  });

  test('a YAML syntax error is one issue and no tree', () => {
    const source = parseYamlSource('a: [1, 2\nb: {\n', { file: 'f.yaml', env: {} });
    assert.equal(source.root, null);
    assert.deepEqual(
      source.issues.map((i) => [i.path, i.line, i.col]),
      [['', 2, 1]],
    );
    assert.match(source.issues[0]?.message ?? '', /^invalid YAML: .* at f\.yaml:2:1$/);
  });

  test('throwIfIssues throws one ConfigError with every issue, under the code given', () => {
    const r = reader('a: x\n');
    assert.doesNotThrow(() => r.throwIfIssues());
    asInt(r, r.object(r.root(), ['a'])?.get('a') ?? assert.fail());
    r.issueAt('b', { line: 0, col: 0 }, 'no position');
    assert.throws(
      () => r.throwIfIssues('CATALOG_INVALID'),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.code === 'CATALOG_INVALID' &&
        error.issues.length === 2 &&
        error.issues[1]?.message === 'no position at f.yaml',
    );
  });
});
