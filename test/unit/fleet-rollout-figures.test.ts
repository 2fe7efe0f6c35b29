/** Rollout figures per entry and the gauges' labels (docs/fleet.md "Interfaces", metrics). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryIdOf } from '../../src/fleet/entry-id.js';
import { deviceGauge, EligibilityTally, gaugeLabels } from '../../src/fleet/rollout-figures.js';
import type { DeviceTargetFacts } from '../../src/fleet/store/types.js';
import { makeCatalog } from '../helpers/catalog-entry.js';
import { T0 } from '../helpers/fleet-attempt.js';

function known(id: string, overrides: Partial<DeviceTargetFacts> = {}): DeviceTargetFacts {
  return {
    id,
    board: 'bread-compact-wifi',
    chip: 'esp32s3',
    version: '1.9.0',
    otaLabel: 'ota_0',
    slotOta0: 4_063_232,
    slotOta1: 4_063_232,
    ...overrides,
  };
}

test('eligible known devices: the targeting matches whatever they run; already on the version among them', () => {
  const catalog = makeCatalog([
    { version: '2.0.0', exclude: ['aa:00:00:00:00:03'] },
    { version: '2.1.0', minVersion: '2.0.0', board: 'bread-*' },
  ]);
  const tally = new EligibilityTally(catalog);
  tally.add([
    known('aa:00:00:00:00:01'),
    known('aa:00:00:00:00:02', { version: '2.0.0' }),
    known('aa:00:00:00:00:03'),
    known('aa:00:00:00:00:04', { chip: 'esp32c3' }),
    known('aa:00:00:00:00:05', { board: 'other-board' }),
    known('aa:00:00:00:00:06', { version: '2.1.0', slotOta1: 1_000_000 }),
  ]);
  const [first, second] = tally.figures(
    [
      {
        entryId: entryIdOf(catalog.entries[0]!),
        open: { offered: 2, downloaded: 1 },
        installed: 4,
        failed: { 'not-downloaded': 2, silent: 1 },
        silent: 1,
      },
    ],
    [
      {
        entryId: entryIdOf(catalog.entries[0]!),
        board: 'bread-compact-wifi',
        version: '2.0.0',
        windowStart: T0,
        failedDevices: 3,
        installedDevices: 4,
        halt: { at: T0 + 5, by: 'fleet', reason: '3 of 7 devices failed', failed: 3, installed: 4 },
      },
    ],
  );
  assert.deepEqual(first, {
    entry_id: entryIdOf(catalog.entries[0]!),
    board: 'bread-compact-wifi',
    version: '2.0.0',
    file: 'bread-compact-wifi-2.0.0.bin',
    rollout: 100,
    eligible: 2,
    on_version: 1,
    offered: 2,
    downloading: 0,
    downloaded: 1,
    installed: 4,
    failed: { 'not-downloaded': 2, silent: 1, total: 3 },
    silent: 1,
    window_start: T0,
    halted: { at: T0 + 5, by: 'fleet', reason: '3 of 7 devices failed', failed: 3, installed: 4 },
  });
  // min_version 2.0.0: only 02 (2.0.0); 06 runs 2.1.0 from ota_0 and writes ota_1, too small.
  assert.equal(second?.eligible, 1);
  assert.equal(second?.on_version, 0);
  assert.deepEqual(second?.failed, { total: 0 });
  assert.equal(second?.halted, null);
});

test('gauge labels: the first matching entry board as written, the version only when an entry has it', () => {
  const catalog = makeCatalog([
    { board: 'bread-*', version: '2.0.0' },
    { board: 'bread-compact-wifi', version: '2.1.0' },
  ]);
  assert.deepEqual(gaugeLabels(catalog, 'bread-compact-wifi', '2.0.0'), {
    board: 'bread-*',
    version: '2.0.0',
  });
  assert.deepEqual(gaugeLabels(catalog, 'bread-compact-wifi', '2.1.0'), {
    board: 'bread-*',
    version: 'other',
  });
  assert.deepEqual(gaugeLabels(catalog, 'esp-box', '2.0.0'), { board: 'other', version: 'other' });
  assert.deepEqual(gaugeLabels(null, 'bread-compact-wifi', '2.0.0'), { board: 'other', version: 'other' });
  assert.deepEqual(
    deviceGauge(catalog, [
      { board: 'bread-compact-wifi', version: '2.0.0', devices: 5 },
      { board: 'bread-lcd', version: '2.0.0', devices: 2 },
      { board: 'esp-box', version: '1.0.0', devices: 3 },
      { board: null, version: null, devices: 1 },
    ]),
    [
      { board: 'bread-*', version: '2.0.0', devices: 7 },
      { board: 'other', version: 'other', devices: 4 },
    ],
  );
});
