/**
 * The update state machine, row by row against docs/fleet.md "Update attempts" (the states table): every
 * state it can enter and every ending, with the event that causes it.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { deadline, step, type AttemptEvent } from '../../src/fleet/attempt-machine.js';
import type { Attempt } from '../../src/fleet/types.js';
import { attempt, check, download, HOUR, MINUTE, OFFER, T0, WINDOWS } from '../helpers/fleet-attempt.js';

interface Row {
  readonly name: string;
  readonly from: Partial<Attempt>;
  readonly event: AttemptEvent;
  /** Expected state, reason and counted; `endedAt` when it ends. */
  readonly state: Attempt['state'];
  readonly reason?: Attempt['reason'];
  readonly counted?: boolean;
  readonly endedAt?: number;
}

const DOWNLOADED: Partial<Attempt> = {
  state: 'downloaded',
  downloadStartedAt: T0 + 1000,
  downloadCompletedAt: T0 + 60_000,
  downloadBytes: 2_000_000,
  lastEventAt: T0 + 60_000,
};
const DOWNLOADING: Partial<Attempt> = {
  state: 'downloading',
  downloadStartedAt: T0 + 1000,
  lastEventAt: T0 + 1000,
};
const ABORTED: Partial<Attempt> = { ...DOWNLOADING, downloadBytes: 700_000, lastEventAt: T0 + 30_000 };
const LATER = T0 + 2 * MINUTE;

const rows: readonly Row[] = [
  // Open states.
  {
    name: 'downloading: a download with this device token started',
    from: {},
    event: download(T0 + 1000, 'started'),
    state: 'downloading',
  },
  {
    name: 'downloaded: every byte written, closed cleanly',
    from: DOWNLOADING,
    event: download(T0 + 60_000, 'completed'),
    state: 'downloaded',
  },
  {
    name: 'a reset after the last write is an aborted download (still downloading, not complete)',
    from: DOWNLOADING,
    event: download(T0 + 60_000, 'aborted'),
    state: 'downloading',
  },
  {
    name: 'a download of another image is not this attempt',
    from: {},
    event: download(T0 + 1000, 'started', { file: 'other.bin' }),
    state: 'offered',
  },
  {
    name: 'to_version answered non-200: left open (the device may still roll back)',
    from: DOWNLOADED,
    event: check(LATER, '2.0.0', { status: 502 }),
    state: 'downloaded',
  },
  {
    name: 'an unreadable version changes nothing',
    from: DOWNLOADED,
    event: check(LATER, null),
    state: 'downloaded',
  },
  // installed
  {
    name: 'installed: to_version answered 200',
    from: DOWNLOADED,
    event: check(LATER, '2.0.0'),
    state: 'installed',
    reason: null,
    counted: false,
    endedAt: LATER,
  },
  {
    name: 'installed: a fallback 200 counts too (the device confirms on any successful check)',
    from: { ...DOWNLOADED, reportedToVersion: true },
    event: check(LATER, '2.0.0', { status: 200 }),
    state: 'installed',
    counted: false,
    endedAt: LATER,
  },
  // failed
  {
    name: 'failed rejected-or-rolled-back: from_version after a complete download',
    from: DOWNLOADED,
    event: check(LATER, '1.9.0'),
    state: 'failed',
    reason: 'rejected-or-rolled-back',
    counted: true,
    endedAt: LATER,
  },
  {
    name: 'failed download-aborted: from_version after a started, incomplete download',
    from: ABORTED,
    event: check(LATER, '1.9.0'),
    state: 'failed',
    reason: 'download-aborted',
    counted: true,
    endedAt: LATER,
  },
  {
    name: 'failed not-downloaded: proxy-served image, no download seen, still offered',
    from: {},
    event: check(LATER, '1.9.0'),
    state: 'failed',
    reason: 'not-downloaded',
    counted: true,
    endedAt: LATER,
  },
  {
    name: 'failed offer-unreachable: external url, no download seen, still offered',
    from: { urlKind: 'external' },
    event: check(LATER, '1.9.0'),
    state: 'failed',
    reason: 'offer-unreachable',
    counted: true,
    endedAt: LATER,
  },
  {
    name: 'failed rolled-back: to_version on a non-200 answer, then from_version',
    from: { ...DOWNLOADED, reportedToVersion: true, lastCheckAt: T0 + 90_000 },
    event: check(LATER, '1.9.0'),
    state: 'failed',
    reason: 'rolled-back',
    counted: true,
    endedAt: LATER,
  },
  {
    name: 'a v2 activation re-check whose download failed is a real failure',
    from: { ...ABORTED, activation: true },
    event: check(LATER, '1.9.0'),
    state: 'failed',
    reason: 'download-aborted',
    counted: true,
    endedAt: LATER,
  },
  // silent
  {
    name: 'silent (counted): no check within silent_after_download after a completed download',
    from: DOWNLOADED,
    event: { kind: 'tick', at: T0 + 60_000 + 30 * MINUTE, replica: 'r2' },
    state: 'silent',
    reason: 'silent',
    counted: true,
    endedAt: T0 + 60_000 + 30 * MINUTE,
  },
  {
    name: 'silent: a check after the window finds the attempt ended at the deadline',
    from: DOWNLOADED,
    event: check(T0 + 2 * HOUR, '1.9.0'),
    state: 'silent',
    reason: 'silent',
    counted: true,
    endedAt: T0 + 60_000 + 30 * MINUTE,
  },
  {
    name: 'silent (not counted): no event within attempt_timeout after an offer',
    from: {},
    event: { kind: 'tick', at: T0 + 24 * HOUR, replica: 'r1' },
    state: 'silent',
    reason: 'timed-out',
    counted: false,
    endedAt: T0 + 24 * HOUR,
  },
  {
    name: 'silent (not counted): an aborted download, then nothing for attempt_timeout',
    from: ABORTED,
    event: { kind: 'tick', at: T0 + 30_000 + 24 * HOUR, replica: 'r1' },
    state: 'silent',
    reason: 'timed-out',
    counted: false,
    endedAt: T0 + 30_000 + 24 * HOUR,
  },
  {
    name: 'not silent before the window',
    from: DOWNLOADED,
    event: { kind: 'tick', at: T0 + 60_000 + 30 * MINUTE - 1, replica: 'r1' },
    state: 'downloaded',
  },
  // superseded
  {
    name: 'superseded: a version that is neither from nor to',
    from: DOWNLOADED,
    event: check(LATER, '1.8.0'),
    state: 'superseded',
    reason: null,
    counted: false,
    endedAt: LATER,
  },
  // withdrawn
  {
    name: 'withdrawn: from_version, no download, the entry would no longer be offered',
    from: {},
    event: check(LATER, '1.9.0', { candidate: null }),
    state: 'withdrawn',
    reason: null,
    counted: false,
    endedAt: LATER,
  },
  {
    name: 'withdrawn: another entry chosen',
    from: {},
    event: check(LATER, '1.9.0', { candidate: 'ffffffffffff' }),
    state: 'withdrawn',
    counted: false,
    endedAt: LATER,
  },
  {
    name: 'not withdrawn when a download was seen: the failure counts',
    from: DOWNLOADED,
    event: check(LATER, '1.9.0', { candidate: null }),
    state: 'failed',
    reason: 'rejected-or-rolled-back',
    counted: true,
    endedAt: LATER,
  },
  // v2 activation re-check in the same boot, no download yet
  {
    name: 'a v2 activation re-check (no download, still offered) goes on with the same attempt',
    from: { activation: true },
    event: check(T0 + 5000, '1.9.0'),
    state: 'offered',
  },
  {
    name: 'a v2 activation re-check when the entry is no longer offered: withdrawn',
    from: { activation: true },
    event: check(T0 + 5000, '1.9.0', { candidate: null }),
    state: 'withdrawn',
    counted: false,
    endedAt: T0 + 5000,
  },
];

describe('attempt machine: the states table', () => {
  for (const row of rows) {
    test(row.name, () => {
      const before = attempt(row.from);
      const { attempt: after, effects } = step(before, row.event, WINDOWS);
      assert.equal(after.state, row.state);
      if (row.endedAt === undefined) {
        assert.equal(after.endedAt, null);
        assert.deepEqual(effects, []);
      } else {
        assert.equal(after.endedAt, row.endedAt);
        assert.equal(after.counted, row.counted);
        if (row.reason !== undefined) assert.equal(after.reason, row.reason);
        assert.deepEqual(effects, [
          {
            kind: 'ended',
            ending: after.reason === null ? { state: row.state } : { state: row.state, reason: after.reason },
            counted: row.counted,
          },
        ]);
        assert.equal(after.endedBy, row.event.replica);
      }
    });
  }

  test('every ending of the table has a row', () => {
    const endings = new Set(
      rows.filter((r) => r.endedAt !== undefined).map((r) => `${r.state}/${r.reason ?? ''}`),
    );
    for (const expected of [
      'installed/',
      'failed/rejected-or-rolled-back',
      'failed/download-aborted',
      'failed/not-downloaded',
      'failed/offer-unreachable',
      'failed/rolled-back',
      'silent/silent',
      'silent/timed-out',
      'superseded/',
      'withdrawn/',
    ])
      assert.ok(endings.has(expected), expected);
  });

  test('the download members are recorded with the replica that saw them', () => {
    const started = step(attempt(), download(T0 + 1000, 'started', { replica: 'r2' }), WINDOWS).attempt;
    const done = step(
      started,
      download(T0 + 61_000, 'completed', { bytes: 1234, replica: 'r3' }),
      WINDOWS,
    ).attempt;
    assert.equal(done.downloadStartedAt, T0 + 1000);
    assert.equal(done.downloadCompletedAt, T0 + 61_000);
    assert.equal(done.downloadBytes, 1234);
    assert.equal(done.downloadBy, 'r3');
    assert.equal(done.lastEventAt, T0 + 61_000);
  });

  test('a non-200 to_version check stops the silent window (a check followed the download)', () => {
    const open = step(attempt(DOWNLOADED), check(T0 + 70_000, '2.0.0', { status: 503 }), WINDOWS).attempt;
    assert.equal(open.reportedToVersion, true);
    assert.deepEqual(deadline(open, WINDOWS), {
      at: T0 + 70_000 + 24 * HOUR,
      ending: { state: 'silent', reason: 'timed-out' },
    });
  });

  test('an ended attempt does not change', () => {
    const ended = step(attempt(DOWNLOADED), check(LATER, '2.0.0'), WINDOWS).attempt;
    const again = step(ended, check(LATER + 1, '1.9.0'), WINDOWS);
    assert.equal(again.attempt, ended);
    assert.deepEqual(again.effects, []);
    assert.equal(OFFER.version, ended.toVersion);
  });
});
