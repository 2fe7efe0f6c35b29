/**
 * PostgreSQL behind a relay the test cuts (the shared server is never stopped): the service reports the
 * store `degraded`, observations wait merged and are written when it returns, a black-holed connection is
 * a failure within seconds, and nothing the hot path calls ever waits for the store (docs/fleet.md "Store").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FleetService, type FleetNotice } from '../../src/fleet/service.js';
import { postgresStore } from '../../src/fleet/store/postgres.js';
import { makeCatalog, makeDevice } from '../helpers/catalog-entry.js';
import { checkThrough, fleetSettings, waitFor } from '../helpers/fleet-service.js';
import { behindRelay, postgresForTest } from '../helpers/fleet-stores.js';

test('a store that goes away and comes back', async (t) => {
  const pg = await postgresForTest(t);
  if (pg === null) return;
  // Teardown in reverse: the service, then the relay, then the database.
  const { db, cleanups } = pg;
  const { relay, url } = await behindRelay(db);
  cleanups.push(() => relay.close());
  const settings = fleetSettings({
    store: { kind: 'postgres', url: url },
    flushMs: 100,
    syncMs: 200,
  });
  const notices: FleetNotice[] = [];
  const store = postgresStore(url, { connectMs: 1000, queryMs: 1500 });
  const fleet = new FleetService({
    settings,
    requireToken: false,
    store,
    notify: (n) => notices.push(n),
    replica: 'r',
  });
  await fleet.start();
  cleanups.push(() => fleet.close());
  assert.equal(fleet.health(), 'ok');
  const catalog = makeCatalog([{ version: '2.0.0' }]);

  /** Runs `n` checks of `devices` devices and returns the slowest call (ms). */
  const checks = (n: number, devices: number): number => {
    let slowest = 0;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      checkThrough(
        fleet,
        catalog,
        makeDevice({ id: `aa:00:00:00:00:${String(i % devices).padStart(2, '0')}`, version: '2.0.0' }),
      );
      slowest = Math.max(slowest, performance.now() - t0);
    }
    return slowest;
  };

  // Refused: degraded at the next flush or sync; checks are answered from memory meanwhile.
  relay.set('refuse');
  await waitFor('degraded', () => fleet.health() === 'degraded', 3000);
  assert.ok(checks(300, 30) < 1000);
  // 300 checks of 30 devices wait as 30 merged "seen" rows and 300 events.
  assert.equal(fleet.pending().waiting, 30 + 300);
  relay.set('pass');
  await waitFor(
    'written after the store returned',
    () => fleet.pending().waiting === 0 && fleet.health() === 'ok',
    5000,
  );
  const listed = await fleet.listDevices({ q: 'aa:00:00:00:00', limit: 100 });
  assert.equal(listed.total, 30);
  assert.equal(
    listed.items.reduce((sum, d) => sum + d.checks, 0),
    300,
  );

  // Black-holed: connections stay open, nothing comes back. A timeout (seconds) makes it a failure.
  const failuresBefore = notices.filter((n) => n.kind === 'flush-failed' || n.kind === 'sync-failed').length;
  relay.set('blackhole');
  const cut = Date.now();
  assert.ok(checks(100, 10) < 1000);
  await waitFor(
    'a black-holed store detected',
    () =>
      notices.filter((n) => n.kind === 'flush-failed' || n.kind === 'sync-failed').length > failuresBefore,
    6000,
  );
  assert.ok(Date.now() - cut < 5000, `detected after ${Date.now() - cut} ms`);
  assert.equal(fleet.health(), 'degraded');
  // Hot-path calls are synchronous: they return plain values, never promises.
  const plan = fleet.beginCheck({ device: makeDevice(), at: Date.now(), track: true });
  const gated = plan.decide(() => ({ kind: 'none', reason: 'no-catalog', detail: '' }));
  assert.equal(gated instanceof Promise, false);
  assert.equal(fleet.token('aa:bb:cc:dd:ee:01', 'x.bin')?.length, 29);
  relay.set('pass');
  await waitFor(
    'recovered from the black hole',
    () => fleet.pending().waiting === 0 && fleet.health() === 'ok',
    10_000,
  );
});

test('before the first sync no catalog offer is made, and /readyz would say degraded', async () => {
  const settings = fleetSettings({
    store: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' },
  });
  const store = postgresStore('postgres://postgres@127.0.0.1:1/none', { connectMs: 500, queryMs: 500 });
  const fleet = new FleetService({ settings, requireToken: false, store, replica: 'r' });
  await fleet.start();
  const decision = checkThrough(fleet, makeCatalog([{ version: '2.0.0' }]), makeDevice());
  assert.equal(decision.kind === 'none' && decision.reason, 'fleet-not-synced');
  assert.equal(fleet.health(), 'degraded');
  await fleet.close();
});
