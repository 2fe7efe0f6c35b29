import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inRollout, rolloutBucket } from '../../src/firmware/rollout.js';

/** 10,000 synthetic Wi-Fi MACs. */
const ids = Array.from({ length: 10_000 }, (_, i) => {
  const hex = i.toString(16).padStart(6, '0');
  return `24:0a:c4:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
});
const board = 'bread-compact-wifi*';
const version = '2.0.4';

test('the bucket is the first 8 hex digits of sha256("<id>|<board>|<version>") mod 10000', () => {
  const id = 'aa:bb:cc:dd:ee:01';
  const digest = createHash('sha256').update(`${id}|${board}|${version}`).digest('hex');
  assert.equal(rolloutBucket(id, board, version), Number.parseInt(digest.slice(0, 8), 16) % 10_000);
});

test('every device keeps the bucket of the definition (10,000 ids, non-ASCII text, calls interleaved)', () => {
  const definition = (id: string, b: string, v: string): number =>
    Number.parseInt(createHash('sha256').update(`${id}|${b}|${v}`, 'utf8').digest('hex').slice(0, 8), 16) %
    10_000;
  for (const id of ids) {
    // The same device for two entries in turn, and twice for one (the remembered last bucket).
    for (const [b, v] of [
      [board, version],
      ['m5stack-*', '1.2.0'],
      [board, version],
    ] as const)
      assert.equal(rolloutBucket(id, b, v), definition(id, b, v), `${id} ${b} ${v}`);
  }
  for (const id of ['设备-1', 'ümlaut', 'a|b', ''])
    assert.equal(rolloutBucket(id, board, version), definition(id, board, version));
});

test('the bucket is stable and depends on the board as written and the version', () => {
  const id = 'aa:bb:cc:dd:ee:01';
  // Stable: the same numbers on every run and machine (sha256 of the text), for every input.
  assert.equal(rolloutBucket(id, board, version), 8965);
  assert.equal(rolloutBucket(id, 'bread-compact-wifi', version), 6166);
  assert.equal(rolloutBucket(id, board, '2.0.5'), 7181);
});

test('proportion over 10,000 devices is within ±2 points', () => {
  const buckets = ids.map((id) => rolloutBucket(id, board, version));
  for (const bucket of buckets) assert.ok(Number.isInteger(bucket) && bucket >= 0 && bucket < 10_000);
  for (const percent of [1, 5, 25, 50, 75, 99]) {
    const share = (buckets.filter((b) => inRollout(b, percent)).length / ids.length) * 100;
    assert.ok(Math.abs(share - percent) <= 2, `${percent} %: got ${share.toFixed(2)} %`);
  }
});

test('raising the percentage keeps every device already in (monotonic)', () => {
  const buckets = ids.map((id) => rolloutBucket(id, board, version));
  const steps = [0, 0.5, 5, 25, 50, 99.99, 100];
  for (let i = 1; i < steps.length; i++) {
    const lower = steps[i - 1] ?? 0;
    const higher = steps[i] ?? 0;
    for (const bucket of buckets) {
      if (inRollout(bucket, lower))
        assert.ok(inRollout(bucket, higher), `bucket ${bucket}: in at ${lower} %, out at ${higher} %`);
    }
  }
});

test('0 % lets nobody in, 100 % everybody; two decimals are exact', () => {
  assert.equal(inRollout(0, 0), false);
  assert.equal(inRollout(9999, 100), true);
  assert.equal(inRollout(28, 0.29), true);
  assert.equal(inRollout(29, 0.29), false);
  assert.equal(inRollout(499, 5), true);
  assert.equal(inRollout(500, 5), false);
});
