/** doctor's OTA check looks like a real board's: header order, a correct Content-Length, the legacy era without Activation-Version, and a body the proxy reads back. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readDevice } from '../../src/device/identify.js';
import { DEFAULT_PROBE_DEVICE, clientIdFor, probeRequestBytes } from '../../src/doctor/probe-request.js';
import { parseHttpMessage } from '../helpers/captures.js';

describe('the probe request', () => {
  test('firmware header order, exact Content-Length, Connection: close', () => {
    const message = parseHttpMessage(
      probeRequestBytes({ device: DEFAULT_PROBE_DEVICE, host: '192.168.1.10:8003', path: '/xiaozhi/ota/' }),
    );
    assert.equal(message.startLine, 'POST /xiaozhi/ota/ HTTP/1.1');
    assert.deepEqual(
      message.headers.map(([n]) => n),
      [
        'Host',
        'Accept-Language',
        'Activation-Version',
        'Client-Id',
        'Content-Type',
        'Device-Id',
        'User-Agent',
        'Content-Length',
        'Connection',
      ],
    );
    const length = Number(message.headers.find(([n]) => n === 'Content-Length')?.[1]);
    assert.equal(length, message.body.length);
    assert.equal(message.headers.find(([n]) => n === 'User-Agent')?.[1], 'bread-compact-wifi/1.6.0');
    assert.ok(message.body.includes('"partition_table": ['), "the firmware's single space");
  });

  test('firmware ≤ 1.5.9 sends no Activation-Version', () => {
    const message = parseHttpMessage(
      probeRequestBytes({
        device: { ...DEFAULT_PROBE_DEVICE, version: '1.5.9' },
        host: 'x',
        path: '/xiaozhi/ota/',
      }),
    );
    assert.equal(
      message.headers.some(([n]) => n === 'Activation-Version'),
      false,
    );
  });

  test('the proxy reads board, version, chip and slots back from it', () => {
    const device = {
      ...DEFAULT_PROBE_DEVICE,
      board: 'bread-compact-wifi-128x64',
      version: '2.0.1',
      chip: 'esp32c3',
      deviceId: 'aa:bb:cc:dd:ee:07',
    };
    const message = parseHttpMessage(probeRequestBytes({ device, host: 'x', path: '/xiaozhi/ota/' }));
    const headers = Object.fromEntries(message.headers.map(([n, v]) => [n.toLowerCase(), v]));
    const facts = readDevice(headers, message.body);
    assert.equal(facts.id, 'aa:bb:cc:dd:ee:07');
    assert.equal(facts.build, 'bread-compact-wifi-128x64');
    assert.equal(facts.version, '2.0.1');
    assert.equal(facts.chip, 'esp32c3');
    assert.equal(facts.runningSlot, 'ota_0');
    assert.equal(facts.slotSizes.ota1, 4128768);
    assert.equal(facts.legacy, false);
    // The same client id in the body and the header (the literal, not clientIdFor's say-so).
    assert.equal(JSON.parse(message.body.toString()).uuid, '2b57df7f-84d4-42e2-8bea-442313453286');
    assert.equal(headers['client-id'], '2b57df7f-84d4-42e2-8bea-442313453286');
  });

  test('the Client-Id is a stable lowercase UUID', () => {
    // Stable: the same value on every run and machine.
    assert.equal(clientIdFor('aa:bb:cc:dd:ee:07'), '2b57df7f-84d4-42e2-8bea-442313453286');
    assert.match(
      clientIdFor('aa:bb:cc:dd:ee:07'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
