/** One log line per OTA check: device, board, version, upstream status and latency, rules, repairs (then warn); secrets redacted. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRequest } from '../helpers/captures.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

describe('the check log line', () => {
  let h: Harness;
  let reply: Reply = { kind: 'capture', name: 'python-auth-token' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nmqtt: strip\n',
    });
  });
  after(() => h.close());

  test('names the device, the upstream status and latency and the rules applied, at info', async () => {
    reply = { kind: 'capture', name: 'python-auth-token' };
    const before = h.exchanges().length;
    await rawRequest(h.port, deviceRequest('python-default-post'));
    const lines = h.exchanges().slice(before);
    assert.equal(lines.length, 1, 'exactly one line per check');
    const line = lines[0] as Record<string, unknown>;
    assert.equal(line.level, 30);
    assert.deepEqual(line.device, { id: 'aa:bb:cc:dd:ee:01', board: 'bread-compact-wifi', version: '1.6.0' });
    const upstream = line.upstream as { status: number; ms: number };
    assert.equal(upstream.status, 200);
    assert.equal(typeof upstream.ms, 'number');
    assert.deepEqual(line.rules, ['websocket']);
    assert.equal(line.outcome, 'rewritten');
  });

  test('guard repairs are named and the line is written at warn', async () => {
    reply = {
      kind: 'json',
      body: {
        websocket: { url: 'ws://a/', version: '3' },
        server_time: { timestamp: 1795300269, timezone_offset: 330.0 },
      },
    };
    await rawRequest(h.port, deviceRequest('python-default-post'));
    const line = h.exchanges().at(-1) as Record<string, unknown>;
    assert.equal(line.level, 40);
    assert.deepEqual(line.repairs, ['websocket.version-number', 'server_time.timestamp-ms']);
  });

  test('no token or MQTT password appears in any log line', async () => {
    reply = { kind: 'capture', name: 'java-mqtt-and-websocket' };
    await rawRequest(h.port, deviceRequest('python-default-post'));
    const all = JSON.stringify(h.logs);
    assert.equal(all.includes('RkFJLM2x5xtfBNoYQHXQpkXa3piyzB4JrkkDW9hJpSc'), false);
    assert.equal(all.includes('cqz6nGvi/T6aYVMcyMr3yhQxws0rOwIzDwXmVBk/qXE='), false);
  });
});
