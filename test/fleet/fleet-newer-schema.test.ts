/**
 * A replica that finds a newer schema at a later sync makes no offers and says so at every sync, without
 * exiting (docs/fleet.md "Store").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetService, type FleetNotice } from '../../src/fleet/service.js';
import { KNOWN_VERSION, MIGRATIONS } from '../../src/fleet/store/migrations.js';
import { sqliteStore } from '../../src/fleet/store/sqlite.js';
import { makeCatalog, makeDevice } from '../helpers/catalog-entry.js';
import { checkThrough, fleetSettings, waitFor } from '../helpers/fleet-service.js';

test('a newer schema appearing under a running replica stops its offers, said at every sync', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-schema-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'fleet.db');
  const notices: FleetNotice[] = [];
  const fleet = new FleetService({
    settings: fleetSettings({ store: { kind: 'sqlite', path } }),
    requireToken: false,
    store: sqliteStore(path),
    notify: (n) => notices.push(n),
    replica: 'old',
  });
  await fleet.start();
  t.after(() => fleet.close());
  const catalog = makeCatalog([{ version: '2.0.0' }]);
  assert.equal(checkThrough(fleet, catalog, makeDevice()).kind, 'offer');

  // A newer release migrates the file (as a CLI of a newer version would).
  const newer = sqliteStore(path, {
    migrations: [
      ...MIGRATIONS,
      {
        version: KNOWN_VERSION + 1,
        name: 'next',
        up: async (db) =>
          void (await db.schema.createTable('next_release').addColumn('x', 'integer').execute()),
      },
    ],
  });
  assert.deepEqual(await newer.migrate(), { kind: 'current', version: KNOWN_VERSION + 1 });
  await newer.close();

  await waitFor(
    'two syncs saying so',
    () => notices.filter((n) => n.kind === 'schema-newer').length >= 2,
    3000,
  );
  assert.deepEqual(
    notices.find((n) => n.kind === 'schema-newer'),
    {
      kind: 'schema-newer',
      found: KNOWN_VERSION + 1,
      known: KNOWN_VERSION,
    },
  );
  const decision = checkThrough(fleet, catalog, makeDevice({ id: 'aa:bb:cc:dd:ee:09' }));
  assert.equal(decision.kind === 'none' && decision.reason, 'fleet-not-synced');
  assert.match(
    decision.kind === 'none' ? decision.detail : '',
    new RegExp(`schema is version ${KNOWN_VERSION + 1}, this proxy knows ${KNOWN_VERSION}\\b`),
  );
  assert.equal(fleet.health(), 'degraded');
});
