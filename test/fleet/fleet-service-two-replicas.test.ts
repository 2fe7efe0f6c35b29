/**
 * Two replicas on one PostgreSQL (docs/fleet.md "Replicas"): an event seen on one and its attempt opened
 * on the other end in the right state, each ending is claimed once, and a halt made on one is obeyed by
 * the other within sync_ms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryIdOf } from '../../src/fleet/entry-id.js';
import { FleetService, type FleetNotice } from '../../src/fleet/service.js';
import { postgresStore } from '../../src/fleet/store/postgres.js';
import { makeCatalog, makeDevice } from '../helpers/catalog-entry.js';
import { checkThrough, endedAttempts, fleetSettings, waitFor } from '../helpers/fleet-service.js';
import { postgresForTest } from '../helpers/fleet-stores.js';

test('two replicas share one PostgreSQL store', async (t) => {
  const pg = await postgresForTest(t);
  if (pg === null) return;
  const { db, cleanups } = pg;
  const settings = fleetSettings({ store: { kind: 'postgres', url: db.url }, flushMs: 100, syncMs: 300 });
  const catalog = makeCatalog([{ version: '2.0.0' }]);
  const entry = catalog.entries[0]!;
  const notices: Record<'a' | 'b', FleetNotice[]> = { a: [], b: [] };
  const a = new FleetService({
    settings,
    requireToken: false,
    store: postgresStore(db.url),
    notify: (n) => notices.a.push(n),
    replica: 'a',
  });
  const b = new FleetService({
    settings,
    requireToken: false,
    store: postgresStore(db.url),
    notify: (n) => notices.b.push(n),
    replica: 'b',
  });
  await Promise.all([a.start(), b.start()]);
  cleanups.push(() => Promise.all([a.close(), b.close()]));

  // Offered by A; the download served by B; the device re-checks 0.3 s later via B, which has not synced
  // A's offer yet: the attempt still ends as a rejected image, not as withdrawn or not-downloaded.
  const id = 'aa:bb:cc:00:00:01';
  const offer = checkThrough(a, catalog, makeDevice({ id, version: '1.9.0' }));
  assert.equal(offer.kind, 'offer');
  const token = b.token(id, entry.file);
  assert.ok(
    token !== null && offer.kind === 'offer' && offer.url.includes(`/firmware/${token}/`),
    'both replicas mint the same token',
  );
  const start = Date.now();
  b.observeDownload({ device: id, file: entry.file, phase: 'started', bytes: 0, at: start });
  b.observeDownload({ device: id, file: entry.file, phase: 'completed', bytes: 2_000_000, at: start + 20 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  checkThrough(b, catalog, makeDevice({ id, version: '1.9.0' }));

  await waitFor('the ending claimed', () => endedAttempts([...notices.a, ...notices.b]).length >= 1, 8000);
  // Give any second claimer time to (wrongly) claim it too.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const ended = endedAttempts([...notices.a, ...notices.b]);
  assert.equal(ended.length, 1, 'claimed exactly once');
  assert.equal(ended[0]?.state, 'failed');
  assert.equal(ended[0]?.reason, 'rejected-or-rolled-back');
  const shown = await a.showDevice(id);
  assert.deepEqual(
    shown?.attempts.map((x) => [
      x.state,
      x.reason,
      x.offered_by,
      x.download_by,
      x.ended_by,
      x.download_bytes,
    ]),
    [
      ['offered', null, 'b', null, null, 0],
      ['failed', 'rejected-or-rolled-back', 'a', 'b', 'b', 2_000_000],
    ],
  );

  // A halt made on A is obeyed by B within sync_ms.
  const other = 'aa:bb:cc:00:00:02';
  assert.equal(checkThrough(b, catalog, makeDevice({ id: other, version: '1.9.0' })).kind, 'offer');
  const halted = await a.halt(
    { entryId: entryIdOf(entry), board: entry.board, version: entry.version },
    { means: 'api', address: '127.0.0.1' },
  );
  assert.equal(halted, true);
  const haltedAt = Date.now();
  await waitFor(
    'B to obey the halt',
    () => {
      const decision = checkThrough(b, catalog, makeDevice({ id: 'aa:bb:cc:00:00:03', version: '1.9.0' }));
      return decision.kind === 'none' && decision.reason === 'halted';
    },
    settings.syncMs + 1000,
  );
  assert.ok(Date.now() - haltedAt <= settings.syncMs + 500, `obeyed after ${Date.now() - haltedAt} ms`);
  const rollouts = await b.rollouts(catalog);
  assert.equal(rollouts[0]?.halted?.by, 'operator');
  assert.deepEqual(
    (await b.auditLog()).map((e) => [e.action, e.means, e.address]),
    [['rollout.halt', 'api', '127.0.0.1']],
  );
});
