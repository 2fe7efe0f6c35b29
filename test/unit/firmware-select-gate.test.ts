/**
 * decideOffer with the fleet's gate (docs/fleet.md "Protections"): a withheld non-pin is not eligible and
 * the choice falls to the next entry; a withheld pin offers nothing; tokens make the URL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Origin } from '../../src/config/types.js';
import { decideOffer } from '../../src/firmware/select.js';
import type { CatalogEntry, FirmwareDecision, OfferGate, Withholding } from '../../src/firmware/types.js';
import { makeCatalog, makeDevice, type EntryOptions } from '../helpers/catalog-entry.js';

const origin: Origin = { scheme: 'http', host: '192.168.1.10', port: 8003 };

function withholding(held: Record<string, Withholding>): OfferGate {
  return { withheld: (entry: CatalogEntry) => held[entry.version] ?? null };
}

const BLOCKED: Withholding = {
  reason: 'blocked',
  detail: 'blocked: failed 3 times (rejected-or-rolled-back)',
};
const HALTED: Withholding = { reason: 'halted', detail: 'halted: 3 of 10 devices failed' };

function decide(
  gate: OfferGate | undefined,
  entries: readonly EntryOptions[] = [{ version: '2.0.0' }, { version: '2.1.0' }],
): FirmwareDecision {
  return decideOffer({
    catalog: makeCatalog(entries),
    device: makeDevice(),
    origin,
    publicUrl: 'auto',
    gate,
  });
}

test('a blocked non-pin is not eligible: the next entry is offered', () => {
  const decision = decide(withholding({ '2.1.0': BLOCKED }));
  assert.equal(decision.kind, 'offer');
  assert.equal(decision.kind === 'offer' && decision.version, '2.0.0');
});

test('every eligible entry withheld: the closest one explains why, with its detail', () => {
  const decision = decide(withholding({ '2.1.0': HALTED, '2.0.0': BLOCKED }));
  assert.deepEqual(decision, {
    kind: 'none',
    reason: 'halted',
    detail:
      'bread-compact-wifi 2.1.0 (catalog[1], bread-compact-wifi-2.1.0.bin): halted: 3 of 10 devices failed',
  });
});

test('a withheld entry explains the outcome over entries that failed a catalog check', () => {
  const decision = decide(withholding({ '2.0.0': BLOCKED }), [
    { version: '2.0.0' },
    { version: '3.0.0', rollout: 0 },
  ]);
  assert.deepEqual(decision, {
    kind: 'none',
    reason: 'blocked',
    detail:
      'bread-compact-wifi 2.0.0 (catalog[0], bread-compact-wifi-2.0.0.bin): blocked: failed 3 times (rejected-or-rolled-back)',
  });
});

test('a blocked or halted pin offers nothing, never the highest newer version instead', () => {
  const entries = [{ version: '1.8.0', force: true }, { version: '2.1.0' }];
  for (const held of [BLOCKED, HALTED]) {
    const decision = decide(withholding({ '1.8.0': held }), entries);
    assert.equal(decision.kind, 'none');
    assert.equal(decision.kind === 'none' && decision.reason, held.reason);
  }
  assert.equal(decide(withholding({}), entries).kind === 'offer', true);
});

test('a pin on the running version stays pinned-current whatever the gate says', () => {
  const decision = decide(withholding({ '1.9.0': HALTED }), [{ version: '1.9.0', force: true }]);
  assert.equal(decision.kind === 'none' && decision.reason, 'pinned-current');
});

test('not synced: no catalog offer at all', () => {
  const gate: OfferGate = { withheld: () => ({ reason: 'fleet-not-synced', detail: 'not loaded yet' }) };
  const decision = decide(gate);
  assert.equal(decision.kind === 'none' && decision.reason, 'fleet-not-synced');
});

test('the gate is asked only for entries the catalog finds eligible', () => {
  const asked: string[] = [];
  decide({ withheld: (e) => (asked.push(e.version), null) }, [
    { version: '1.0.0' },
    { version: '2.0.0', rollout: 0 },
    { version: '2.1.0' },
  ]);
  assert.deepEqual(asked, ['2.1.0']);
});

test('a download token makes the proxy URL /firmware/<token>/<file>; an external url is left alone', () => {
  const gate: OfferGate = { withheld: () => null, downloadToken: (file) => `aabbccddee01.${file.length}` };
  const proxied = decide(gate, [{ version: '2.0.0' }]);
  assert.equal(
    proxied.kind === 'offer' && proxied.url,
    'http://192.168.1.10:8003/firmware/aabbccddee01.28/bread-compact-wifi-2.0.0.bin',
  );
  const external = decide(gate, [{ version: '2.0.0', url: 'https://cdn.example/fw.bin' }]);
  assert.equal(external.kind === 'offer' && external.url, 'https://cdn.example/fw.bin');
  const untokened = decide({ withheld: () => null, downloadToken: () => null }, [{ version: '2.0.0' }]);
  assert.equal(
    untokened.kind === 'offer' && untokened.url,
    'http://192.168.1.10:8003/firmware/bread-compact-wifi-2.0.0.bin',
  );
});
