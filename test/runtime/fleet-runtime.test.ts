/**
 * The fleet in the running proxy: `fleet.enabled` starts the service on the configured store and the proxy
 * closes it on shutdown; off, there is no fleet at all (docs/fleet.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../helpers/config-issues.js';
import { describeStore } from '../../src/runtime/fleet-runtime.js';
import { startHarness } from '../helpers/proxy-harness.js';

test('fleet on with a SQLite store: the service runs, says so, and the file is written by shutdown', async () => {
  const harness = await startHarness({ yaml: 'fleet:\n  enabled: true\n  store: data/fleet.db\n' });
  try {
    const fleet = harness.proxy.app.runtime.fleet;
    assert.ok(fleet !== null);
    assert.equal(fleet.health(), 'ok');
    const ready = harness.logs.find((line) => line.msg === 'fleet store ready');
    assert.equal(ready?.store, join(harness.dir, 'data/fleet.db'));
  } finally {
    await harness.proxy.shutdown();
    assert.equal(existsSync(join(harness.dir, 'data/fleet.db')), true);
    await harness.close();
  }
});

test('fleet off: no service', async () => {
  const harness = await startHarness();
  try {
    assert.equal(harness.proxy.app.runtime.fleet, null);
  } finally {
    await harness.close();
  }
});

test('a PostgreSQL store is described without its password', () => {
  const config = parse('fleet:\n  store: postgres://fleet:s3cret@db.internal:5432/fleet\n');
  assert.equal(describeStore(config), 'postgres://fleet:***@db.internal:5432/fleet');
  assert.equal(describeStore(parse('')), 'memory');
});
