/**
 * A replica's in-memory view (docs/fleet.md "Protections", "Replicas"): no offer before the first sync,
 * the check that reveals the third failure is answered without the entry, and the next device after a
 * halting failure is not offered the halted entry, before the store has settled anything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Origin } from '../../src/config/types.js';
import { decideOffer } from '../../src/firmware/select.js';
import type { Catalog } from '../../src/firmware/types.js';
import { entryIdOf } from '../../src/fleet/entry-id.js';
import { ReplicaView, type SyncSnapshot } from '../../src/fleet/replica-view.js';
import type { Rollout, SentOffer } from '../../src/fleet/types.js';
import { makeCatalog, makeDevice } from '../helpers/catalog-entry.js';
import { attempt, checkEvent, downloadEvent, T0, WINDOWS } from '../helpers/fleet-attempt.js';

const origin: Origin = { scheme: 'http', host: '10.0.0.1', port: 8003 };
const catalog: Catalog = makeCatalog([{ version: '2.0.0' }]);
const entry = catalog.entries[0]!;
const ENTRY = entryIdOf(entry);
const OFFER: SentOffer = {
  entryId: ENTRY,
  board: entry.board,
  version: '2.0.0',
  file: entry.file,
  forced: false,
  urlKind: 'proxy',
};
const SETTINGS = { maxFailedAttempts: 3, minFailedDevices: 3, failureRate: 0.2, windows: WINDOWS };

function empty(overrides: Partial<SyncSnapshot> = {}): SyncSnapshot {
  return {
    storeNow: T0,
    attempts: { kind: 'open', open: [] },
    records: [],
    rollouts: [],
    events: [],
    replicas: [],
    ...overrides,
  };
}

function decide(view: ReplicaView, id: string, at: number, version = '1.9.0') {
  return view.decide({ device: id, version, at }, (gate) =>
    decideOffer({ catalog, device: makeDevice({ id, version }), origin, publicUrl: 'auto', gate }),
  );
}

test('before the first sync no catalog offer is made', () => {
  const view = new ReplicaView('r1', SETTINGS);
  const { decision } = decide(view, 'aa:00:00:00:00:01', T0);
  assert.equal(decision.kind === 'none' && decision.reason, 'fleet-not-synced');
  view.applySnapshot(empty(), T0, T0);
  view.setBlackout(null);
  assert.equal(decide(view, 'aa:00:00:00:00:01', T0).decision.kind, 'offer');
});

test('the check that reveals the third failure is answered without the entry', () => {
  const id = 'aa:00:00:00:00:02';
  const view = new ReplicaView('r1', SETTINGS);
  const open = attempt({
    id: `${id}@${T0}`,
    device: id,
    entryId: ENTRY,
    file: entry.file,
    state: 'downloaded',
    downloadStartedAt: T0 + 1000,
    downloadCompletedAt: T0 + 50_000,
    lastEventAt: T0 + 50_000,
  });
  view.applySnapshot(
    empty({
      attempts: { kind: 'open', open: [open] },
      records: [
        {
          device: id,
          entryId: ENTRY,
          board: entry.board,
          version: '2.0.0',
          attempts: 3,
          failures: 2,
          lastReason: 'not-downloaded',
          blockedSince: null,
          windowStart: 0,
          windowOutcome: 'failed',
        },
      ],
    }),
    T0,
    T0,
  );
  view.setBlackout(null);
  const { decision, candidate } = decide(view, id, T0 + 60_000);
  // Judged before the ending, the entry was still offered: the failure counts (not withdrawn).
  assert.equal(candidate, ENTRY);
  assert.deepEqual(
    decision.kind === 'none' && [decision.reason, decision.detail.split(': ').slice(1).join(': ')],
    ['blocked', 'blocked: failed 3 times (rejected-or-rolled-back)'],
  );
  // Another device is not blocked by it.
  assert.equal(decide(view, 'aa:00:00:00:00:03', T0 + 60_000).decision.kind, 'offer');
});

test('the next device after a halting failure is not offered the halted entry', () => {
  const view = new ReplicaView('r1', SETTINGS);
  const rollout: Rollout = {
    entryId: ENTRY,
    board: entry.board,
    version: '2.0.0',
    windowStart: 0,
    failedDevices: 2,
    installedDevices: 3,
    halt: null,
  };
  view.applySnapshot(empty({ rollouts: [rollout] }), T0, T0);
  view.setBlackout(null);
  const id = 'aa:00:00:00:00:04';
  // Offered, downloaded, rejected: F goes to 3 of 6 (0.5 >= 0.2).
  view.addOwn(checkEvent(T0, '1.9.0', { device: id, offer: OFFER, candidate: ENTRY }), T0);
  assert.equal(decide(view, 'aa:00:00:00:00:05', T0 + 10).decision.kind, 'offer');
  view.addOwn(downloadEvent(T0 + 1000, 'started', { device: id, file: entry.file }), T0 + 1000);
  view.addOwn(downloadEvent(T0 + 40_000, 'completed', { device: id, file: entry.file }), T0 + 40_000);
  view.addOwn(checkEvent(T0 + 60_000, '1.9.0', { device: id, candidate: ENTRY }), T0 + 60_000);
  const next = decide(view, 'aa:00:00:00:00:05', T0 + 60_100).decision;
  assert.equal(next.kind === 'none' && next.reason, 'halted');
});

test('own events written to the store and folded by some replica leave the view at the next snapshot', () => {
  const view = new ReplicaView('r1', SETTINGS);
  view.applySnapshot(empty(), T0, T0);
  view.setBlackout(null);
  const id = 'aa:00:00:00:00:06';
  const offered = checkEvent(T0, '1.9.0', { device: id, offer: OFFER, candidate: ENTRY });
  view.addOwn(offered, T0);
  assert.equal(view.openAttempt(id, T0 + 1)?.state, 'offered');
  view.markStored([offered.id], T0 + 100);
  // A snapshot read before the write still counts the own event.
  view.applySnapshot(empty(), T0 + 50, T0 + 200);
  assert.equal(view.openAttempt(id, T0 + 201)?.state, 'offered');
  // Read after the write, not listed: folded into the store's attempts (here: the snapshot's open one).
  const folded = attempt({ id: `${id}@${T0}`, device: id, entryId: ENTRY });
  view.applySnapshot(empty({ attempts: { kind: 'open', open: [folded] } }), T0 + 300, T0 + 400);
  assert.deepEqual(view.openAttempt(id, T0 + 401), folded);
  assert.deepEqual([...view.dueDevices(T0 + 10_000, T0 + 10_000)], []);
});

test('an incremental sync applies the attempts that changed: opened, ended, and their deadlines', () => {
  const view = new ReplicaView('r1', SETTINGS);
  const a = 'aa:00:00:00:00:0a';
  const b = 'aa:00:00:00:00:0b';
  const first = attempt({ id: `${a}@1`, device: a, entryId: ENTRY, file: entry.file });
  view.applySnapshot(empty({ attempts: { kind: 'open', open: [first] } }), T0, T0);
  view.setBlackout(null);
  assert.equal(view.openAttempt(a, T0 + 1)?.id, first.id);

  // The store ended a's attempt and opened one for b; an ended attempt that is not the view's open one
  // (an older attempt of b) changes nothing.
  const ended = { ...first, state: 'failed' as const, reason: 'not-downloaded' as const, endedAt: T0 + 10 };
  const opened = attempt({ id: `${b}@2`, device: b, entryId: ENTRY, file: entry.file, lastEventAt: T0 + 20 });
  const olderOfB = { ...opened, id: `${b}@0`, endedAt: T0 + 5, state: 'superseded' as const };
  view.applySnapshot(
    empty({
      storeNow: T0 + 100,
      attempts: { kind: 'changed', since: T0, changed: [olderOfB, ended, opened] },
    }),
    T0 + 100,
    T0 + 100,
  );
  assert.equal(view.openAttempt(a, T0 + 101), null);
  assert.equal(view.openAttempt(b, T0 + 101)?.id, opened.id);

  // b's attempt times out: its deadline, merged in, makes b due then and not before.
  const timeout = WINDOWS.attemptTimeoutMs;
  assert.deepEqual([...view.dueDevices(T0 + 20 + timeout - 1, T0 + 20 + timeout - 1)], [a]);
  assert.deepEqual([...view.dueDevices(T0 + 20 + timeout, T0 + 20 + timeout)], [b]);
});

test("settles wait for the other live replicas' writes, not for gone ones or for this one", () => {
  const view = new ReplicaView('r1', SETTINGS);
  assert.equal(view.othersWrittenTo(T0), Infinity);
  view.applySnapshot(
    empty({
      replicas: [
        { id: 'r1', writtenTo: T0 - 5000, seenAt: T0 },
        { id: 'r2', writtenTo: T0 - 300, seenAt: T0 - 100 },
        { id: 'r3', writtenTo: T0 - 200, seenAt: T0 - 50 },
        { id: 'gone', writtenTo: T0 - 90_000, seenAt: T0 - 60_000 },
      ],
    }),
    T0,
    T0,
  );
  assert.equal(view.othersWrittenTo(T0 - 30_000), T0 - 300);
  assert.equal(view.othersWrittenTo(T0 - 70_000), T0 - 90_000);
});
