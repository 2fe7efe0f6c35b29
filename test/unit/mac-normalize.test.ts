import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeMac } from '../../src/match/mac.js';

const cases: [string, string | null][] = [
  ['aa:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff'],
  ['AA:BB:CC:DD:EE:FF', 'aa:bb:cc:dd:ee:ff'],
  ['AA-BB-CC-DD-EE-01', 'aa:bb:cc:dd:ee:01'],
  ['aabbccddee01', 'aa:bb:cc:dd:ee:01'],
  ['AABBCCDDEE01', 'aa:bb:cc:dd:ee:01'],
  ['aa:bb-cc:dd:ee:ff', null],
  ['aa:bb:cc:dd:ee', null],
  ['aa:bb:cc:dd:ee:ff:00', null],
  ['aa:bb:cc:dd:ee:gg', null],
  ['a:bb:cc:dd:ee:ff', null],
  ['aabbccddeeff0', null],
  ['aa.bb.cc.dd.ee.ff', null],
  [' aa:bb:cc:dd:ee:ff', null],
  ['', null],
];

for (const [text, expected] of cases) {
  test(JSON.stringify(text), () => assert.equal(normalizeMac(text), expected));
}
