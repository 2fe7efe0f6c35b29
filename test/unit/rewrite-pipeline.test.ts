import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rules, runRules } from '../../src/rewrite/pipeline.js';
import { finishReply } from '../../src/rewrite/serialize.js';
import type { CatalogEntry } from '../../src/firmware/types.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import {
  mqttItem,
  rewriteRule,
  serverTimeItem,
  testConfig,
  testContext,
  testRequest,
  websocketItem,
} from '../helpers/config-fixture.js';
import { upstreamReply } from '../helpers/upstream-replies.js';

const NOW = Date.UTC(2026, 10, 21, 22, 31, 9, 823);
const request = testRequest({
  host: 'xz.example.com',
  origin: { scheme: 'https', host: 'xz.example.com', port: 443 },
});

test('the rules run in docs/configuration.md order, named after their config keys', () => {
  assert.deepEqual(
    rules.map((r) => r.name),
    ['rewrite', 'websocket', 'mqtt', 'server_time', 'firmware'],
  );
});

describe('whole pipeline on the captures', () => {
  test('defaults leave the reply as the upstream sent it', () => {
    for (const name of [
      'python-default-post',
      'java-unbound-device',
      'java-mqtt-and-websocket',
      'python-mqtt-gateway',
    ]) {
      const upstream = upstreamReply(name);
      assert.deepEqual(runRules(upstream, testContext()), { body: upstream, applied: [], notes: [] }, name);
    }
  });

  test('python-mqtt-gateway behind TLS: websocket created, mqtt stripped, Berlin time', () => {
    const config = testConfig({
      websocket: [websocketItem('{scheme}://{host}/xiaozhi/v1/')],
      mqtt: [mqttItem('strip')],
      serverTime: [serverTimeItem({ kind: 'zone', name: 'Europe/Berlin' })],
    });
    const out = runRules(upstreamReply('python-mqtt-gateway'), testContext({ config, request, now: NOW }));
    assert.deepEqual(out.body, {
      server_time: { timestamp: NOW, timezone_offset: 60 },
      firmware: { version: '1.6.0', url: '' },
      websocket: { url: 'wss://xz.example.com/xiaozhi/v1/' },
    });
    assert.deepEqual(out.applied, ['websocket', 'mqtt', 'server_time']);
  });

  test('python-firmware-available: container URLs rewritten, the catalog offer wins', () => {
    const config = testConfig({
      rewrite: [
        rewriteRule('ws://172.21.0.5:8000/', '{scheme}://{host}/ws/'),
        rewriteRule('http://172.21.0.5:8003/', '{scheme}://{host}/'),
      ],
    });
    const offer = {
      kind: 'offer',
      entry: {} as CatalogEntry,
      version: '1.8.0',
      url: 'https://xz.example.com/firmware/a.bin',
      force: false,
    } as const;
    const out = runRules(upstreamReply('python-firmware-available'), testContext({ config, request, offer }));
    assert.equal((out.body.websocket as JsonObject).url, 'wss://xz.example.com/ws/xiaozhi/v1/');
    assert.deepEqual(out.body.firmware, { version: '1.8.0', url: 'https://xz.example.com/firmware/a.bin' });
    assert.deepEqual(out.applied, ['rewrite', 'firmware']);
  });

  test('notes name the rule that held back', () => {
    const config = testConfig({ websocket: [websocketItem('ws://{host}/')], mqtt: [mqttItem('keep')] });
    const out = runRules(upstreamReply('python-mqtt-gateway'), testContext({ config }));
    assert.deepEqual(out.notes, [
      'websocket: the upstream sent no websocket section and mqtt is kept: none created',
    ]);
  });

  test('java-unbound-device through rules and guard: token, code and challenge byte-identical', () => {
    const config = testConfig({
      websocket: [websocketItem('ws://{host}:8000/xiaozhi/v1/')],
      serverTime: [serverTimeItem({ kind: 'fixed', offsetMinutes: 0 })],
    });
    const ctx = testContext({ config, now: NOW });
    const ruled = runRules(upstreamReply('java-unbound-device'), ctx);
    const finished = finishReply(ruled.body, ctx.device);
    assert.equal(finished.kind, 'ok');
    const json = finished.kind === 'ok' ? finished.json : '';
    // The bytes the device gets: the fixed offset replaces the zone name, only the websocket url changes.
    assert.equal(
      json,
      '{"server_time":{"timestamp":1795300269823,"timezone_offset":0},' +
        '"activation":{"code":"182071","message":"http://xiaozhi.server.com\\n182071","challenge":"aa:bb:cc:dd:ee:01"},' +
        '"firmware":{"version":"1.6.0","url":"http://xiaozhi.server.com:8002/xiaozhi/otaMag/download/NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL"},' +
        '"websocket":{"url":"ws://192.168.1.10:8000/xiaozhi/v1/","token":"RkFJLM2x5xtfBNoYQHXQpkXa3piyzB4JrkkDW9hJpSc.1786000000"}}',
    );
  });
});
