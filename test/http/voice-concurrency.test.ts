import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closed, nextMessages, startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// 500 devices at once: every session opens, echoes, closes, and afterwards no socket is left on the
// listener, in the proxy or at the upstream.
const SESSIONS = 500;

let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness();
});
after(() => h.close());

test(`${SESSIONS} concurrent sessions open, echo once and close without leaking a socket`, async () => {
  const devices = await Promise.all(
    Array.from({ length: SESSIONS }, (_, i) =>
      h.connect('/xiaozhi/v1/', {
        headers: {
          'Device-Id': `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`,
        },
      }),
    ),
  );
  assert.equal(h.proxy.stats().open, SESSIONS);

  const echoes = await Promise.all(
    devices.map(async (ws, i) => {
      const reply = nextMessages(ws, 1);
      ws.send(`{"type":"listen","n":${i}}`);
      const [message] = await reply;
      return message?.data.toString('utf8');
    }),
  );
  assert.deepEqual(
    echoes,
    devices.map((_, i) => `{"type":"listen","n":${i}}`),
  );

  const codes = await Promise.all(
    devices.map(async (ws) => {
      const closing = closed(ws);
      ws.close(1000);
      return (await closing).code;
    }),
  );
  assert.ok(codes.every((code) => code === 1000));

  await waitFor(() => h.proxy.stats().open === 0, 5000);
  await waitFor(async () => (await h.front.connectionCount()) === 0, 5000);
  await waitFor(async () => (await h.upstream.connectionCount()) === 0, 5000);
  await waitFor(() => h.upstream.connections.every(({ ws }) => ws.readyState === ws.CLOSED), 5000);
  const stats = h.proxy.stats();
  assert.deepEqual(
    { open: stats.open, opened: stats.opened, closed: stats.closed, upgradeFailures: stats.upgradeFailures },
    { open: 0, opened: SESSIONS, closed: SESSIONS, upgradeFailures: 0 },
  );
  assert.equal(h.logs.lines.filter((line) => line.msg === 'voice session closed').length, SESSIONS);
});
