import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Origin } from '../../src/config/types.js';
import { decideOffer } from '../../src/firmware/select.js';
import type { Catalog, FirmwareDecision } from '../../src/firmware/types.js';
import type { EntryOptions } from '../helpers/catalog-entry.js';
import { makeCatalog, makeDevice } from '../helpers/catalog-entry.js';

const origin: Origin = { scheme: 'http', host: '192.168.1.10', port: 8003 };

function decide(
  catalog: Catalog | null,
  device = makeDevice(),
  publicUrl: 'auto' | Origin = 'auto',
): FirmwareDecision {
  return decideOffer({ catalog, device, origin, publicUrl });
}

function reason(decision: FirmwareDecision): string {
  return decision.kind === 'none' ? decision.reason : `offer ${decision.version}`;
}

function offered(decision: FirmwareDecision): { version: string; force: boolean; url: string } {
  assert.equal(
    decision.kind,
    'offer',
    decision.kind === 'none' ? `${decision.reason}: ${decision.detail}` : '',
  );
  assert.ok(decision.kind === 'offer');
  return { version: decision.version, force: decision.force, url: decision.url };
}

/** The rollout bucket as docs/configuration.md "Catalog" defines it, computed here apart from src. */
function rolloutBucket(id: string, board: string, version: string): number {
  const digest = createHash('sha256').update(`${id}|${board}|${version}`).digest('hex');
  return Number.parseInt(digest.slice(0, 8), 16) % 10_000;
}

/** A device id whose bucket for the entry is at least `min` (outside a rollout of min/100 %). */
function idWithBucket(board: string, version: string, predicate: (bucket: number) => boolean): string {
  for (let i = 0; ; i++) {
    const id = `24:0a:c4:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    if (predicate(rolloutBucket(id, board, version))) return id;
  }
}

describe('decideOffer: why nothing is offered', () => {
  test('no catalog', () => {
    assert.equal(reason(decide(null)), 'no-catalog');
  });

  test('unknown or unreadable running version', () => {
    const catalog = makeCatalog([{ version: '2.0.0' }]);
    assert.equal(reason(decide(catalog, makeDevice({ version: null }))), 'unknown-version');
    assert.equal(reason(decide(catalog, makeDevice({ version: 'v2' }))), 'unknown-version');
  });

  test('no entry for the board: another build, an unknown build, an empty catalog', () => {
    const catalog = makeCatalog([{ board: 'bread-compact-wifi-128x64' }]);
    assert.equal(reason(decide(catalog)), 'no-entry-for-board');
    assert.equal(reason(decide(catalog, makeDevice({ build: null }))), 'no-entry-for-board');
    assert.equal(reason(decide(makeCatalog([]))), 'no-entry-for-board');
  });

  test('the board is a case-insensitive glob on the build name', () => {
    assert.equal(offered(decide(makeCatalog([{ board: 'BREAD-*' }]))).version, '2.0.0');
    assert.equal(
      reason(
        decide(
          makeCatalog([{ board: 'bread-compact-wifi' }]),
          makeDevice({ build: 'bread-compact-wifi-128x64' }),
        ),
      ),
      'no-entry-for-board',
    );
  });

  test('wrong chip; skipped when the device does not name its chip', () => {
    const catalog = makeCatalog([{ chipId: 5 }]);
    assert.equal(reason(decide(catalog)), 'wrong-chip');
    assert.equal(reason(decide(catalog, makeDevice({ chip: 'esp32c3' }))), 'offer 2.0.0');
    assert.equal(reason(decide(catalog, makeDevice({ chip: null }))), 'offer 2.0.0');
    // A chip name the proxy does not know never matches an image.
    assert.equal(reason(decide(catalog, makeDevice({ chip: 'esp32x9' }))), 'wrong-chip');
  });

  test('excluded', () => {
    const catalog = makeCatalog([{ exclude: ['aa:bb:cc:dd:ee:01'] }]);
    assert.equal(reason(decide(catalog)), 'excluded');
    assert.equal(reason(decide(catalog, makeDevice({ id: 'AA-BB-CC-DD-EE-01' }))), 'excluded');
    assert.equal(reason(decide(catalog, makeDevice({ id: 'aa:bb:cc:dd:ee:02' }))), 'offer 2.0.0');
  });

  test('not in devices (and a device without id never is)', () => {
    const catalog = makeCatalog([{ devices: ['aa:bb:cc:dd:ee:02'] }]);
    assert.equal(reason(decide(catalog)), 'not-in-devices');
    assert.equal(reason(decide(catalog, makeDevice({ id: null }))), 'not-in-devices');
    assert.equal(reason(decide(catalog, makeDevice({ id: 'aa:bb:cc:dd:ee:02' }))), 'offer 2.0.0');
  });

  test('outside rollout; a device without id only gets rollout-100 entries', () => {
    const board = 'bread-compact-wifi';
    const outside = idWithBucket(board, '2.0.0', (b) => b >= 2500);
    const inside = idWithBucket(board, '2.0.0', (b) => b < 2500);
    const catalog = makeCatalog([{ board, rollout: 25 }]);
    const decision = decide(catalog, makeDevice({ id: outside }));
    assert.equal(reason(decision), 'outside-rollout');
    assert.ok(
      decision.kind === 'none' && decision.detail.includes(String(rolloutBucket(outside, board, '2.0.0'))),
    );
    assert.equal(reason(decide(catalog, makeDevice({ id: inside }))), 'offer 2.0.0');
    assert.equal(reason(decide(catalog, makeDevice({ id: null }))), 'outside-rollout');
    assert.equal(reason(decide(makeCatalog([{ rollout: 100 }]), makeDevice({ id: null }))), 'offer 2.0.0');
    assert.equal(reason(decide(makeCatalog([{ rollout: 0 }]))), 'outside-rollout');
  });

  test('below min_version', () => {
    const catalog = makeCatalog([{ minVersion: '1.9.5' }]);
    assert.equal(reason(decide(catalog)), 'below-min-version');
    assert.equal(reason(decide(catalog, makeDevice({ version: '1.9.5' }))), 'offer 2.0.0');
    assert.equal(reason(decide(catalog, makeDevice({ version: '1.10.0' }))), 'offer 2.0.0');
  });

  test('not newer than the running version', () => {
    const catalog = makeCatalog([{ version: '2.0.0' }]);
    assert.equal(reason(decide(catalog, makeDevice({ version: '2.0.0' }))), 'not-newer');
    assert.equal(reason(decide(catalog, makeDevice({ version: '2.0.0-beta' }))), 'not-newer');
    assert.equal(reason(decide(catalog, makeDevice({ version: '2.1.0' }))), 'not-newer');
    assert.equal(reason(decide(catalog, makeDevice({ version: '1.10.9' }))), 'offer 2.0.0');
  });
});

describe('decideOffer: slot size', () => {
  const catalog = makeCatalog([{ size: 3_000_000 }]);
  const sizes = { ota0: 3_500_000, ota1: 2_500_000 };

  test('the slot written is the one not running; factory writes ota_0', () => {
    assert.equal(
      reason(decide(catalog, makeDevice({ runningSlot: 'ota_0', slotSizes: sizes }))),
      'too-large-for-slot',
    );
    assert.equal(
      reason(decide(catalog, makeDevice({ runningSlot: 'ota_1', slotSizes: sizes }))),
      'offer 2.0.0',
    );
    assert.equal(
      reason(decide(catalog, makeDevice({ runningSlot: 'factory', slotSizes: sizes }))),
      'offer 2.0.0',
    );
  });

  test('the smaller slot when the running one is unknown; skipped when sizes are unknown', () => {
    assert.equal(
      reason(decide(catalog, makeDevice({ runningSlot: null, slotSizes: sizes }))),
      'too-large-for-slot',
    );
    assert.equal(
      reason(decide(catalog, makeDevice({ runningSlot: null, slotSizes: { ota0: null, ota1: null } }))),
      'offer 2.0.0',
    );
    assert.equal(
      reason(decide(catalog, makeDevice({ runningSlot: 'ota_1', slotSizes: { ota0: null, ota1: null } }))),
      'offer 2.0.0',
    );
  });

  test('an image exactly the slot size fits', () => {
    assert.equal(
      reason(
        decide(makeCatalog([{ size: 2_500_000 }]), makeDevice({ runningSlot: 'ota_0', slotSizes: sizes })),
      ),
      'offer 2.0.0',
    );
  });
});

describe('decideOffer: choice', () => {
  test('the highest eligible newer version, wherever it sits in the file', () => {
    const catalog = makeCatalog([
      { version: '2.0.1' },
      { version: '2.0.10' },
      { version: '2.0.9' },
      { version: '3.0.0', chipId: 5 },
    ]);
    const offer = offered(decide(catalog));
    assert.deepEqual({ version: offer.version, force: offer.force }, { version: '2.0.10', force: false });
  });

  test('the first eligible force entry is a pin and wins over newer entries, with force', () => {
    const catalog = makeCatalog([
      { version: '3.0.0' },
      { version: '2.0.0', force: true },
      { version: '2.0.5', force: true },
    ]);
    assert.deepEqual(offered(decide(catalog)), {
      version: '2.0.0',
      force: true,
      url: 'http://192.168.1.10:8003/firmware/bread-compact-wifi-2.0.0.bin',
    });
  });

  test('a pin may go down: an older pinned version is offered with force', () => {
    const catalog = makeCatalog([{ version: '1.8.0', force: true }]);
    assert.deepEqual(offered(decide(catalog)), {
      version: '1.8.0',
      force: true,
      url: 'http://192.168.1.10:8003/firmware/bread-compact-wifi-1.8.0.bin',
    });
  });

  test('a pin equal to the running version offers nothing (never force the running version)', () => {
    const catalog = makeCatalog([{ version: '1.9.0', force: true }, { version: '2.0.0' }]);
    assert.equal(reason(decide(catalog)), 'pinned-current');
    assert.equal(reason(decide(catalog, makeDevice({ version: '1.9.0-rc1' }))), 'pinned-current');
  });

  test('a force entry the device is not eligible for is no pin', () => {
    const catalog = makeCatalog([
      { version: '1.8.0', force: true, exclude: ['aa:bb:cc:dd:ee:01'] },
      { version: '2.0.0' },
    ]);
    assert.deepEqual(offered(decide(catalog)).force, false);
    assert.equal(offered(decide(catalog)).version, '2.0.0');
  });
});

describe('decideOffer: which reason when several entries fail', () => {
  test('a newer image held back by policy explains more than an older one', () => {
    const outside = idWithBucket('bread-compact-wifi', '2.1.0', (b) => b >= 1000);
    const catalog = makeCatalog([
      { version: '1.5.0' },
      { version: '2.1.0', rollout: 10 },
      { board: 'other' },
    ]);
    assert.equal(reason(decide(catalog, makeDevice({ id: outside }))), 'outside-rollout');
  });

  test('the entry that got furthest through the checks names the reason', () => {
    const catalog = makeCatalog([
      { version: '2.0.0', chipId: 5 },
      { version: '2.0.1', minVersion: '1.9.5' },
      { version: '2.0.2', exclude: ['aa:bb:cc:dd:ee:01'] },
    ]);
    const decision = decide(catalog);
    assert.equal(reason(decision), 'below-min-version');
    assert.ok(decision.kind === 'none' && decision.detail.includes('2.0.1'));
  });

  test('only older entries for the board: not newer', () => {
    assert.equal(
      reason(decide(makeCatalog([{ version: '1.0.0' }, { board: 'x', version: '9.0.0' }]))),
      'not-newer',
    );
  });
});

describe('decideOffer: offered URL', () => {
  test('<effective origin>/firmware/<file>, default ports left out', () => {
    const catalog = makeCatalog([{ file: 'xiaozhi.bin' }]);
    assert.equal(offered(decide(catalog)).url, 'http://192.168.1.10:8003/firmware/xiaozhi.bin');
    const https: Origin = { scheme: 'https', host: 'xz.example.com', port: 443 };
    assert.equal(
      offered(decideOffer({ catalog, device: makeDevice(), origin: https, publicUrl: 'auto' })).url,
      'https://xz.example.com/firmware/xiaozhi.bin',
    );
    const v6: Origin = { scheme: 'http', host: '[fd00::1]', port: 8003 };
    assert.equal(
      offered(decideOffer({ catalog, device: makeDevice(), origin: v6, publicUrl: 'auto' })).url,
      'http://[fd00::1]:8003/firmware/xiaozhi.bin',
    );
  });

  test('a fixed public_url wins over the request origin', () => {
    const catalog = makeCatalog([{ file: 'xiaozhi.bin' }]);
    const fixed: Origin = { scheme: 'https', host: 'ota.example.com', port: 8443 };
    assert.equal(
      offered(decide(catalog, makeDevice(), fixed)).url,
      'https://ota.example.com:8443/firmware/xiaozhi.bin',
    );
  });

  test('an entry url is rendered as a template', () => {
    const catalog = makeCatalog([{ url: '{scheme}://{host}:9000/fw/xiaozhi-2.0.0.bin' }]);
    assert.equal(offered(decide(catalog)).url, 'http://192.168.1.10:9000/fw/xiaozhi-2.0.0.bin');
    const external = makeCatalog([{ url: 'https://cdn.example.com/xiaozhi.bin' }]);
    assert.equal(offered(decide(external)).url, 'https://cdn.example.com/xiaozhi.bin');
  });
});

describe('decideOffer: properties', () => {
  const versionArb = fc
    .array(fc.integer({ min: 0, max: 12 }), { minLength: 1, maxLength: 3 })
    .map((parts) => parts.join('.'));
  const entryArb: fc.Arbitrary<EntryOptions> = fc.record({
    version: versionArb,
    force: fc.boolean(),
    rollout: fc.constantFrom(0, 5, 50, 100),
    chipId: fc.constantFrom(9, 5),
    minVersion: fc.option(versionArb, { nil: null }),
  });

  /** The device's comparison, written here apart from src (docs/device-contract.md §3): the longer wins a tie. */
  const order = (a: string, b: string): number => {
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < Math.min(x.length, y.length); i++)
      if (x[i] !== y[i]) return Math.sign((x[i] ?? 0) - (y[i] ?? 0));
    return Math.sign(x.length - y.length);
  };

  test('never offers the running version; force only when the version differs', () => {
    const seen = { offers: 0, forced: 0, forcedRunning: 0 };
    fc.assert(
      fc.property(
        fc.array(entryArb, { maxLength: 6 }),
        // Half the time the device runs the version of one of the entries: the case a pin must not offer.
        fc.oneof(versionArb, fc.nat()),
        fc.option(fc.constant('aa:bb:cc:dd:ee:01'), { nil: null }),
        (entries, pick, id) => {
          const running =
            typeof pick === 'string'
              ? pick
              : (entries[pick % Math.max(1, entries.length)]?.version ?? '1.0.0');
          if (entries.some((e) => e.force === true && e.version === running)) seen.forcedRunning += 1;
          const decision = decide(
            makeCatalog(entries.map((e, i) => ({ ...e, file: `f${i}.bin` }))),
            makeDevice({ version: running, id }),
          );
          if (decision.kind === 'none') return;
          seen.offers += 1;
          if (decision.force) seen.forced += 1;
          const newer = order(decision.version, running);
          assert.notEqual(newer, 0);
          if (!decision.force) assert.equal(newer, 1);
          assert.equal(decision.force, decision.entry.force);
        },
      ),
      { numRuns: 500 },
    );
    // The generator reaches what the property is about: offers, forced ones, and pins of the running version.
    assert.ok(seen.offers >= 30 && seen.forced >= 10 && seen.forcedRunning >= 20, JSON.stringify(seen));
  });
});
