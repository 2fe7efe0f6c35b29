/**
 * A device's events folded into attempts (docs/fleet.md "Update attempts"): applied to the attempt open at
 * their time whatever order they arrived in, an offer opens the next attempt after ending the previous one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldDevice, type DeviceEvent } from '../../src/fleet/device-fold.js';
import { checkEvent, DEVICE, downloadEvent, MINUTE, OFFER, T0, WINDOWS } from '../helpers/fleet-attempt.js';

function fold(events: readonly DeviceEvent[], until = T0 + 10 * MINUTE, attemptsOf = () => 0) {
  return foldDevice({
    device: DEVICE,
    open: null,
    attemptsOf,
    events,
    until,
    replica: 'r9',
    windows: WINDOWS,
  });
}

const offerCheck = checkEvent(T0, '1.9.0', { offer: OFFER });
const started = downloadEvent(T0 + 1000, 'started', { replica: 'r2' });
const completed = downloadEvent(T0 + 60_000, 'completed', { replica: 'r2' });
// The device re-checks 0.3 s after its download, via a third replica.
const rejected = checkEvent(T0 + 60_300, '1.9.0', { replica: 'r3' });

test('an offer opens an attempt numbered after the device attempts of that entry', () => {
  const result = fold([offerCheck], T0 + 1, () => 2);
  assert.equal(result.open?.state, 'offered');
  assert.equal(result.open?.number, 3);
  assert.equal(result.open?.id, `${DEVICE}@${T0}/${offerCheck.id}`);
  assert.equal(result.open?.offeredBy, 'r1');
});

test('two offering checks in one millisecond (two replicas) open two attempts with their own ids', () => {
  // Seen in CI: a device re-booted within a millisecond, its checks on two replicas; the second attempt's
  // id was the first's and the store wrote it over the ended one.
  const first = checkEvent(T0, '1.9.0', { offer: OFFER, replica: 'r1' });
  const second = checkEvent(T0, '1.9.0', { offer: OFFER, replica: 'r2' });
  const result = fold([first, second]);
  assert.equal(result.ended.length, 1);
  assert.equal(result.ended[0]?.state, 'failed');
  assert.equal(result.ended[0]?.reason, 'not-downloaded');
  assert.equal(result.opened.length, 2);
  assert.notEqual(result.open?.id, result.ended[0]?.id);
  assert.equal(result.open?.number, 2);
});

test('events in any arrival order fold the same: the download seen elsewhere is not missed', () => {
  const inOrder = fold([offerCheck, started, completed, rejected]);
  const shuffled = fold([rejected, completed, offerCheck, started]);
  assert.deepEqual(shuffled, inOrder);
  assert.equal(inOrder.open, null);
  assert.equal(inOrder.ended.length, 1);
  assert.equal(inOrder.ended[0]?.state, 'failed');
  assert.equal(inOrder.ended[0]?.reason, 'rejected-or-rolled-back');
  assert.equal(inOrder.ended[0]?.downloadBy, 'r2');
  assert.equal(inOrder.ended[0]?.endedBy, 'r3');
});

test('an offer on a check opens the next attempt after ending the previous one', () => {
  const again = checkEvent(T0 + 5 * MINUTE, '1.9.0', { offer: OFFER });
  const result = fold([offerCheck, again]);
  assert.equal(result.ended.length, 1);
  assert.equal(result.ended[0]?.reason, 'not-downloaded');
  assert.equal(result.open?.number, 2);
  assert.equal(result.open?.offeredAt, T0 + 5 * MINUTE);
  assert.deepEqual(
    result.opened.map((a) => a.number),
    [1, 2],
  );
});

test('a v2 activation re-check in the same boot continues the attempt; its failed download counts', () => {
  const activating = checkEvent(T0, '1.9.0', { offer: OFFER, activation: true });
  const recheck = checkEvent(T0 + 4000, '1.9.0', { offer: OFFER });
  const continued = fold([activating, recheck]);
  assert.equal(continued.ended.length, 0);
  assert.equal(continued.open?.offeredAt, T0);
  assert.equal(continued.opened.length, 1);

  const aborted = downloadEvent(T0 + 2000, 'aborted', { bytes: 1000 });
  const failedFirst = fold([activating, downloadEvent(T0 + 1000, 'started'), aborted, recheck]);
  assert.equal(failedFirst.ended[0]?.reason, 'download-aborted');
  assert.equal(failedFirst.ended[0]?.counted, true);
  assert.equal(failedFirst.open?.number, 2);
});

test('a to_version check answered non-200 with a new offer: the open attempt is superseded (one open at a time)', () => {
  const other = { ...OFFER, entryId: 'f0f0f0f0f0f0', version: '2.1.0', file: 'x-2.1.0.bin' };
  const result = fold([offerCheck, checkEvent(T0 + MINUTE, '2.0.0', { status: 502, offer: other })]);
  assert.equal(result.ended[0]?.state, 'superseded');
  assert.equal(result.open?.entryId, 'f0f0f0f0f0f0');
});

test('time passing ends an attempt: silent after a completed download, at the deadline', () => {
  const result = fold([offerCheck, started, completed], T0 + 60_000 + 30 * MINUTE);
  assert.equal(result.ended[0]?.state, 'silent');
  assert.equal(result.ended[0]?.reason, 'silent');
  assert.equal(result.ended[0]?.endedBy, 'r9');
  assert.equal(result.ended[0]?.endedAt, T0 + 60_000 + 30 * MINUTE);
});
