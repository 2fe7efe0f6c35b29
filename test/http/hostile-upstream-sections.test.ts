/**
 * Upstream sections the property tests caught slipping past the device guard, pinned as exact replies on
 * the raw socket (docs/device-contract.md §3): a websocket `url` that is not ws(s)://, a `version` or
 * `keepalive` that is no number, an implausible clock, and an `activation` in an object without other
 * sections — none may reach a device as sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck, LEGACY_DEVICE } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const cases: [string, string, unknown, string[]][] = [
  [
    'a websocket url that is not ws(s):// is dropped (the stored one stays)',
    '{"websocket":{"url":"http://172.21.0.5:8000/xiaozhi/v1/","token":"t"}}',
    { websocket: { token: 't' } },
    ['websocket.url-dropped:not-ws'],
  ],
  [
    'a websocket version that is no number is dropped',
    '{"websocket":{"url":"ws://a/","version":"v3"}}',
    { websocket: { url: 'ws://a/' } },
    ['websocket.version-dropped:not-number'],
  ],
  [
    'an mqtt keepalive that is no number is dropped',
    '{"mqtt":{"endpoint":"mqtt.example.com:1883","keepalive":null}}',
    { mqtt: { endpoint: 'mqtt.example.com:1883' } },
    ['mqtt.keepalive-dropped'],
  ],
  [
    'a clock before 2001 is dropped, not set',
    '{"server_time":{"timestamp":3000,"timezone_offset":480},"websocket":{"url":"ws://a/"}}',
    { server_time: { timezone_offset: 480 }, websocket: { url: 'ws://a/' } },
    ['server_time.timestamp-dropped:implausible'],
  ],
  [
    'activation without other sections passes the guard (no error shape)',
    '{"ACTIVATION":{"code":123456,"message":"bind me","challenge":"c"}}',
    { activation: { message: 'bind me', challenge: 'c' } },
    ['activation.code-dropped:not-string'],
  ],
];

describe('upstream sections that used to slip past the guard', () => {
  let h: Harness;
  let reply: Reply = { kind: 'reset' };
  before(async () => {
    h = await startHarness({ responder: () => reply });
  });
  after(() => h.close());

  for (const [name, body, expected, repairs] of cases) {
    test(name, async () => {
      reply = { kind: 'text', body, headers: { 'Content-Type': 'application/json' } };
      const res = await rawRequest(h.port, deviceCheck());
      assert.deepEqual(contractViolations(res, CAPTURED_DEVICE), []);
      assert.deepEqual(JSON.parse(res.body.toString('utf8')), expected);
      assert.deepEqual(h.exchanges().at(-1)?.repairs, repairs);
    });
  }

  test('a device ≤ 1.5.9 gets its firmware object with such an activation reply', async () => {
    reply = {
      kind: 'text',
      body: '{"activation":{"code":"123456"}}',
      headers: { 'Content-Type': 'application/json' },
    };
    const res = await rawRequest(h.port, deviceCheck({ drop: ['Activation-Version'] }));
    assert.deepEqual(contractViolations(res, LEGACY_DEVICE), []);
    assert.deepEqual(JSON.parse(res.body.toString('utf8')), {
      activation: { code: '123456' },
      firmware: { version: '1.6.0', url: '' },
    });
  });

  test('a real error shape still passes untouched', async () => {
    reply = { kind: 'capture', name: 'python-no-device-id' };
    const res = await rawRequest(h.port, deviceCheck({ drop: ['Activation-Version'] }));
    assert.equal(res.body.toString('utf8'), '{"success":false,"message":"request error."}');
  });
});
