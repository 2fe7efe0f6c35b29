import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob, matchesGlob } from '../../src/match/glob.js';

const cases: [string, string, boolean][] = [
  ['bread-compact-wifi', 'bread-compact-wifi', true],
  ['bread-compact-wifi', 'bread-compact-wifi-128x64', false],
  ['bread-compact-wifi*', 'bread-compact-wifi-128x64', true],
  ['bread-compact-wifi*', 'bread-compact-wifi', true],
  ['*', '', true],
  ['*', 'anything', true],
  ['m5stack-*', 'M5Stack-Stack-Chan', true],
  ['esp32-s3-?', 'esp32-s3-a', true],
  ['esp32-s3-?', 'esp32-s3-', false],
  ['esp32-s3-?', 'esp32-s3-ab', false],
  ['*.example.com', 'ota.example.com', true],
  ['*.example.com', 'otaXexample.com', false],
  ['a+b(c)[d]{e}|f^$\\', 'A+B(C)[D]{E}|F^$\\', true],
  ['a.c', 'abc', false],
  ['*-wifi-*', 'bread-compact-wifi-128x64', true],
  ['?', 'ü', true],
];

for (const [glob, value, expected] of cases) {
  test(`${glob} vs ${JSON.stringify(value)}`, () => {
    const g = compileGlob(glob);
    assert.equal(g.text, glob);
    assert.equal(matchesGlob(g, value), expected);
  });
}
