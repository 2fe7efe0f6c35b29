/**
 * The fallback's clock (docs/configuration.md "Fallback reply"): `timestamp` is the proxy's clock in milliseconds; the
 * offset comes from the matching `server_time` item, or with `timezone: upstream` from the last offset the
 * upstream sent, else from the process's local zone (docs/device-contract.md §3: integer minutes).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const NOW = 1795300269823; // 2026-11-21T22:31:09.823Z: winter, Europe/Berlin is +60

// The proxy runs in this process: a zone of +05:45 all year, so "the local zone" cannot pass by being UTC's 0.
process.env.TZ = 'Asia/Kathmandu';

describe('the fallback clock', () => {
  let h: Harness;
  let reply: Reply = { kind: 'reset' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      now: () => NOW,
      yaml: [
        'websocket:',
        '  url: ws://{host}:8000/xiaozhi/v1/',
        'server_time:',
        '  - when: {board: m5stack-stack-chan}',
        '    offset_minutes: 0',
        '  - when: {devices: ["aa:bb:cc:dd:ee:0b"]}',
        '    timezone: Europe/Berlin',
        '  - timezone: upstream',
        'breaker:',
        '  failures: 1000',
        '',
      ].join('\n'),
    });
  });
  after(() => h.close());

  async function fallbackTime(request: Buffer): Promise<{ timestamp: number; timezone_offset: number }> {
    reply = { kind: 'reset' };
    const res = await rawRequest(h.port, request);
    assert.deepEqual(contractViolations(res, CAPTURED_DEVICE, { fallback: true }), []);
    return (
      JSON.parse(res.body.toString('utf8')) as { server_time: { timestamp: number; timezone_offset: number } }
    ).server_time;
  }

  test('before the upstream ever answered: the local zone of the process', async () => {
    const time = await fallbackTime(deviceCheck());
    assert.deepEqual(time, { timestamp: NOW, timezone_offset: 345 });
  });

  test('with timezone: upstream, the last offset the upstream sent', async () => {
    reply = { kind: 'capture', name: 'python-timezone-fraction' }; // timezone_offset 330.0
    assert.equal((await rawRequest(h.port, deviceCheck())).status, 200);
    assert.deepEqual(await fallbackTime(deviceCheck()), { timestamp: NOW, timezone_offset: 330 });
    // Another device benefits too: the offset is the upstream's, not a device's.
    assert.deepEqual(await fallbackTime(deviceCheck({ set: [['Device-Id', 'aa:bb:cc:dd:ee:0c']] })), {
      timestamp: NOW,
      timezone_offset: 330,
    });
  });

  test('a matching zone item wins: fixed offset, or the zone at this instant', async () => {
    const stackChan = deviceCheck({
      set: [['User-Agent', 'm5stack-stack-chan/1.2.4']],
      body: '{"board":{"type":"m5stack-stack-chan","name":"m5stack-stack-chan"},"application":{"version":"1.2.4"}}',
    });
    assert.deepEqual(await fallbackTime(stackChan), { timestamp: NOW, timezone_offset: 0 });
    const berlin = await fallbackTime(deviceCheck({ set: [['Device-Id', 'aa:bb:cc:dd:ee:0b']] }));
    assert.deepEqual(berlin, { timestamp: NOW, timezone_offset: 60 });
  });
});
