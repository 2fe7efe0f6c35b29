import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, isDottedIntegers, parseVersionNumbers } from '../../src/match/version.js';

describe('parseVersionNumbers reads versions as the device does (docs/device-contract.md §3, §6)', () => {
  const cases: [string, number[] | null][] = [
    ['1.6.0', [1, 6, 0]],
    ['2.0.0-beta', [2, 0, 0]],
    ['1.10.0', [1, 10, 0]],
    ['007.1', [7, 1]],
    ['2', [2]],
    ['1.2rc3.4', [1, 2, 4]],
    ['2147483647', [2147483647]],
    ['2147483648', null],
    ['99999999999999999999', null],
    ['v2.0.0', null],
    ['2.x', null],
    ['2..0', null],
    ['.1', null],
    ['1.', null],
    ['', null],
    [' 1.0', null],
    ['-1.0', null],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.deepEqual(parseVersionNumbers(text), expected));
  }
});

describe('isDottedIntegers accepts only versions safe to offer', () => {
  const cases: [string, boolean][] = [
    ['1.6.0', true],
    ['2', true],
    ['0.0.0', true],
    ['1.2147483647', true],
    ['1.2147483648', false],
    ['2.0.0-beta', false],
    ['v2.0.0', false],
    ['2..0', false],
    ['2.0.', false],
    ['', false],
    [' 2.0', false],
    ['2.0\n', false],
  ];
  for (const [text, expected] of cases) {
    test(JSON.stringify(text), () => assert.equal(isDottedIntegers(text), expected));
  }
});

describe('compareVersions compares segment by segment, the longer winning a tie', () => {
  const cases: [number[], number[], -1 | 0 | 1][] = [
    [[1, 10, 0], [1, 9, 0], 1],
    [[1, 9, 0], [1, 10, 0], -1],
    [[2, 0, 0], [2, 0, 0], 0],
    [[1, 0, 0], [1, 0], 1],
    [[1, 0], [1, 0, 0], -1],
    [[2], [1, 99, 99], 1],
    [[], [], 0],
    [[], [0], -1],
  ];
  for (const [a, b, expected] of cases) {
    test(`${a.join('.')} vs ${b.join('.')}`, () => assert.equal(compareVersions(a, b), expected));
  }
});
