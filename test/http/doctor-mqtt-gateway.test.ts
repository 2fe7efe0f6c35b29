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
    assert.match(mqtt.title, /mqtt\.example\.com:1883/);
    assert.match(mqtt.fix ?? '', /mqtt: strip/);
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
    assert.match(ws.title, /ws:\/\/192\.168\.1\.10:8000\/xiaozhi\/v1\//);
  });

  test('mqtt: strip without any websocket section to use instead: FAIL, held back', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-mqtt-gateway' }),
      yaml: 'mqtt: strip\n',
    });
    const mqtt = run.find('mqtt.present');
    assert.equal(mqtt.status, 'fail');
    assert.ok(mqtt.detail?.some((l) => l.includes('held back')));
    assert.match(mqtt.fix ?? '', /websocket\.url/);
  });

  test('no websocket wanted: MQTT is reported, not failed', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-mqtt-gateway' }),
    });
    assert.equal(run.find('mqtt.present').status, 'info');
  });
});
