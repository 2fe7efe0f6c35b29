import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closed, nextMessages, startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// One line when a session opens (device, address, path) and one when it closes (duration, bytes
// each way, who closed); the query string, which may carry a token, is never logged.
let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness();
});
after(() => h.close());

test('a session logs one open line and one close line with its numbers', async () => {
  const ws = await h.connect('/xiaozhi/v1/?authorization=Bearer%20secret-token', {
    headers: { 'Device-Id': 'AA:BB:CC:DD:EE:03', Authorization: 'Bearer secret-token' },
  });
  const reply = nextMessages(ws, 1);
  ws.send(Buffer.alloc(100, 1), { binary: true });
  await reply;
  const closing = closed(ws);
  ws.close(1000);
  await closing;
  await waitFor(() => h.proxy.stats().closed === 1);

  const opened = h.logs.lines.filter((line) => line.msg === 'voice session opened');
  const closedLines = h.logs.lines.filter((line) => line.msg === 'voice session closed');
  assert.equal(opened.length, 1);
  assert.equal(closedLines.length, 1);
  const [open] = opened;
  const [close] = closedLines;
  assert.deepEqual(open?.device, { id: 'aa:bb:cc:dd:ee:03' });
  assert.deepEqual(open?.client, { address: '127.0.0.1' });
  assert.deepEqual(open?.voice, { session: 1, path: '/xiaozhi/v1/' });
  assert.equal(open?.level, 30);

  assert.deepEqual(close?.voice, open?.voice);
  assert.equal(typeof close?.durationMs, 'number');
  // 100 bytes of payload each way plus framing (masked from the device: 2 + 4) and the close
  // frames with code 1000 (device 2 + 4 + 2, upstream 2 + 2).
  assert.equal(close?.bytesToUpstream, 100 + 6 + 8);
  assert.equal(close?.bytesToDevice, 100 + 2 + 4);
  assert.equal(close?.closedBy, 'device');
  assert.equal(close?.closeCode, 1000);
  assert.equal(close?.closeFrame, true);

  assert.ok(!JSON.stringify(h.logs.lines).includes('secret-token'), 'a token reached the log');
});

test('a device id is taken from the query when the header is missing (web clients)', async () => {
  const ws = await h.connect('/xiaozhi/v1/?device-id=AA:BB:CC:DD:EE:04&client-id=x');
  const open = h.logs.lines.filter((line) => line.msg === 'voice session opened').at(-1);
  assert.deepEqual(open?.device, { id: 'aa:bb:cc:dd:ee:04' });
  ws.terminate();
});
