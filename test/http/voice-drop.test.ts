import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { closed, startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// When either side vanishes without a close handshake (power loss, Wi-Fi gone, a reset), the
// other side is closed too, and a reset never crashes the process.
let h: VoiceHarness;
before(async () => {
  // A short linger so a half-open peer cannot slow the test; real values are seconds.
  h = await startVoiceHarness({ proxy: { closeLingerMs: 500 } });
});
after(() => h.close());

/** The socket under a `ws` WebSocket (a private field, used here only to simulate a reset). */
function rawSocketOf(ws: unknown): net.Socket {
  const socket = (ws as { _socket?: net.Socket })._socket;
  assert.ok(socket);
  return socket;
}

test('a device that drops its connection gets the upstream closed (1006 there)', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect();
  const upstreamSide = await upstreamConnected;
  const atUpstream = closed(upstreamSide.ws);
  ws.terminate();
  assert.equal((await atUpstream).code, 1006);
  await waitFor(() => h.proxy.stats().open === 0);
  assert.equal(h.logs.lines.filter((l) => l.msg === 'voice session closed').at(-1)?.closedBy, 'device');
});

test('an upstream that drops its connection gets the device closed (1006 there)', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect();
  const upstreamSide = await upstreamConnected;
  const atDevice = closed(ws);
  upstreamSide.ws.terminate();
  assert.equal((await atDevice).code, 1006);
  await waitFor(() => h.proxy.stats().open === 0);
  assert.equal(h.logs.lines.filter((l) => l.msg === 'voice session closed').at(-1)?.closedBy, 'upstream');
});

test('a device connection reset (RST) closes the upstream and does not crash the proxy', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const device = net.connect(h.front.port, '127.0.0.1');
  device.on('error', () => undefined);
  await once(device, 'connect');
  device.write(
    'GET /xiaozhi/v1/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  const [first] = (await once(device, 'data')) as [Buffer];
  assert.match(first.toString('latin1'), /^HTTP\/1\.1 101 /);
  const upstreamSide = await upstreamConnected;
  const atUpstream = closed(upstreamSide.ws);
  device.resetAndDestroy();
  assert.equal((await atUpstream).code, 1006);
  await waitFor(() => h.proxy.stats().open === 0);
});

test('an upstream connection reset (RST) closes the device and does not crash the proxy', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect();
  const upstreamSide = await upstreamConnected;
  const atDevice = closed(ws);
  rawSocketOf(upstreamSide.ws).resetAndDestroy();
  assert.equal((await atDevice).code, 1006);
  await waitFor(() => h.proxy.stats().open === 0);
});

test('after every drop, no socket is left open on the listener', async () => {
  await waitFor(async () => (await h.front.connectionCount()) === 0);
  const stats = h.proxy.stats();
  // One session per test above, each opened and closed.
  assert.deepEqual(
    { open: stats.open, opened: stats.opened, closed: stats.closed },
    { open: 0, opened: 4, closed: 4 },
  );
});
