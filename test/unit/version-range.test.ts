import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVersionNumbers, parseVersionRange, satisfiesRange } from '../../src/match/version.js';
import type { VersionRange } from '../../src/match/types.js';

function range(text: string): VersionRange {
  const parsed = parseVersionRange(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function satisfies(version: string, text: string): boolean {
  const numbers = parseVersionNumbers(version);
  if (numbers === null) throw new Error(`bad version ${version}`);
  return satisfiesRange(numbers, range(text));
}

describe('parseVersionRange', () => {
  test('reads each operator; a bare version means =', () => {
    const parsed = range('=1.0 !=1.1 <2 <=2.1 >0.5 >=0.6 1.0');
    assert.deepEqual(
      parsed.comparators.map((c) => [c.op, c.version.join('.')]),
      [
        ['=', '1.0'],
        ['!=', '1.1'],
        ['<', '2'],
        ['<=', '2.1'],
        ['>', '0.5'],
        ['>=', '0.6'],
        ['=', '1.0'],
      ],
    );
    assert.equal(parsed.text, '=1.0 !=1.1 <2 <=2.1 >0.5 >=0.6 1.0');
  });

  test('an operator may stand apart from its version', () => {
    assert.deepEqual(
      range('>= 1.6.0  < 1.8.0').comparators.map((c) => c.op),
      ['>=', '<'],
    );
  });

  for (const bad of [
    '',
    '   ',
    '>=',
    '=>1.0',
    '>==1.0',
    '~1.2',
    '^1.0',
    '>=v1.0',
    '>=1.0-beta',
    '1.x',
    '>=1.0 <',
    '1..0',
  ]) {
    test(`refuses ${JSON.stringify(bad)} with a reason`, () =>
      assert.equal(typeof parseVersionRange(bad), 'string'));
  }
});

describe('satisfiesRange: comparators ANDed, compared as the device compares', () => {
  const cases: [string, string, boolean][] = [
    ['1.6.0', '>=1.6.0 <1.8.0', true],
    ['1.7.9', '>=1.6.0 <1.8.0', true],
    ['1.8.0', '>=1.6.0 <1.8.0', false],
    ['1.5.9', '>=1.6.0 <1.8.0', false],
    ['1.10.0', '>1.9.0', true],
    ['2.0.0-beta', '=2.0.0', true],
    ['2.0', '=2.0.0', false],
    ['2.0.0', '2.0.0', true],
    ['2.0.1', '!=2.0.0', true],
    ['2.0.0', '!=2.0.0', false],
    ['2.0.0', '<=2.0.0', true],
    ['2.0.0', '>2.0', true],
  ];
  for (const [version, text, expected] of cases) {
    test(`${version} ${text}`, () => assert.equal(satisfies(version, text), expected));
  }
});
