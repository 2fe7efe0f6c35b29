import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closed, startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// A close frame is just bytes to the proxy: whoever starts the close handshake, the other side
// receives its code and reason, and both connections end.
let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness();
});
after(() => h.close());

function closeLines(): Array<Record<string, unknown>> {
  return h.logs.lines.filter((line) => line.msg === 'voice session closed');
}

test('a close started by the device reaches the upstream with its code and reason', async () => {
  const before = h.proxy.stats().closed;
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect();
  const upstreamSide = await upstreamConnected;
  const atUpstream = closed(upstreamSide.ws);
  const atDevice = closed(ws);
  ws.close(4001, 'device going to sleep');
  assert.deepEqual(await atUpstream, { code: 4001, reason: 'device going to sleep' });
  // The upstream answers the handshake by echoing the code (RFC 6455 §5.5.1).
  assert.equal((await atDevice).code, 4001);
  await waitFor(() => h.proxy.stats().closed === before + 1);
  assert.equal(h.proxy.stats().open, 0);
  const line = closeLines().at(-1);
  assert.equal(line?.closedBy, 'device');
  assert.equal(line?.closeCode, 4001);
});

test('a close started by the upstream reaches the device with its code and reason', async () => {
  const before = h.proxy.stats().closed;
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect();
  const upstreamSide = await upstreamConnected;
  const atDevice = closed(ws);
  const atUpstream = closed(upstreamSide.ws);
  upstreamSide.ws.close(4002, 'session expired');
  assert.deepEqual(await atDevice, { code: 4002, reason: 'session expired' });
  assert.equal((await atUpstream).code, 4002);
  await waitFor(() => h.proxy.stats().closed === before + 1);
  assert.equal(h.proxy.stats().open, 0);
  const line = closeLines().at(-1);
  assert.equal(line?.closedBy, 'upstream');
  assert.equal(line?.closeCode, 4002);
});

test('a close without a status code passes as such (1005 at the peer)', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect();
  const upstreamSide = await upstreamConnected;
  const atUpstream = closed(upstreamSide.ws);
  ws.close();
  assert.equal((await atUpstream).code, 1005);
  await waitFor(() => h.proxy.stats().open === 0);
  const line = closeLines().at(-1);
  assert.equal(line?.closedBy, 'device');
  assert.equal(line?.closeCode, null);
});
