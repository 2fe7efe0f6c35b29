import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { websocketUrl } from '../../src/rewrite/rules/websocket-url.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import {
  mqttItem,
  testConfig,
  testContext,
  testDevice,
  testRequest,
  websocketItem,
} from '../helpers/config-fixture.js';
import { upstreamReply } from '../helpers/upstream-replies.js';

const LAN = websocketItem('ws://{host}:8000/xiaozhi/v1/');

function ctxWith(items: Parameters<typeof testConfig>[0], overrides: Parameters<typeof testContext>[0] = {}) {
  return testContext({ ...overrides, config: testConfig(items) });
}

describe('a present section (object with a ws:// or wss:// url)', () => {
  test('the url is replaced; token, version and other members are kept (java-bound-no-firmware)', () => {
    const upstream = upstreamReply('java-bound-no-firmware');
    const out = websocketUrl.apply(upstream, ctxWith({ websocket: [LAN] }));
    assert.equal(out.applied, true);
    assert.deepEqual(out.body.websocket, {
      url: 'ws://192.168.1.10:8000/xiaozhi/v1/',
      token: 'RkFJLM2x5xtfBNoYQHXQpkXa3piyzB4JrkkDW9hJpSc.1786000000',
    });
    assert.deepEqual(out.body.server_time, upstream.server_time);
  });

  test('version and unknown members stay, the item token does not replace the upstream one', () => {
    const body: JsonObject = { websocket: { url: 'wss://a/', token: 'upstream', version: 3, extra: 'x' } };
    const out = websocketUrl.apply(
      body,
      ctxWith({ websocket: [websocketItem('wss://{host}/v1/', { token: 'configured' })] }),
    );
    assert.deepEqual(out.body.websocket, {
      url: 'wss://192.168.1.10/v1/',
      token: 'upstream',
      version: 3,
      extra: 'x',
    });
  });

  test('{scheme} follows the origin: wss behind https', () => {
    const request = testRequest({ origin: { scheme: 'https', host: 'xz.example.com', port: 443 } });
    const out = websocketUrl.apply(
      upstreamReply('python-default-post'),
      ctxWith({ websocket: [websocketItem('{scheme}://{host}/xiaozhi/v1/')] }, { request }),
    );
    assert.equal((out.body.websocket as JsonObject).url, 'wss://xz.example.com/xiaozhi/v1/');
  });

  test('the same url again counts as not applied', () => {
    const body: JsonObject = { websocket: { url: 'ws://192.168.1.10:8000/xiaozhi/v1/', token: '' } };
    const out = websocketUrl.apply(body, ctxWith({ websocket: [LAN] }));
    assert.equal(out.applied, false);
    assert.equal(out.body, body);
  });
});

describe('no present section', () => {
  test('mqtt resolves to strip: the section is created as {url} (python-mqtt-gateway)', () => {
    const upstream = upstreamReply('python-mqtt-gateway');
    const out = websocketUrl.apply(upstream, ctxWith({ websocket: [LAN], mqtt: [mqttItem('strip')] }));
    assert.equal(out.applied, true);
    assert.deepEqual(out.body.websocket, { url: 'ws://192.168.1.10:8000/xiaozhi/v1/' });
    assert.deepEqual(out.body.mqtt, upstream.mqtt, 'this rule never touches mqtt');
  });

  test('created with the token only when the item sets one', () => {
    const item = websocketItem('ws://{host}:8000/xiaozhi/v1/', { token: 'static-token' });
    const out = websocketUrl.apply(
      upstreamReply('python-mqtt-gateway'),
      ctxWith({ websocket: [item], mqtt: [mqttItem('strip')] }),
    );
    assert.deepEqual(out.body.websocket, {
      url: 'ws://192.168.1.10:8000/xiaozhi/v1/',
      token: 'static-token',
    });
  });

  test('mqtt kept: nothing is created, with a note', () => {
    const upstream = upstreamReply('python-mqtt-gateway');
    const out = websocketUrl.apply(upstream, ctxWith({ websocket: [LAN] }));
    assert.equal(out.applied, false);
    assert.equal(out.body, upstream);
    assert.equal(out.note, 'the upstream sent no websocket section and mqtt is kept: none created');
  });

  test('a websocket object that is not present (no ws url) is replaced when mqtt is stripped', () => {
    const body: JsonObject = { websocket: { url: 'http://wrong/', token: 'x' }, mqtt: { endpoint: 'h:1' } };
    const kept = websocketUrl.apply(body, ctxWith({ websocket: [LAN] }));
    assert.equal(kept.body, body);
    const stripped = websocketUrl.apply(body, ctxWith({ websocket: [LAN], mqtt: [mqttItem('strip')] }));
    assert.deepEqual(stripped.body.websocket, { url: 'ws://192.168.1.10:8000/xiaozhi/v1/' });
  });

  test('the strip decision follows the mqtt `when:` for this device', () => {
    const mqtt = [mqttItem('strip', { board: ['m5stack-*'] }), mqttItem('keep')];
    const upstream = upstreamReply('python-mqtt-gateway');
    assert.equal(websocketUrl.apply(upstream, ctxWith({ websocket: [LAN], mqtt })).applied, false);
    const stackchan = testDevice({ build: 'm5stack-stack-chan', boardType: 'm5stack-stack-chan' });
    assert.equal(
      websocketUrl.apply(upstream, ctxWith({ websocket: [LAN], mqtt }, { device: stackchan })).applied,
      true,
    );
  });
});

describe('which item', () => {
  test('websocket: null leaves the section as sent', () => {
    const upstream = upstreamReply('python-default-post');
    assert.deepEqual(websocketUrl.apply(upstream, testContext()), { body: upstream, applied: false });
  });

  test('no matching item: untouched, with a note', () => {
    const item = websocketItem('ws://x/', { source: ['10.0.0.0/8'] });
    const out = websocketUrl.apply(upstreamReply('python-default-post'), ctxWith({ websocket: [item] }));
    assert.equal(out.applied, false);
    assert.equal(out.note, 'no websocket item matches this device');
  });

  const pick = (
    items: ReturnType<typeof websocketItem>[],
    overrides: Parameters<typeof testContext>[0] = {},
  ) =>
    (
      websocketUrl.apply(upstreamReply('python-default-post'), ctxWith({ websocket: items }, overrides)).body
        .websocket as JsonObject
    ).url;

  test('the first matching item wins: source', () => {
    const items = [
      websocketItem('ws://lan/', { source: ['192.168.0.0/16'] }),
      websocketItem('wss://public/'),
    ];
    assert.equal(pick(items), 'ws://lan/');
    assert.equal(pick(items, { request: testRequest({ address: '8.8.8.8' }) }), 'wss://public/');
  });

  test('host', () => {
    const items = [websocketItem('wss://public/', { host: ['xz.example.com'] }), websocketItem('ws://lan/')];
    assert.equal(pick(items, { request: testRequest({ host: 'xz.example.com' }) }), 'wss://public/');
    assert.equal(pick(items), 'ws://lan/');
  });

  test('board', () => {
    const items = [
      websocketItem('ws://stackchan/', { board: ['m5stack-stack-chan'] }),
      websocketItem('ws://other/'),
    ];
    assert.equal(pick(items, { device: testDevice({ build: 'm5stack-stack-chan' }) }), 'ws://stackchan/');
    assert.equal(pick(items), 'ws://other/');
  });

  test('devices', () => {
    const items = [
      websocketItem('ws://lab/', { devices: ['aa:bb:cc:dd:ee:01', 'aa:bb:cc:dd:ee:02'] }),
      websocketItem('ws://fleet/'),
    ];
    assert.equal(pick(items), 'ws://lab/');
    assert.equal(pick(items, { device: testDevice({ id: 'aa:bb:cc:dd:ee:03' }) }), 'ws://fleet/');
  });

  test('version', () => {
    const items = [websocketItem('ws://new/', { version: ['>=2.0.0'] }), websocketItem('ws://old/')];
    assert.equal(pick(items, { device: testDevice({ version: '2.4.2' }) }), 'ws://new/');
    assert.equal(pick(items), 'ws://old/');
  });
});
