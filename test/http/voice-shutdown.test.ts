import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, test } from 'node:test';
import {
  closed,
  rawUpgrade,
  splitRawResponse,
  startVoiceHarness,
  waitFor,
} from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// Graceful shutdown: open voice sessions get the grace time, then their sockets are closed; new
// upgrades are refused with 503 meanwhile; shutdown resolves once every socket is gone.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function harness(options: Parameters<typeof startVoiceHarness>[0] = {}): Promise<VoiceHarness> {
  const h = await startVoiceHarness(options);
  cleanups.push(() => h.close());
  return h;
}

test('a session still open at shutdown(200) is closed after about 200 ms', async () => {
  const h = await harness();
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect();
  const upstreamSide = await upstreamConnected;
  const atDevice = closed(ws);
  const atUpstream = closed(upstreamSide.ws);

  const started = performance.now();
  const done = h.proxy.shutdown(200);
  assert.equal((await atDevice).code, 1006);
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 1500, `closed after ${elapsed} ms`);
  assert.equal((await atUpstream).code, 1006);
  await done;
  assert.equal(h.proxy.stats().open, 0);
  assert.equal(await h.front.connectionCount(), 0);
  const line = h.logs.lines.find((l) => l.msg === 'voice session closed');
  assert.equal(line?.closedBy, 'shutdown');
});

test('a session that ends on its own lets shutdown resolve early', async () => {
  const h = await harness();
  const ws = await h.connect();
  const started = performance.now();
  const done = h.proxy.shutdown(5000);
  setTimeout(() => ws.close(1000), 50);
  await done;
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 1500, `resolved after ${elapsed} ms`);
  assert.equal(h.proxy.stats().closed, 1);
  assert.equal(h.logs.lines.find((l) => l.msg === 'voice session closed')?.closedBy, 'device');
});

test('new upgrades during shutdown get a framed 503 with Connection: close', async () => {
  const h = await harness();
  const ws = await h.connect();
  const done = h.proxy.shutdown(5000);
  const { statusLine, headerLines, body } = splitRawResponse(await rawUpgrade(h.front.port));
  assert.equal(statusLine, 'HTTP/1.1 503 Service Unavailable');
  assert.ok(headerLines.includes(`Content-Length: ${body.length}`));
  assert.ok(headerLines.includes('Connection: close'));
  // The open session is untouched by the refusal.
  assert.equal(h.proxy.stats().open, 1);
  ws.close(1000);
  await done;
  assert.equal(h.proxy.stats().upgradeFailures, 1);
});

test('with nothing open, shutdown resolves at once and twice gives the same promise', async () => {
  const h = await harness();
  const started = performance.now();
  const first = h.proxy.shutdown(5000);
  assert.equal(h.proxy.shutdown(10), first);
  await first;
  assert.ok(performance.now() - started < 200);
});

test('an upgrade still waiting for the upstream at the end of the grace is dropped', async () => {
  const accepted: net.Socket[] = [];
  const silent = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume();
    accepted.push(socket);
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  cleanups.push(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });
  const h = await harness({ target: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}` });
  const ws = h.device();
  await waitFor(() => accepted.length === 1);
  const failed = once(ws, 'error');
  await h.proxy.shutdown(100);
  await failed;
  await waitFor(() => accepted.every((socket) => socket.closed));
  assert.deepEqual(
    { opened: h.proxy.stats().opened, upgradeFailures: h.proxy.stats().upgradeFailures },
    { opened: 0, upgradeFailures: 1 },
  );
  assert.equal(await h.front.connectionCount(), 0);
});
