/** The write-behind queue (docs/fleet.md "Store"): merged per device, bounded, oldest "seen" dropped first, events last. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingQueue } from '../../src/fleet/pending-queue.js';
import type { SeenUpdate } from '../../src/fleet/observations.js';
import { checkEvent, T0 } from '../helpers/fleet-attempt.js';

function seen(device: string, at: number): SeenUpdate {
  return { device, firstAt: at, lastAt: at, checks: 1, check: null, voice: { online: true, at } };
}

test('"last seen" collapses to one row per device', () => {
  const queue = new PendingQueue(100);
  for (let i = 0; i < 50; i++) queue.addSeen(seen('aa:00:00:00:00:01', T0 + i));
  assert.equal(queue.size, 1);
  const batch = queue.take(10);
  assert.equal(batch.seen.length, 1);
  assert.equal(batch.seen[0]?.checks, 50);
  assert.equal(batch.seen[0]?.firstAt, T0);
  assert.equal(batch.seen[0]?.lastAt, T0 + 49);
});

test('beyond max_pending the oldest "seen" updates go first, attempt events last, and drops are counted', () => {
  const queue = new PendingQueue(4);
  const e1 = checkEvent(T0, '1.0.0');
  const e2 = checkEvent(T0 + 1, '1.0.0');
  queue.addEvent(e1);
  queue.addSeen(seen('aa:00:00:00:00:01', T0));
  queue.addSeen(seen('aa:00:00:00:00:02', T0 + 1));
  queue.addEvent(e2);
  let dropped = queue.addSeen(seen('aa:00:00:00:00:03', T0 + 2));
  assert.equal(dropped.seen, 1);
  assert.deepEqual(dropped.events, []);
  // Queue: e1, s2, e2, s3. Every further event pushes out a "seen" row while there is one.
  dropped = queue.addEvent(checkEvent(T0 + 3, '1.0.0'));
  assert.equal(dropped.seen, 1);
  dropped = queue.addEvent(checkEvent(T0 + 4, '1.0.0'));
  assert.equal(dropped.seen, 1);
  assert.deepEqual(queue.dropped, { seen: 3, events: 0 });
  // Only events left: the oldest event goes.
  dropped = queue.addEvent(checkEvent(T0 + 5, '1.0.0'));
  assert.deepEqual(
    dropped.events.map((e) => e.id),
    [e1.id],
  );
  dropped = queue.addEvent(checkEvent(T0 + 6, '1.0.0'));
  assert.deepEqual(
    dropped.events.map((e) => e.id),
    [e2.id],
  );
  assert.deepEqual(queue.dropped, { seen: 3, events: 2 });
  assert.equal(queue.size, 4);
});

test('a failed write goes back under newer updates, merged', () => {
  const queue = new PendingQueue(100);
  queue.addSeen(seen('aa:00:00:00:00:01', T0));
  queue.addEvent(checkEvent(T0, '1.0.0'));
  const batch = queue.take(10);
  assert.equal(queue.size, 0);
  queue.addSeen(seen('aa:00:00:00:00:01', T0 + 10));
  const newer = checkEvent(T0 + 10, '1.0.0');
  queue.addEvent(newer);
  queue.restore(batch);
  const again = queue.take(10);
  assert.equal(again.seen.length, 1);
  assert.equal(again.seen[0]?.checks, 2);
  assert.equal(again.seen[0]?.lastAt, T0 + 10);
  assert.equal(again.seen[0]?.voice?.at, T0 + 10);
  assert.deepEqual(
    again.events.map((e) => e.at),
    [T0, T0 + 10],
  );
});
