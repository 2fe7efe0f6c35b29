import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { closed, nextMessages, startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// 1 MiB in frames the size of Opus packets: every byte, in order, both ways, counted exactly.
const FRAME_BYTES = 256;
const FRAMES = (1024 * 1024) / FRAME_BYTES;

let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness();
});
after(() => h.close());

test('1 MiB of binary in small frames reaches the upstream and comes back intact', async () => {
  const ws = await h.connect();
  const upstreamSide = h.upstream.connections.at(-1);
  assert.ok(upstreamSide);
  const atUpstream = createHash('sha256');
  let upstreamBytes = 0;
  upstreamSide.ws.on('message', (data: Buffer) => {
    atUpstream.update(data);
    upstreamBytes += data.length;
  });

  const sent = createHash('sha256');
  const echoes = nextMessages(ws, FRAMES);
  for (let i = 0; i < FRAMES; i++) {
    const frame = Buffer.alloc(FRAME_BYTES, i & 0xff);
    frame.writeUInt32BE(i, 0);
    sent.update(frame);
    ws.send(frame, { binary: true });
  }
  const received = await echoes;
  const back = createHash('sha256');
  for (const [i, message] of received.entries()) {
    assert.equal(message.isBinary, true);
    assert.equal(message.data.length, FRAME_BYTES);
    assert.equal(message.data.readUInt32BE(0), i);
    back.update(message.data);
  }
  const digest = sent.digest('hex');
  assert.equal(upstreamBytes, FRAMES * FRAME_BYTES);
  assert.equal(atUpstream.digest('hex'), digest);
  assert.equal(back.digest('hex'), digest);

  const closing = closed(ws);
  ws.close(1000);
  assert.equal((await closing).code, 1000);
  await waitFor(() => h.proxy.stats().open === 0);

  // Wire bytes after the 101: each device frame is masked (2 + 2 extended length + 4 mask), each
  // upstream frame is not (2 + 2); the close frames carry code 1000 (device 2 + 4 + 2, upstream 2 + 2).
  const stats = h.proxy.stats();
  assert.equal(stats.bytesToUpstream, FRAMES * (FRAME_BYTES + 8) + 8);
  assert.equal(stats.bytesToDevice, FRAMES * (FRAME_BYTES + 4) + 4);
  assert.deepEqual(
    { opened: stats.opened, closed: stats.closed, upgradeFailures: stats.upgradeFailures },
    { opened: 1, closed: 1, upgradeFailures: 0 },
  );
});
