/**
 * A replica whose writes lag (its connection to PostgreSQL down while the other replica's is fine) does
 * not get its devices' downloads folded after the checks that followed them (docs/fleet.md "Replicas"):
 * settles go no further than every live replica has written. Here A serves a device's download while A
 * cannot write; the device then re-checks through B, still on the old version. Folded without A's
 * download, that check would end the attempt as a counted `not-downloaded`; once A writes again it ends
 * as what it was: an image the device rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FleetService, type FleetNotice } from '../../src/fleet/service.js';
import { postgresStore } from '../../src/fleet/store/postgres.js';
import type { FleetStore } from '../../src/fleet/store/types.js';
import { makeCatalog, makeDevice } from '../helpers/catalog-entry.js';
import { checkThrough, endedAttempts, fleetSettings, waitFor } from '../helpers/fleet-service.js';
import { postgresForTest } from '../helpers/fleet-stores.js';

/** The store, with its writes failing while `cut` is set (as when the network to it is down). */
function cuttable(store: FleetStore): { store: FleetStore; cut: (on: boolean) => void } {
  let cut = false;
  const refuse = (): Promise<never> => Promise.reject(new Error('connection to the store lost (test)'));
  return {
    store: {
      ...store,
      write: (batch) => (cut ? refuse() : store.write(batch)),
      markWritten: (replica, to) => (cut ? refuse() : store.markWritten(replica, to)),
      settle: (devices, cutoff, fold) => (cut ? refuse() : store.settle(devices, cutoff, fold)),
    },
    cut: (on) => (cut = on),
  };
}

test('a download served by a replica that cannot write is folded before the check that followed it', async (t) => {
  const pg = await postgresForTest(t);
  if (pg === null) return;
  const { db, cleanups } = pg;
  const settings = fleetSettings({ store: { kind: 'postgres', url: db.url }, flushMs: 100, syncMs: 300 });
  const catalog = makeCatalog([{ version: '2.0.0' }]);
  const entry = catalog.entries[0]!;
  const notices: FleetNotice[] = [];
  const storeA = cuttable(postgresStore(db.url));
  const a = new FleetService({
    settings,
    requireToken: false,
    store: storeA.store,
    notify: (n) => notices.push(n),
    replica: 'a',
  });
  const b = new FleetService({
    settings,
    requireToken: false,
    store: postgresStore(db.url),
    notify: (n) => notices.push(n),
    replica: 'b',
  });
  await Promise.all([a.start(), b.start()]);
  cleanups.push(() => Promise.all([a.close(), b.close()]));

  const id = 'aa:bb:cc:00:00:21';
  assert.equal(checkThrough(a, catalog, makeDevice({ id, version: '1.9.0' })).kind, 'offer');
  await a.flush();
  await b.sync();
  await a.sync();

  // A loses the store, then serves the download; the device re-checks through B on the old version.
  storeA.cut(true);
  const at = Date.now();
  a.observeDownload({ device: id, file: entry.file, phase: 'started', bytes: 0, at });
  a.observeDownload({ device: id, file: entry.file, phase: 'completed', bytes: 2_000_000, at: at + 20 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  checkThrough(b, catalog, makeDevice({ id, version: '1.9.0' }));

  // Many of B's settle passes later (flush 100 ms, sync 300 ms), nothing has ended.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.deepEqual(endedAttempts(notices), [], 'no ending while A cannot write');

  storeA.cut(false);
  await waitFor('the ending', () => endedAttempts(notices).length >= 1, 8000);
  const ended = endedAttempts(notices);
  assert.equal(ended.length, 1);
  assert.equal(ended[0]?.state, 'failed');
  assert.equal(ended[0]?.reason, 'rejected-or-rolled-back');
  assert.equal(ended[0]?.downloadBy, 'a');
});
