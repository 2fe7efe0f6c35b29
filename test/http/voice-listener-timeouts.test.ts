import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closed, nextMessages, startVoiceHarness } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// The listener's request timeouts (limits.headers_timeout_ms / request_timeout_ms, checked every
// connectionsCheckingInterval) bound HTTP requests, not voice sessions: a session outlives them.
let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness({
    serverOptions: {
      headersTimeout: 200,
      requestTimeout: 300,
      connectionsCheckingInterval: 50,
      keepAliveTimeout: 100,
    },
  });
});
after(() => h.close());

test('a voice session lives past the listener request timeout', async () => {
  const ws = await h.connect();
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal(ws.readyState, ws.OPEN);
  const reply = nextMessages(ws, 1);
  ws.send('still here');
  assert.equal((await reply)[0]?.data.toString(), 'still here');
  const closing = closed(ws);
  ws.close(1000);
  assert.equal((await closing).code, 1000);
});
