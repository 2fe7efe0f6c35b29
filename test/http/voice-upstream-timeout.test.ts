import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { rawUpgrade, splitRawResponse, startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// An upstream that accepts the connection but never answers the upgrade: the device gets a 504
// before its own 10 s handshake timeout (esp-ml307 web_socket.cc), and the upstream connection is
// dropped.
let silent: net.Server;
const accepted: net.Socket[] = [];
let h: VoiceHarness;

before(async () => {
  silent = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resume();
    accepted.push(socket);
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const { port } = silent.address() as AddressInfo;
  h = await startVoiceHarness({ target: `ws://127.0.0.1:${port}`, proxy: { upgradeTimeoutMs: 150 } });
});

after(async () => {
  await h.close();
  for (const socket of accepted) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

test('a silent upstream gives the device a framed 504 after the upgrade timeout', async () => {
  const started = performance.now();
  const { statusLine, headerLines, body } = splitRawResponse(await rawUpgrade(h.front.port));
  const elapsed = performance.now() - started;
  assert.equal(statusLine, 'HTTP/1.1 504 Gateway Timeout');
  assert.equal(
    headerLines.find((line) => line.startsWith('Content-Length:')),
    `Content-Length: ${body.length}`,
  );
  assert.ok(elapsed >= 140 && elapsed < 2000, `answered after ${elapsed} ms`);
});

test('the abandoned upstream connection is closed', async () => {
  await waitFor(() => accepted.length === 1 && accepted.every((socket) => socket.closed));
  await waitFor(async () => (await h.front.connectionCount()) === 0);
  assert.equal(h.proxy.stats().upgradeFailures, 1);
});
