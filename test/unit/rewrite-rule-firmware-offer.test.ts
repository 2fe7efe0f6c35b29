import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { firmwareOffer, isPlaceholderUrl, isUpstreamOffer } from '../../src/rewrite/rules/firmware-offer.js';
import type { CatalogEntry, FirmwareDecision } from '../../src/firmware/types.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import { testConfig, testContext } from '../helpers/config-fixture.js';
import { upstreamReply } from '../helpers/upstream-replies.js';

const ENTRY = {
  board: 'bread-compact-wifi',
  version: '1.8.0',
  file: 'bread-1.8.0.bin',
} as unknown as CatalogEntry;

function offer(version: string, url: string, force = false): FirmwareDecision {
  return { kind: 'offer', entry: ENTRY, version, url, force };
}

const drop = testConfig({ firmware: { dir: null, upstreamOffers: 'drop', requireToken: false } });

describe('the catalog offers', () => {
  test('its offer replaces an upstream offer, in place (python-firmware-available)', () => {
    const upstream = upstreamReply('python-firmware-available');
    const out = firmwareOffer.apply(
      upstream,
      testContext({ offer: offer('1.8.0', 'http://192.168.1.10:8003/firmware/bread-1.8.0.bin') }),
    );
    assert.equal(out.applied, true);
    assert.deepEqual(out.body.firmware, {
      version: '1.8.0',
      url: 'http://192.168.1.10:8003/firmware/bread-1.8.0.bin',
    });
    assert.deepEqual(Object.keys(out.body), Object.keys(upstream));
  });

  test('a pin that differs carries force: 1 (the number)', () => {
    const out = firmwareOffer.apply(
      upstreamReply('python-default-post'),
      testContext({ offer: offer('1.5.0', 'http://x/f.bin', true) }),
    );
    assert.deepEqual(out.body.firmware, { version: '1.5.0', url: 'http://x/f.bin', force: 1 });
  });

  test('added when the upstream sent no firmware (java-bound-no-firmware), also with upstream_offers: drop', () => {
    const out = firmwareOffer.apply(
      upstreamReply('java-bound-no-firmware'),
      testContext({ config: drop, offer: offer('1.8.0', 'http://x/f.bin') }),
    );
    assert.deepEqual(out.body.firmware, { version: '1.8.0', url: 'http://x/f.bin' });
  });

  test('replaces the Java placeholder and its version', () => {
    const out = firmwareOffer.apply(
      upstreamReply('java-unbound-device'),
      testContext({ offer: offer('1.8.0', 'http://x/f.bin') }),
    );
    assert.deepEqual(out.body.firmware, { version: '1.8.0', url: 'http://x/f.bin' });
    assert.deepEqual((out.body.activation as JsonObject).code, '182071');
  });
});

describe('the catalog offers nothing', () => {
  const none: FirmwareDecision = { kind: 'none', reason: 'not-newer', detail: '' };

  test('upstream_offers: keep keeps an upstream offer untouched', () => {
    const upstream = upstreamReply('java-bound-with-firmware');
    assert.deepEqual(firmwareOffer.apply(upstream, testContext({ offer: none })), {
      body: upstream,
      applied: false,
    });
  });

  test('upstream_offers: drop removes an upstream offer (the key, never null)', () => {
    for (const name of ['java-bound-with-firmware', 'python-firmware-available']) {
      const out = firmwareOffer.apply(upstreamReply(name), testContext({ config: drop, offer: none }));
      assert.equal(out.applied, true, name);
      assert.equal(Object.hasOwn(out.body, 'firmware'), false, name);
    }
  });

  test('a firmware object that offers nothing (url "" or the placeholder) stays for the guard', () => {
    for (const name of ['python-default-post', 'java-unbound-device', 'java-mqtt-and-websocket']) {
      const upstream = upstreamReply(name);
      assert.deepEqual(
        firmwareOffer.apply(upstream, testContext({ config: drop, offer: none })),
        { body: upstream, applied: false },
        name,
      );
    }
  });
});

describe('helpers', () => {
  test('isPlaceholderUrl and isUpstreamOffer', () => {
    assert.equal(
      isPlaceholderUrl(
        'http://xiaozhi.server.com:8002/xiaozhi/otaMag/download/NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL',
      ),
      true,
    );
    assert.equal(isPlaceholderUrl('http://a/b.bin'), false);
    assert.equal(isUpstreamOffer({ version: '1.0.0', url: 'http://a/b.bin' }), true);
    assert.equal(isUpstreamOffer({ version: '1.0.0', url: '' }), false);
    assert.equal(isUpstreamOffer({ version: '1.0.0', url: 5 }), false);
    assert.equal(isUpstreamOffer(null), false);
    assert.equal(isUpstreamOffer(undefined), false);
  });
});
