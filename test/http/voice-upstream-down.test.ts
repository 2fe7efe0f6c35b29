import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { rawUpgrade, splitRawResponse, startVoiceHarness, waitFor } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// An upstream that is down at upgrade time: the device gets a clean, complete 502 it will retry,
// framed like every reply the proxy writes itself (docs/configuration.md "Framing and paths").
async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness({ target: `ws://127.0.0.1:${await closedPort()}` });
});
after(() => h.close());

test('the device gets 502 with Content-Length, Date and Connection: close, and nothing else', async () => {
  const raw = await rawUpgrade(h.front.port);
  const { statusLine, headerLines, body } = splitRawResponse(raw);
  assert.equal(statusLine, 'HTTP/1.1 502 Bad Gateway');
  assert.deepEqual(
    headerLines.map((line) => line.slice(0, line.indexOf(':'))),
    ['Content-Type', 'Content-Length', 'Date', 'Connection'],
  );
  assert.equal(headerLines[1], `Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  assert.match(headerLines[2] ?? '', /^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  assert.equal(headerLines[3], 'Connection: close');
  assert.equal(body, 'voice upstream unreachable\n');
});

test('a ws client sees the 502 as an unexpected response', async () => {
  const ws = h.device();
  const [, res] = (await once(ws, 'unexpected-response')) as [
    unknown,
    { statusCode: number; headers: Record<string, string> },
  ];
  assert.equal(res.statusCode, 502);
  ws.terminate();
});

test('every failed upgrade is counted, none opened, and no socket stays open', async () => {
  await waitFor(async () => (await h.front.connectionCount()) === 0);
  const stats = h.proxy.stats();
  assert.equal(stats.upgradeFailures, 2);
  assert.equal(stats.opened, 0);
  assert.equal(stats.open, 0);
  const warning = h.logs.lines.find((line) => line.msg === 'voice upstream unreachable');
  assert.equal((warning?.err as { code?: string } | undefined)?.code, 'ECONNREFUSED');
  assert.equal(warning?.reply, 502);
});
