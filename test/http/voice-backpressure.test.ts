import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// A device that stops reading must slow the upstream down, not fill the proxy's memory: the proxy
// may hold about one stream buffer per direction, whatever the kernel buffers hold.
const CHUNK = 32 * 1024;
const CHUNKS = 1024; // 32 MiB: more than the loopback socket buffers can take
const BOUND = 1024 * 1024;

let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness({ upstream: { echo: false } });
});
after(() => h.close());

test('a paused device makes the proxy pause the upstream instead of buffering', async () => {
  const ws = await h.connect();
  const upstreamSide = h.upstream.connections.at(-1);
  const proxySocket = h.front.upgradeSockets.at(-1);
  assert.ok(upstreamSide && proxySocket);

  const received = createHash('sha256');
  let receivedBytes = 0;
  ws.on('message', (data: Buffer) => {
    received.update(data);
    receivedBytes += data.length;
  });
  ws.pause();

  let maxBuffered = 0;
  let sawNeedDrain = false;
  const sampler = setInterval(() => {
    maxBuffered = Math.max(maxBuffered, proxySocket.writableLength);
    sawNeedDrain ||= proxySocket.writableNeedDrain;
  }, 1);

  const sent = createHash('sha256');
  for (let i = 0; i < CHUNKS; i++) {
    const chunk = Buffer.alloc(CHUNK, i & 0xff);
    sent.update(chunk);
    upstreamSide.ws.send(chunk, { binary: true });
  }
  try {
    // The upstream cannot get rid of everything while the device reads nothing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(upstreamSide.ws.bufferedAmount > 0, 'the upstream should be held back');
    assert.ok(sawNeedDrain, 'the device-side socket should have signalled backpressure');
    assert.ok(maxBuffered < BOUND, `the proxy buffered ${maxBuffered} bytes for the device`);

    ws.resume();
    await waitFor(() => receivedBytes === CHUNK * CHUNKS, 8000);
    assert.ok(maxBuffered < BOUND, `the proxy buffered ${maxBuffered} bytes for the device`);
    assert.equal(received.digest('hex'), sent.digest('hex'));
  } finally {
    clearInterval(sampler);
  }
});
