import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { finishReply, MAX_REPLY_BYTES, sizeRuleOnly } from '../../src/rewrite/serialize.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import { testDevice } from '../helpers/config-fixture.js';
import { upstreamReply, upstreamText } from '../helpers/upstream-replies.js';

const device = testDevice();

describe('finishReply', () => {
  test('guard, then compact JSON with its UTF-8 byte count (python-default-post is written back byte for byte)', () => {
    const out = finishReply(upstreamReply('python-default-post'), device);
    assert.equal(out.kind, 'ok');
    if (out.kind !== 'ok') return;
    assert.equal(out.json, upstreamText('python-default-post'));
    assert.equal(out.bytes, Buffer.byteLength(out.json));
    assert.deepEqual(out.repairs, []);
  });

  test('guard repairs are reported', () => {
    const out = finishReply(
      { server_time: { timestamp: 1795300269 }, websocket: { url: 'ws://a/', version: '3' } },
      device,
    );
    assert.deepEqual(out.kind === 'ok' ? JSON.parse(out.json) : null, {
      server_time: { timestamp: 1795300269000 },
      websocket: { url: 'ws://a/', version: 3 },
    });
    assert.deepEqual(out.repairs, ['websocket.version-number', 'server_time.timestamp-ms']);
  });

  test('bytes, not characters: multi-byte text counts in full', () => {
    const out = finishReply({ websocket: { url: 'ws://a/', token: '密'.repeat(100) } }, device);
    assert.equal(
      out.kind === 'ok' ? out.bytes : 0,
      Buffer.byteLength(JSON.stringify({ websocket: { url: 'ws://a/', token: '密'.repeat(100) } })),
    );
  });

  test('over 4 KiB: keys the device does not read are dropped, the sections stay', () => {
    const body: JsonObject = {
      debug: 'x'.repeat(5000),
      ...upstreamReply('java-unbound-device'),
      trace: ['y'],
    };
    const out = finishReply(body, device);
    assert.equal(out.kind, 'ok');
    if (out.kind !== 'ok') return;
    assert.equal(out.json, JSON.stringify(upstreamReply('java-unbound-device')));
    assert.equal(out.bytes, 462);
    assert.deepEqual(out.repairs, ['size:unread-keys-dropped']);
  });

  test('still over 4 KiB with only the sections: too-large, never truncated', () => {
    // Each member is under the 4000-byte flash limit, together they are not under 4 KiB.
    const body: JsonObject = {
      websocket: { url: 'ws://a/', token: 't'.repeat(2100) },
      mqtt: { endpoint: 'h:1', password: 'p'.repeat(2100) },
    };
    const out = finishReply(body, device);
    assert.equal(out.kind, 'too-large');
    assert.equal(out.bytes, 4282, 'the whole reply, counted');
  });

  test('the limit is exclusive: 4095 bytes fit, 4096 do not', () => {
    assert.equal(MAX_REPLY_BYTES, 4096); // docs/device-contract.md §2: the body stays under 4 KiB
    // Two members, each under the 4000-byte flash limit, so only the size rule decides.
    const sized = (total: number): JsonObject => {
      const base = JSON.stringify({
        websocket: { url: 'ws://a/', token: '' },
        mqtt: { endpoint: 'h:1', password: '' },
      }).length;
      return {
        websocket: { url: 'ws://a/', token: 't'.repeat(2000) },
        mqtt: { endpoint: 'h:1', password: 'p'.repeat(total - base - 2000) },
      };
    };
    const fits = finishReply(sized(4095), device);
    assert.equal(fits.kind === 'ok' ? fits.bytes : -1, 4095);
    assert.equal(finishReply(sized(4096), device).kind, 'too-large');
  });
});

describe('sizeRuleOnly (the upstream error shapes)', () => {
  test('the original text, as sent, when under 4 KiB', () => {
    const text = upstreamText('python-no-device-id');
    const parsed = JSON.parse(text) as JsonObject;
    const out = sizeRuleOnly(parsed, text);
    assert.deepEqual(out, {
      kind: 'ok',
      json: text,
      bytes: Buffer.byteLength(text),
      repairs: [],
      body: parsed,
    });
    const spaced = '{ "error" : "Device ID is required" }';
    const kept = sizeRuleOnly({ error: 'Device ID is required' }, spaced);
    assert.equal(kept.kind === 'ok' ? kept.json : null, spaced);
  });

  test('over 4 KiB: only the keys the device reads remain', () => {
    const body: JsonObject = { success: false, message: 'm'.repeat(5000) };
    const out = sizeRuleOnly(body, JSON.stringify(body));
    assert.deepEqual(out, {
      kind: 'ok',
      json: '{}',
      bytes: 2,
      repairs: ['size:unread-keys-dropped'],
      body: {},
    });
  });
});
