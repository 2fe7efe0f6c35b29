/**
 * The rules on real captures through the real proxy: rewrite prefixes, mqtt strip (Python sends mqtt
 * instead of websocket; Java sends both), server_time normalised, when: conditions on source and host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRequest } from '../helpers/captures.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

type Reply = Record<string, Record<string, unknown> | undefined>;

async function check(
  h: Harness,
  request = deviceRequest('python-default-post', { host: '192.168.1.10:8003' }),
): Promise<Reply> {
  const res = await rawRequest(h.port, request);
  assert.equal(res.status, 200);
  return JSON.parse(res.body.toString('utf8')) as Reply;
}

function addHeaders(request: Buffer, extra: string): Buffer {
  const text = request.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return Buffer.from(`${text.slice(0, end)}\r\n${extra.replace(/\r\n$/, '')}${text.slice(end)}`, 'latin1');
}

describe('rules end to end', () => {
  let h: Harness;
  let reply = 'python-firmware-available';
  const NOW = Date.UTC(2026, 6, 1, 12, 0, 0);
  before(async () => {
    h = await startHarness({
      responder: () => ({ kind: 'capture', name: reply }),
      now: () => NOW,
      yaml: [
        'rewrite:',
        '  - from: http://172.21.0.5:8003/',
        '    to: "{scheme}://{host}:{port}/"',
        // Matches the Java placeholder URL's prefix: the placeholder must still not be rewritten.
        '  - from: http://xiaozhi.server.com:8002/',
        '    to: "{scheme}://{host}:8002/"',
        'websocket:',
        '  - when: { source: 10.1.0.0/16 }',
        '    url: ws://lan-voice.example:8000/xiaozhi/v1/',
        '  - when: { host: "*.example.com" }',
        '    url: wss://{host}/xiaozhi/v1/',
        '  - url: ws://{host}:8000/xiaozhi/v1/',
        'mqtt: strip',
        'server_time:',
        '  timezone: Europe/Berlin',
        '',
      ].join('\n'),
    });
  });
  after(() => h.close());

  test('rewrite: the container firmware URL follows the origin the device used', async () => {
    reply = 'python-firmware-available';
    const body = await check(h);
    assert.equal(
      body.firmware?.url,
      'http://192.168.1.10:8003/xiaozhi/ota/download/bread-compact-wifi_1.7.0.bin',
    );
    assert.equal(body.firmware?.version, '1.7.0');
  });

  test('websocket: the default item replaces the Docker-internal URL, the token is kept', async () => {
    reply = 'python-auth-token';
    const body = await check(h);
    assert.deepEqual(body.websocket, {
      url: 'ws://192.168.1.10:8000/xiaozhi/v1/',
      token: 'NDwJ2SqlB3JkYSlF9SBwnWNasgVEgnTNWdWKAMM6BWE.1795300274',
    });
  });

  test('when.source: a device behind a trusted proxy is matched by its X-Forwarded-For hop', async () => {
    reply = 'python-default-post';
    const body = await check(
      h,
      addHeaders(
        deviceRequest('python-default-post', { host: '192.168.1.10:8003' }),
        'X-Forwarded-For: 10.1.2.3\r\n',
      ),
    );
    assert.equal(body.websocket?.url, 'ws://lan-voice.example:8000/xiaozhi/v1/');
  });

  test('when.host: a glob on the host the request named', async () => {
    reply = 'python-default-post';
    const body = await check(h, deviceRequest('python-default-post', { host: 'xz.example.com' }));
    assert.equal(body.websocket?.url, 'wss://xz.example.com/xiaozhi/v1/');
  });

  test('mqtt strip with both sections (Java): mqtt deleted, websocket kept with its token', async () => {
    reply = 'java-mqtt-and-websocket';
    const body = await check(h);
    assert.equal('mqtt' in body, false);
    assert.equal(body.websocket?.url, 'ws://192.168.1.10:8000/xiaozhi/v1/');
    assert.equal(body.websocket?.token, 'RkFJLM2x5xtfBNoYQHXQpkXa3piyzB4JrkkDW9hJpSc.1786000000');
  });

  test('mqtt strip with mqtt instead of websocket (Python gateway): websocket created from the item', async () => {
    reply = 'python-mqtt-gateway';
    const body = await check(h);
    assert.equal('mqtt' in body, false);
    assert.deepEqual(body.websocket, { url: 'ws://192.168.1.10:8000/xiaozhi/v1/' });
  });

  test('server_time: the proxy clock in ms and the zone offset in minutes (CEST = 120)', async () => {
    reply = 'java-unbound-device';
    const body = await check(h);
    // The upstream's own timeZone member (Asia/Shanghai) is set to the configured zone, in its place.
    assert.deepEqual(body.server_time, { timestamp: NOW, timeZone: 'Europe/Berlin', timezone_offset: 120 });
  });

  test('activation passes untouched; the placeholder firmware URL is not rewritten', async () => {
    reply = 'java-unbound-device';
    const body = await check(h);
    assert.deepEqual(body.activation, {
      code: '182071',
      message: 'http://xiaozhi.server.com\n182071',
      challenge: 'aa:bb:cc:dd:ee:01',
    });
    assert.deepEqual(body.firmware, {
      version: '1.6.0',
      url: 'http://xiaozhi.server.com:8002/xiaozhi/otaMag/download/NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL',
    });
  });
});
