import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolate } from '../../src/config/interpolate.js';
import { isMap, isScalar } from 'yaml';
import type { Node } from 'yaml';
import { parseYamlSource } from '../../src/config/yaml-source.js';

describe('interpolate', () => {
  const env = { HOST: 'xz.example.com', EMPTY: '', PORT: '8002' };
  const cases: [string, string][] = [
    ['no references', 'no references'],
    ['http://${HOST}:${PORT}', 'http://xz.example.com:8002'],
    ['${HOST:-fallback}', 'xz.example.com'],
    ['${UNSET:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY}', ''],
    ['${UNSET:-}', ''],
    ['${UNSET:-a:-b}', 'a:-b'],
    ['price $$5', 'price $5'],
    ['$${HOST}', '${HOST}'],
    ['$$$${HOST}', '$${HOST}'],
    ['$$${HOST}', '$xz.example.com'],
    ['$HOST and $ alone', '$HOST and $ alone'],
    ['trailing $', 'trailing $'],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => {
      const result = interpolate(text, env);
      assert.deepEqual(result.problems, []);
      assert.equal(result.value, expected);
    });
  }

  test('`whole` only when the text is exactly one reference', () => {
    assert.equal(interpolate('${HOST}', env).whole, true);
    assert.equal(interpolate('${UNSET:-5000}', env).whole, true);
    assert.equal(interpolate(' ${HOST}', env).whole, false);
    assert.equal(interpolate('${HOST}${PORT}', env).whole, false);
    assert.equal(interpolate('${HOST}x', env).whole, false);
    assert.equal(interpolate('$${HOST}', env).whole, false);
    assert.equal(interpolate('plain', env).whole, false);
  });

  test('problems carry the index of their `$`', () => {
    assert.deepEqual(interpolate('a ${NOPE} b', env).problems, [{ kind: 'unset', name: 'NOPE', index: 2 }]);
    assert.deepEqual(interpolate('${1BAD}', env).problems, [
      { kind: 'malformed', reference: '${1BAD}', index: 0 },
    ]);
    assert.deepEqual(interpolate('${A-b}', env).problems, [
      { kind: 'malformed', reference: '${A-b}', index: 0 },
    ]);
    assert.deepEqual(interpolate('${}', env).problems, [{ kind: 'malformed', reference: '${}', index: 0 }]);
    assert.deepEqual(interpolate('x ${HOST', env).problems, [{ kind: 'unterminated', index: 2 }]);
    assert.deepEqual(interpolate('${A:-${B}}', env).problems, [{ kind: 'nested', name: 'A', index: 0 }]);
  });
});

function scalarAt(node: Node | null, key: string): Node {
  assert.ok(isMap(node));
  const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
  return (pair?.value as Node | null | undefined) ?? assert.fail(`no ${key}`);
}

function valueOf(node: Node): unknown {
  return isScalar(node) ? node.value : assert.fail('not a scalar');
}

describe('interpolation inside YAML scalars', () => {
  const env = { T: '5000', ON: 'true', HOST: 'xz.example.com', LIST: '[1, 2]', MAP: 'a: b' };

  test('an unquoted whole reference is read again as YAML', () => {
    const { root, issues } = parseYamlSource(
      [
        't: ${T}',
        'on: ${ON}',
        'none: ${UNSET:-null}',
        'empty: ${UNSET:-}',
        'tilde: ${UNSET:-~}',
        'host: ${HOST}',
        'hex: ${UNSET:-0x10}',
        'list: ${LIST}',
        'map: ${MAP}',
      ].join('\n'),
      { file: 'x.yaml', env },
    );
    assert.deepEqual(issues, []);
    assert.equal(valueOf(scalarAt(root, 't')), 5000);
    assert.equal(valueOf(scalarAt(root, 'on')), true);
    assert.equal(valueOf(scalarAt(root, 'none')), null);
    assert.equal(valueOf(scalarAt(root, 'empty')), null);
    assert.equal(valueOf(scalarAt(root, 'tilde')), null);
    assert.equal(valueOf(scalarAt(root, 'host')), 'xz.example.com');
    assert.equal(valueOf(scalarAt(root, 'hex')), 16);
    // Only scalars: a value never becomes a list or a mapping.
    assert.equal(valueOf(scalarAt(root, 'list')), '[1, 2]');
    assert.equal(valueOf(scalarAt(root, 'map')), 'a: b');
  });

  test('a quoted, tagged, block or partial reference stays a string', () => {
    const { root, issues } = parseYamlSource(
      [
        'dq: "${T}"',
        "sq: '${T}'",
        'tagged: !!str ${T}',
        'block: |-',
        '  ${T}',
        'partial: ${T}0',
        'on: "${ON}"',
      ].join('\n'),
      { file: 'x.yaml', env },
    );
    assert.deepEqual(issues, []);
    assert.equal(valueOf(scalarAt(root, 'dq')), '5000');
    assert.equal(valueOf(scalarAt(root, 'sq')), '5000');
    assert.equal(valueOf(scalarAt(root, 'tagged')), '5000');
    assert.equal(valueOf(scalarAt(root, 'block')), '5000');
    assert.equal(valueOf(scalarAt(root, 'partial')), '50000');
    assert.equal(valueOf(scalarAt(root, 'on')), 'true');
  });

  test('$$ is a literal $ in every scalar value; keys are left alone', () => {
    const { root, issues } = parseYamlSource('token: "a$$b"\n$${K}: 1\n', { file: 'x.yaml', env });
    assert.deepEqual(issues, []);
    assert.equal(valueOf(scalarAt(root, 'token')), 'a$b');
    assert.equal(valueOf(scalarAt(root, '$${K}')), 1);
  });

  test('an unset variable without default is an issue at its own position', () => {
    const text = 'upstream:\n  url: http://${UP_HOST}:${UP_PORT}\nlist:\n  - "x $$ ${NOPE}"\n';
    const { issues } = parseYamlSource(text, { file: 'conf/p.yaml', env: { UP_HOST: 'h' } });
    assert.deepEqual(
      issues.map((i) => [i.path, i.line, i.col]),
      [
        ['upstream.url', 2, 26],
        ['list[0]', 4, 11],
      ],
    );
    assert.match(issues[0]?.message ?? '', /UP_PORT/);
    assert.ok(issues[0]?.message.endsWith('at conf/p.yaml:2:26'));
    assert.ok(issues[1]?.message.endsWith('at conf/p.yaml:4:11'));
  });

  test('a failed value is marked so readers do not report it twice', () => {
    const { root, reported } = parseYamlSource('a: ${NOPE}\n', { file: 'x.yaml', env: {} });
    const node = scalarAt(root, 'a');
    assert.equal(reported.has(node), true);
  });

  test('malformed, unterminated and nested references are issues', () => {
    const { issues } = parseYamlSource('a: ${1X}\nb: ${OPEN\nc: ${A:-${B}}\n', { file: 'x.yaml', env: {} });
    assert.deepEqual(
      issues.map((i) => [i.path, i.line, i.col]),
      [
        ['a', 1, 4],
        ['b', 2, 4],
        ['c', 3, 4],
      ],
    );
  });
});
