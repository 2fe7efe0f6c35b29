import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rawUpgrade, splitRawResponse, startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// An upgrade on the voice path that is not a WebSocket handshake gets a framed 400 instead of
// http-proxy's silent socket destroy (passes/ws-incoming.js checkMethodAndHeader); the upstream
// never sees it.
let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness();
});
after(() => h.close());

test('an h2c upgrade gets 400', async () => {
  const { statusLine, headerLines, body } = splitRawResponse(
    await rawUpgrade(h.front.port, { upgrade: 'h2c' }),
  );
  assert.equal(statusLine, 'HTTP/1.1 400 Bad Request');
  assert.ok(headerLines.includes(`Content-Length: ${body.length}`));
  assert.ok(headerLines.includes('Connection: close'));
});

test('a POST with Upgrade: websocket gets 400', async () => {
  const { statusLine } = splitRawResponse(await rawUpgrade(h.front.port, { method: 'POST' }));
  assert.equal(statusLine, 'HTTP/1.1 400 Bad Request');
});

test('neither reached the upstream and no socket is left', async () => {
  assert.equal(h.upstream.connections.length, 0);
  await waitFor(async () => (await h.front.connectionCount()) === 0);
  assert.equal(h.proxy.stats().upgradeFailures, 2);
});
