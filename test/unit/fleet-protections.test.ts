/** Blocks and halts (docs/fleet.md "Protections"): what one ending does to a device's record and its rollout. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyEnding,
  blockDetail,
  emptyEntryRecord,
  emptyRollout,
  isBlocked,
  shouldHalt,
} from '../../src/fleet/protections.js';
import type { Attempt, EntryRecord, Rollout } from '../../src/fleet/types.js';
import { attempt, T0 } from '../helpers/fleet-attempt.js';

const SETTINGS = { maxFailedAttempts: 3, minFailedDevices: 3, failureRate: 0.2 };

function failed(device: string, at = T0 + 1000): Attempt {
  return attempt({ device, state: 'failed', reason: 'rejected-or-rolled-back', counted: true, endedAt: at });
}
function installed(device: string, at = T0 + 1000): Attempt {
  return attempt({ device, state: 'installed', counted: false, endedAt: at });
}

test('the third counted failure of one entry blocks the device, with the last reason', () => {
  const a = failed('aa:00:00:00:00:01');
  let record: EntryRecord = emptyEntryRecord(a);
  let rollout: Rollout = emptyRollout(a);
  const blockedAt: boolean[] = [];
  for (const reason of ['not-downloaded', 'download-aborted', 'rejected-or-rolled-back'] as const) {
    const out = applyEnding({ ...a, reason }, record, rollout, SETTINGS);
    record = out.record;
    rollout = out.rollout;
    blockedAt.push(out.blocked);
  }
  assert.deepEqual(blockedAt, [false, false, true]);
  assert.equal(isBlocked(record, 3), true);
  assert.equal(record.blockedSince, T0 + 1000);
  assert.equal(blockDetail(record), 'blocked: failed 3 times (rejected-or-rolled-back)');
  // One device counts once in F however often it fails.
  assert.equal(rollout.failedDevices, 1);
});

test('endings that do not count leave the record alone', () => {
  for (const ending of [
    attempt({ state: 'superseded', endedAt: T0 + 1 }),
    attempt({ state: 'withdrawn', endedAt: T0 + 1 }),
    attempt({ state: 'silent', reason: 'timed-out', endedAt: T0 + 1 }),
  ]) {
    const out = applyEnding(ending, emptyEntryRecord(ending), emptyRollout(ending), SETTINGS);
    assert.equal(out.record.failures, 0);
    assert.equal(out.rollout.failedDevices, 0);
    assert.equal(out.rollout.installedDevices, 0);
  }
});

test('a halt needs F >= min_failed_devices and F/(I+F) >= failure_rate', () => {
  assert.equal(shouldHalt(2, 0, SETTINGS), false);
  assert.equal(shouldHalt(3, 12, SETTINGS), true); // 3/15 = 0.2
  assert.equal(shouldHalt(3, 13, SETTINGS), false); // 3/16 < 0.2
  assert.equal(shouldHalt(0, 0, { minFailedDevices: 0, failureRate: 0 }), false);
});

test('three devices failing among twelve installed halt the rollout at the third failure', () => {
  const a = failed('aa:00:00:00:00:00');
  let rollout = emptyRollout(a);
  for (let i = 1; i <= 12; i++) {
    const ok = installed(`aa:00:00:00:01:${String(i).padStart(2, '0')}`);
    rollout = applyEnding(ok, emptyEntryRecord(ok), rollout, SETTINGS).rollout;
  }
  const halts: (string | null)[] = [];
  for (let i = 1; i <= 3; i++) {
    const bad = failed(`aa:00:00:00:02:0${i}`, T0 + 5000 + i);
    const out = applyEnding(bad, emptyEntryRecord(bad), rollout, SETTINGS);
    rollout = out.rollout;
    halts.push(out.halted === null ? null : out.halted.reason);
  }
  assert.deepEqual(halts.slice(0, 2), [null, null]);
  assert.match(halts[2] ?? '', /^3 of 15 devices failed/);
  assert.equal(rollout.halt?.at, T0 + 5003);
  assert.equal(rollout.halt?.failed, 3);
  assert.equal(rollout.halt?.installed, 12);
});

test('a device that installed and then failed counts in F only', () => {
  const ok = installed('aa:00:00:00:00:09', T0 + 10);
  const first = applyEnding(ok, emptyEntryRecord(ok), emptyRollout(ok), SETTINGS);
  assert.equal(first.rollout.installedDevices, 1);
  const bad = failed('aa:00:00:00:00:09', T0 + 20);
  const second = applyEnding(bad, first.record, first.rollout, SETTINGS);
  assert.equal(second.rollout.failedDevices, 1);
  assert.equal(second.rollout.installedDevices, 0);
});

test('a resume starts a new window: endings before it do not count, outcomes from the old window are forgotten', () => {
  const bad = failed('aa:00:00:00:00:07', T0 + 10);
  const before = applyEnding(bad, emptyEntryRecord(bad), emptyRollout(bad), SETTINGS);
  const resumed: Rollout = {
    ...before.rollout,
    windowStart: T0 + 100,
    failedDevices: 0,
    installedDevices: 0,
    halt: null,
  };
  const late = applyEnding(failed('aa:00:00:00:00:07', T0 + 50), before.record, resumed, SETTINGS);
  assert.equal(late.rollout.failedDevices, 0);
  const again = applyEnding(failed('aa:00:00:00:00:07', T0 + 200), before.record, resumed, SETTINGS);
  assert.equal(again.rollout.failedDevices, 1);
  assert.equal(again.record.windowStart, T0 + 100);
});

test('a halted rollout is not halted again', () => {
  const bad = failed('aa:00:00:00:00:05');
  const halted: Rollout = {
    ...emptyRollout(bad),
    failedDevices: 5,
    halt: { at: T0, by: 'operator', reason: 'by hand', failed: 0, installed: 0 },
  };
  const out = applyEnding(bad, emptyEntryRecord(bad), halted, SETTINGS);
  assert.equal(out.halted, null);
  assert.equal(out.rollout.halt?.reason, 'by hand');
});
