/**
 * The fallback answers each device from what it was last told (docs/configuration.md "Fallback reply"): its own
 * remembered websocket section — token and version kept, `rewrite` applied again for this request — its
 * remembered MQTT section when the device used MQTT and `mqtt` resolves to keep, never a token the proxy
 * does not remember, and a bounded memory (`fallback.remember_devices`; devices seen once are forgotten
 * first, the least recently seen first).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractViolations, errorFramingViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest, type RawResponse } from '../helpers/raw-client.js';
import { upstreamText } from '../helpers/upstream-replies.js';

type Body = { websocket?: Record<string, unknown>; mqtt?: Record<string, unknown>; activation?: unknown };

/** A good Python-style reply whose token names the device, so each device's memory is visible. */
function goodReply(deviceId: string): Reply {
  return {
    kind: 'json',
    body: {
      server_time: { timestamp: Date.now(), timezone_offset: 480 },
      firmware: { version: '1.6.0', url: '' },
      websocket: { url: 'ws://172.21.0.5:8000/xiaozhi/v1/', token: `tok-${deviceId}`, version: 3 },
    },
  };
}

const failing: Reply = { kind: 'text', status: 500, body: 'down' };

describe('the fallback remembers each device', () => {
  let h: Harness;
  let mode: 'good' | 'fail' | 'mqtt' | 'java-mqtt' = 'good';
  before(async () => {
    h = await startHarness({
      responder: (req) => {
        if (mode === 'fail') return failing;
        if (mode === 'mqtt') return { kind: 'capture', name: 'python-mqtt-gateway' };
        if (mode === 'java-mqtt') return { kind: 'capture', name: 'java-mqtt-and-websocket' };
        return goodReply(String(req.headers['device-id']));
      },
      yaml: [
        'rewrite:',
        '  - from: ws://172.21.0.5:8000/',
        '    to: ws://{host}:8000/',
        '  - from: ws://192.168.1.25:8000/',
        '    to: ws://{host}:8000/',
        'mqtt:',
        '  - when: {devices: ["aa:bb:cc:dd:ee:33", "aa:bb:cc:dd:ee:34"]}',
        '    mode: strip',
        '  - mode: keep',
        'fallback:',
        '  remember_devices: 3',
        'breaker:',
        '  failures: 1000',
        '',
      ].join('\n'),
    });
  });
  after(() => h.close());

  const check = (id: string, host = '127.0.0.1:8003'): Promise<RawResponse> =>
    rawRequest(
      h.port,
      deviceCheck({
        set: [
          ['Device-Id', id],
          ['Host', host],
        ],
      }),
    );
  const body = (res: RawResponse): Body => JSON.parse(res.body.toString('utf8')) as Body;

  test('a remembered websocket keeps its token and version, with rewrite run again for this request', async () => {
    mode = 'good';
    const good = await check('aa:bb:cc:dd:ee:11');
    assert.equal(body(good).websocket?.token, 'tok-aa:bb:cc:dd:ee:11');
    mode = 'fail';
    // The device now reaches the proxy under another name: the rewrite renders it for this request.
    const res = await check('aa:bb:cc:dd:ee:11', 'ota.lan:8003');
    assert.deepEqual(contractViolations(res, CAPTURED_DEVICE, { fallback: true }), []);
    assert.deepEqual(body(res).websocket, {
      url: 'ws://ota.lan:8000/xiaozhi/v1/',
      token: 'tok-aa:bb:cc:dd:ee:11',
      version: 3,
    });
    assert.equal(h.exchanges().at(-1)?.outcome, 'fallback');
  });

  test('another device never gets that token: with nothing remembered and no websocket item it gets a 502', async () => {
    mode = 'fail';
    const res = await check('aa:bb:cc:dd:ee:12');
    assert.equal(res.status, 502);
    assert.deepEqual(errorFramingViolations(res), []);
    assert.equal(res.body.toString('utf8'), 'upstream OTA server failed\n');
  });

  test('a device that used MQTT gets its raw mqtt section back', async () => {
    mode = 'mqtt';
    const good = await check('aa:bb:cc:dd:ee:22');
    assert.equal(good.status, 200);
    mode = 'fail';
    const res = await check('aa:bb:cc:dd:ee:22');
    assert.deepEqual(contractViolations(res, CAPTURED_DEVICE, { fallback: true }), []);
    const upstreamMqtt = (JSON.parse(upstreamText('python-mqtt-gateway')) as Body).mqtt;
    assert.deepEqual(body(res).mqtt, upstreamMqtt);
    assert.equal(body(res).activation, undefined, 'never activation');
  });

  test('a device whose MQTT was stripped gets no MQTT from the fallback', async () => {
    mode = 'java-mqtt';
    const good = await check('aa:bb:cc:dd:ee:33');
    assert.equal(body(good).mqtt, undefined, 'stripped: the device got the websocket section');
    mode = 'fail';
    const res = await check('aa:bb:cc:dd:ee:33');
    assert.deepEqual(contractViolations(res, CAPTURED_DEVICE, { fallback: true }), []);
    assert.equal(body(res).mqtt, undefined);
    // Its own remembered websocket section, token kept, rewritten for this request.
    assert.deepEqual(body(res).websocket, {
      url: 'ws://127.0.0.1:8000/xiaozhi/v1/',
      token: 'RkFJLM2x5xtfBNoYQHXQpkXa3piyzB4JrkkDW9hJpSc.1786000000',
    });
  });

  test('a device that kept MQTT because strip had no websocket to use gets it back, as the rules decided', async () => {
    mode = 'mqtt';
    const good = await check('aa:bb:cc:dd:ee:34');
    const got = body(good).mqtt;
    const upstreamMqtt = (JSON.parse(upstreamText('python-mqtt-gateway')) as Body).mqtt;
    assert.deepEqual(got, upstreamMqtt, 'rule 3 keeps mqtt when no websocket section is present');
    mode = 'fail';
    const res = await check('aa:bb:cc:dd:ee:34');
    assert.deepEqual(contractViolations(res, CAPTURED_DEVICE, { fallback: true }), []);
    assert.deepEqual(body(res).mqtt, got);
  });

  test('the memory is bounded: devices seen once are forgotten first, the least recently seen first', async () => {
    mode = 'good';
    // 41 and 42 seen twice (protected: at most 80 % of the 3, so 2), then three devices seen once each.
    for (const id of ['aa:bb:cc:dd:ee:41', 'aa:bb:cc:dd:ee:41', 'aa:bb:cc:dd:ee:42', 'aa:bb:cc:dd:ee:42'])
      assert.equal((await check(id)).status, 200);
    for (const id of ['aa:bb:cc:dd:ee:43', 'aa:bb:cc:dd:ee:44', 'aa:bb:cc:dd:ee:45'])
      assert.equal((await check(id)).status, 200);
    mode = 'fail';
    for (const id of ['aa:bb:cc:dd:ee:43', 'aa:bb:cc:dd:ee:44'])
      assert.equal((await check(id)).status, 502, `${id} was forgotten`);
    for (const id of ['aa:bb:cc:dd:ee:41', 'aa:bb:cc:dd:ee:42', 'aa:bb:cc:dd:ee:45']) {
      assert.equal(body(await check(id)).websocket?.token, `tok-${id}`, id);
    }
    assert.equal(h.proxy.app.runtime.memory.size, 3);
  });
});
