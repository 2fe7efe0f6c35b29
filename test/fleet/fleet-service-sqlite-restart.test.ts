/**
 * One update followed through the service on a SQLite file, then a restart: the device, its attempts, the
 * token secret and the blocks are all still there (docs/fleet.md "Store").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetService, type FleetNotice } from '../../src/fleet/service.js';
import { sqliteStore } from '../../src/fleet/store/sqlite.js';
import { makeCatalog, makeDevice } from '../helpers/catalog-entry.js';
import { checkThrough, endedAttempts, fleetSettings, waitFor } from '../helpers/fleet-service.js';

test('an installed update and a blocked device survive a restart on SQLite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'fleet.db');
  const catalog = makeCatalog([{ version: '2.0.0' }]);
  const settings = fleetSettings({ store: { kind: 'sqlite', path } });
  const notices: FleetNotice[] = [];
  const fleet = new FleetService({
    settings,
    requireToken: false,
    store: sqliteStore(path),
    notify: (n) => notices.push(n),
    replica: 'one',
  });
  await fleet.start();

  // Device 01 updates: offered with a token URL, downloads, reports 2.0.0 answered 200.
  const device = makeDevice({ id: 'AA:BB:CC:DD:EE:01', version: '1.9.0' });
  const offer = checkThrough(fleet, catalog, device);
  assert.equal(offer.kind, 'offer');
  const url = offer.kind === 'offer' ? offer.url : '';
  const match = /\/firmware\/([^/]+)\/bread-compact-wifi-2\.0\.0\.bin$/.exec(url);
  assert.ok(match !== null, url);
  const token = match[1] ?? '';
  const owner = fleet.verifyToken(token, 'bread-compact-wifi-2.0.0.bin');
  assert.equal(owner, 'aa:bb:cc:dd:ee:01');
  fleet.observeDownload({
    device: owner ?? '',
    file: 'bread-compact-wifi-2.0.0.bin',
    phase: 'started',
    bytes: 0,
    at: Date.now(),
  });
  fleet.observeDownload({
    device: owner ?? '',
    file: 'bread-compact-wifi-2.0.0.bin',
    phase: 'completed',
    bytes: 2_000_000,
    at: Date.now() + 5,
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(
    checkThrough(fleet, catalog, makeDevice({ id: 'aa:bb:cc:dd:ee:01', version: '2.0.0' })).kind,
    'none',
  );

  // Device 02 fails three times: the third check is answered without the entry.
  const failing = makeDevice({ id: 'aa:bb:cc:dd:ee:02', version: '1.9.0' });
  const reasons: string[] = [];
  for (let i = 0; i < 4; i++) {
    const decision = checkThrough(fleet, catalog, failing, { at: Date.now() + i });
    reasons.push(decision.kind === 'offer' ? 'offer' : decision.reason);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.deepEqual(reasons, ['offer', 'offer', 'offer', 'blocked']);

  await waitFor('the endings settled', () => endedAttempts(notices).length === 4);
  assert.deepEqual(
    endedAttempts(notices)
      .map((a) => [a.device, a.state, a.reason])
      .sort(),
    [
      ['aa:bb:cc:dd:ee:01', 'installed', null],
      ['aa:bb:cc:dd:ee:02', 'failed', 'not-downloaded'],
      ['aa:bb:cc:dd:ee:02', 'failed', 'not-downloaded'],
      ['aa:bb:cc:dd:ee:02', 'failed', 'not-downloaded'],
    ],
  );
  assert.deepEqual(
    notices
      .filter((n) => n.kind === 'device-blocked')
      .map((n) => n.kind === 'device-blocked' && [n.device, n.failures, n.reason]),
    [['aa:bb:cc:dd:ee:02', 3, 'not-downloaded']],
  );
  assert.equal(fleet.health(), 'ok');
  await fleet.close();

  // Restart: a new service on the same file.
  const again = new FleetService({ settings, requireToken: false, store: sqliteStore(path), replica: 'two' });
  await again.start();
  t.after(() => again.close());
  const shown = await again.showDevice('aabbccddee01');
  assert.deepEqual(
    shown?.attempts.map((a) => [a.state, a.from_version, a.to_version, a.offered_by, a.download_bytes]),
    [['installed', '1.9.0', '2.0.0', 'one', 2_000_000]],
  );
  assert.equal(shown?.device.version, '2.0.0');
  assert.equal(shown?.device.checks, 2);
  assert.equal(again.token('aa:bb:cc:dd:ee:01', 'bread-compact-wifi-2.0.0.bin'), token);
  const blocked = await again.listDevices({ blocked: true });
  assert.deepEqual(
    blocked.items.map((d) => [d.id, d.blocked.map((b) => [b.version, b.failures, b.reason])]),
    [['aa:bb:cc:dd:ee:02', [['2.0.0', 3, 'not-downloaded']]]],
  );
  // Still blocked after the restart; unblocking (audited) offers the entry again.
  const decision = checkThrough(again, catalog, failing);
  assert.equal(decision.kind === 'none' && decision.reason, 'blocked');
  await again.unblock('aa-bb-cc-dd-ee-02', null, { means: 'cli', address: null });
  await again.sync();
  assert.equal(checkThrough(again, catalog, failing).kind, 'offer');
  const audit = await again.auditLog();
  assert.deepEqual(
    audit.map((a) => [a.action, a.target, a.means]),
    [['device.unblock', 'aa:bb:cc:dd:ee:02', 'cli']],
  );
});
