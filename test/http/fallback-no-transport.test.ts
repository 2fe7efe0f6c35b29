/**
 * When the fallback can name no transport for a device — nothing remembered, no websocket item, or only a
 * remembered section the device guard must drop — the device gets a clean 502 (504 for a timeout) and
 * retries, never a 200 without transport that would push it onto stale MQTT settings (docs/configuration.md "Fallback
 * reply").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFramingViolations } from '../helpers/device-contract.js';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

describe('the fallback without a transport to name', () => {
  let h: Harness;
  let reply: Reply = { kind: 'reset' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      fullYaml:
        'listen: 127.0.0.1:0\nupstream:\n  url: {{upstream}}\n  timeout_ms: 200\nbreaker:\n  failures: 1000\n',
    });
  });
  after(() => h.close());

  async function expectFailed(status: number, notes: string[], id = 'aa:bb:cc:dd:ee:01'): Promise<void> {
    const before = h.exchanges().length;
    const res = await rawRequest(h.port, deviceCheck({ set: [['Device-Id', id]] }));
    assert.equal(res.status, status);
    assert.deepEqual(errorFramingViolations(res), []);
    const line = await eventually(() => h.exchanges().slice(before)[0], { what: 'the check log line' });
    assert.equal(line.outcome, 'failed');
    assert.deepEqual(line.notes, notes);
  }

  test('a device never seen, with no websocket item: 502', async () => {
    reply = { kind: 'reset' };
    await expectFailed(502, ['upstream reset', 'fallback: no transport known for this device']);
  });

  test('the same for a timeout: 504', async () => {
    reply = { kind: 'hang' };
    await expectFailed(504, ['upstream timeout', 'fallback: no transport known for this device']);
  });

  test('a remembered section the guard must drop names no transport either', async () => {
    // A userinfo `:` in the authority makes the device's port parser throw: the guard drops that url, so the
    // device got a websocket section without url, and the fallback must not replay it as a transport.
    reply = {
      kind: 'json',
      body: { websocket: { url: 'ws://user:pw@voice.example.com/xiaozhi/v1/', token: 't' } },
    };
    const good = await rawRequest(h.port, deviceCheck({ set: [['Device-Id', 'aa:bb:cc:dd:ee:02']] }));
    assert.equal(good.status, 200);
    assert.deepEqual(JSON.parse(good.body.toString('utf8')), { websocket: { token: 't' } });
    reply = { kind: 'reset' };
    await expectFailed(
      502,
      ['upstream reset', 'fallback: no usable transport after the guard'],
      'aa:bb:cc:dd:ee:02',
    );
  });
});
