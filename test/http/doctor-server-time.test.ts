/** doctor on server_time: the real 330.0 capture, a seconds timestamp (repaired by the guard), an offset in hours, and the zone compared with this machine's. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctorAgainst } from '../helpers/doctor-harness.js';

const WS = 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n';
const json = (serverTime: Record<string, unknown>) => () => ({
  kind: 'json' as const,
  body: { server_time: serverTime, websocket: { url: 'ws://192.168.1.10:8000/xiaozhi/v1/', token: '' } },
});

describe('doctor: server_time', () => {
  test('the float 330.0 of python-timezone-fraction is noted; UTC+05:30 differs from this machine (UTC): WARN with the zone to set', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-timezone-fraction' }),
      yaml: WS,
    });
    const offset = run.find('server_time.offset');
    assert.equal(offset.status, 'warn');
    assert.equal(
      offset.title,
      'devices get UTC+05:30 from the upstream, but this machine runs at UTC+00:00 (UTC)',
    );
    assert.equal(
      offset.detail?.[0],
      'the upstream sent it as the JSON number 330.0; devices read its whole part, and the proxy writes whole minutes',
    );
    assert.equal(offset.fix, 'If devices should show local time: server_time.timezone: UTC');
  });

  test('the same offset is a PASS when this machine runs at +05:30', async () => {
    const run = await runDoctorAgainst({
      responder: () => ({ kind: 'capture', name: 'python-timezone-fraction' }),
      yaml: WS,
      options: { localZone: { name: 'Asia/Kolkata', offsetMinutes: () => 330 } },
    });
    assert.equal(run.find('server_time.offset').status, 'pass');
  });

  test('a timestamp in seconds reaches devices in milliseconds: the guard repair is named', async () => {
    const now = Date.now();
    const run = await runDoctorAgainst({
      responder: json({ timestamp: Math.floor(now / 1000), timezone_offset: 0 }),
      yaml: WS,
    });
    const ts = run.find('server_time.timestamp');
    assert.equal(ts.status, 'pass');
    assert.deepEqual(ts.detail, [
      `the upstream sent ${Math.floor(now / 1000)} (seconds); the guard sends milliseconds`,
    ]);
    const rules = run.find('proxy.rules');
    assert.equal(rules.status, 'warn');
    assert.deepEqual(rules.detail, ['guard repair: server_time.timestamp-ms']);
  });

  test('an offset in hours (8) is a FAIL', async () => {
    const run = await runDoctorAgainst({
      responder: json({ timestamp: Date.now(), timezone_offset: 8 }),
      yaml: WS,
    });
    const offset = run.find('server_time.offset');
    assert.equal(offset.status, 'fail');
    assert.equal(offset.title, "timezone_offset 8 is no zone's offset in minutes (hours? 8 h = 480 min)");
  });

  test('an offset in seconds (28800) is a FAIL', async () => {
    const run = await runDoctorAgainst({
      responder: json({ timestamp: Date.now(), timezone_offset: 28800 }),
      yaml: WS,
    });
    const offset = run.find('server_time.offset');
    assert.equal(offset.status, 'fail');
    assert.equal(offset.title, 'timezone_offset 28800 is not minutes (seconds? 28800 s = 480 min)');
  });

  test("server_time.timezone configured: the proxy's own clock and zone, PASS", async () => {
    const run = await runDoctorAgainst({
      responder: json({ timestamp: 1, timezone_offset: 480 }),
      yaml: `${WS}server_time:\n  timezone: Asia/Kolkata\n`,
    });
    assert.equal(run.find('server_time.timestamp').status, 'pass');
    const offset = run.find('server_time.offset');
    assert.equal(offset.status, 'pass');
    assert.equal(offset.title, 'devices get UTC+05:30 (server_time.timezone: Asia/Kolkata)');
  });
});
