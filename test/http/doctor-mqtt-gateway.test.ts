/** doctor on the real Python capture with the MQTT gateway on: `mqtt` instead of `websocket` fails while WebSocket is wanted, and mqtt: strip fixes it. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorAgainst } from '../helpers/doctor-harness.js';

const WS = 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n';

describe('doctor: mqtt present while WebSocket is wanted', () => {
  test('websocket.url set but mqtt kept: FAIL, the fix says mqtt: strip', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-mqtt-gateway' }),
      yaml: WS,
    });
    const mqtt = run.find('mqtt.present');
    assert.equal(mqtt.status, 'fail');
    assert.equal(
      mqtt.title,
      'devices get an mqtt section (mqtt.example.com:1883), so they use MQTT, not the WebSocket',
    );
    assert.equal(mqtt.fix, 'Set mqtt: strip (it only strips when a websocket section is present).');
    assert.equal(run.find('websocket.url').status, 'info');
    assert.equal(run.report.ok, false);
    assert.equal(
      JSON.stringify(run.report).includes('uwPR2AXGD1YnwRd6XuQ+PmO2CQCfa4beMcOpWOC5d+8='),
      false,
      'the MQTT password is never printed',
    );
  });

  test('mqtt: strip with websocket.url: the section is created, mqtt removed: PASS', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-mqtt-gateway' }),
      yaml: `${WS}mqtt: strip\n`,
    });
    assert.equal(run.find('mqtt.present').status, 'pass');
    const ws = run.find('websocket.url');
    assert.equal(ws.status, 'pass');
    assert.equal(ws.title, 'devices get ws://192.168.1.10:8000/xiaozhi/v1/');
  });

  test('mqtt: strip without any websocket section to use instead: FAIL, held back', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-mqtt-gateway' }),
      yaml: 'mqtt: strip\n',
    });
    const mqtt = run.find('mqtt.present');
    assert.equal(mqtt.status, 'fail');
    assert.deepEqual(mqtt.detail, [
      'A device uses MQTT whenever the reply holds an `mqtt` object (docs/device-contract.md §3).',
      'mqtt: strip held back: the reply has no websocket section to use instead (the Python server sends mqtt *instead of* websocket when its MQTT gateway is on).',
    ]);
    assert.equal(
      mqtt.fix,
      'Set websocket.url (e.g. ws://{host}:8000/xiaozhi/v1/): with mqtt: strip the proxy then creates the websocket section.',
    );
  });

  test('no websocket wanted: MQTT is reported, not failed', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-mqtt-gateway' }),
    });
    assert.equal(run.find('mqtt.present').status, 'info');
  });
});
