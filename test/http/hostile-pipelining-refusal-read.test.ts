/**
 * A connection refused for pipelining too much gets its replies even when it reads them late. The client
 * is still writing its flood when the closing 503 comes; closed at once with those unread requests in its
 * receive buffer, the proxy's kernel resets the connection, the client's next write fails, and the replies
 * it had not read yet are lost with the socket. Seen in CI as "a connection closed without any reply" in
 * the pipelining-flood test when the attacker process was slow to read. Here the client holds off reading
 * on purpose, then reads: it must find every answer, the 503 last, and the end of the stream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCapture } from '../helpers/captures.js';
import { deviceCheck } from '../helpers/device-requests.js';
import { startHarness } from '../helpers/proxy-harness.js';

test('a refused pipelining client that reads late still gets every reply, the closing 503 last', async (t) => {
  const captured = readCapture('python-default-post', 'response').raw;
  const h = await startHarness({ responder: () => ({ kind: 'raw', bytes: captured }) });
  t.after(() => h.close());

  const one = deviceCheck({ drop: ['Connection'] });
  // Far more than the kernel's buffers hold: the client is still writing when the proxy refuses.
  const flood = Buffer.concat(Array.from({ length: 4000 }, () => one));
  const socket = net.connect({ host: '127.0.0.1', port: h.port });
  const chunks: Buffer[] = [];
  let error: Error | null = null;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (e) => (error = e));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(flood);
  socket.pause();
  // The proxy answers the first checks, refuses the next and closes meanwhile; nothing is read yet.
  await sleep(500);
  socket.resume();
  await closed;

  const text = Buffer.concat(chunks).toString('latin1');
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  assert.ok(statuses.length > 0, `no reply read (${error === null ? 'closed' : String(error)})`);
  assert.equal(statuses.at(-1), 503, `statuses ${statuses.join(' ')}`);
  assert.ok(
    statuses.slice(0, -1).every((s) => s === 200),
    `statuses ${statuses.join(' ')}`,
  );
  // The whole closing reply arrived: its body is the last thing on the connection.
  assert.match(text, /too many pipelined requests\n$/);
});
