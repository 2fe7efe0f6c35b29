import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { contentRange, ifRangeHolds, parseRange } from '../../src/firmware/byte-range.js';

describe('parseRange', () => {
  const size = 1000;

  test('no header is none', () => {
    assert.deepEqual(parseRange(undefined, size), { kind: 'none' });
  });

  test('single ranges, clamped to the size', () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, 999],
      ['bytes=-100', 900, 999],
      ['bytes=-5000', 0, 999],
      ['bytes=990-5000', 990, 999],
      ['bytes=999-999', 999, 999],
      ['BYTES=0-0', 0, 0],
      ['bytes= 10-20 ', 10, 20],
      ['bytes=0-99, ', 0, 99],
      ['bytes=0-99999999999999999999999', 0, 999],
    ];
    for (const [header, start, end] of cases)
      assert.deepEqual(parseRange(header, size), { kind: 'single', start, end }, header);
  });

  test('ranges starting past the end, or empty suffixes, are unsatisfiable', () => {
    for (const header of ['bytes=1000-', 'bytes=1000-2000', 'bytes=-0', 'bytes=99999999999999999999-']) {
      assert.deepEqual(parseRange(header, size), { kind: 'unsatisfiable' }, header);
    }
    assert.deepEqual(parseRange('bytes=-10', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  });

  test('malformed, other units and several ranges are ignored (served whole)', () => {
    for (const header of [
      '',
      'bytes',
      'bytes=',
      'bytes=abc',
      'bytes=5-1',
      'bytes=1-2-3',
      'bytes=-',
      'bytes=+1-2',
      'bytes=0x10-20',
      'items=0-1',
      'bytes=0-1,5-9',
      'bytes=0-1, 900-',
      'bytes=1.5-2',
      'bytes=--1',
    ]) {
      assert.deepEqual(parseRange(header, size), { kind: 'ignored' }, JSON.stringify(header));
    }
  });
});

describe('ifRangeHolds', () => {
  const validators = { etag: '"abc123"', lastModified: 'Thu, 06 Aug 2026 07:06:40 GMT' };

  test('absent If-Range lets the range apply', () => {
    assert.equal(ifRangeHolds(undefined, validators), true);
  });

  test('a strong entity-tag must match exactly', () => {
    assert.equal(ifRangeHolds('"abc123"', validators), true);
    assert.equal(ifRangeHolds('"abc124"', validators), false);
    assert.equal(ifRangeHolds('W/"abc123"', validators), false);
    assert.equal(ifRangeHolds('abc123', validators), false);
  });

  test('an HTTP-date must equal Last-Modified', () => {
    assert.equal(ifRangeHolds('Thu, 06 Aug 2026 07:06:40 GMT', validators), true);
    assert.equal(ifRangeHolds('Thursday, 06-Aug-26 07:06:40 GMT', validators), true);
    assert.equal(ifRangeHolds('Thu, 06 Aug 2026 07:06:41 GMT', validators), false);
    assert.equal(ifRangeHolds('Wed, 05 Aug 2026 07:06:40 GMT', validators), false);
    assert.equal(ifRangeHolds('not a date', validators), false);
  });
});

test('contentRange spells 206 and 416 values', () => {
  assert.equal(contentRange({ start: 0, end: 99 }, 1000), 'bytes 0-99/1000');
  assert.equal(contentRange(null, 1000), 'bytes */1000');
});
