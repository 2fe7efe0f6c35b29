/**
 * A client the proxy refuses while it is still writing gets the refusal even when it reads late: a 503
 * for pipelining too much, a 413 for a body over the limit. Closed at once with the client's input unread,
 * the proxy's kernel resets the connection, the client's next write fails, and the replies it had not read
 * yet are lost with the socket (seen in CI as "a connection closed without any reply" in the
 * pipelining-flood test, with a slow attacker process). Here the client holds off reading on purpose,
 * then reads: it must find every answer, the refusal last, and the end of the stream.
 */
import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCapture } from '../helpers/captures.js';
import { deviceCheck } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';

/** Writes `bytes` at once, reads nothing for 500 ms, then reads to the end: the statuses and the text. */
async function readLate(port: number, bytes: Buffer): Promise<{ statuses: number[]; text: string }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let error: Error | null = null;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', (e) => (error = e));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(bytes);
  socket.pause();
  await sleep(500);
  socket.resume();
  await closed;
  const text = Buffer.concat(chunks).toString('latin1');
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  assert.ok(statuses.length > 0, `no reply read (${error === null ? 'closed' : String(error)})`);
  return { statuses, text };
}

describe('refused while still writing, read late', () => {
  let h: Harness;
  before(async () => {
    const captured = readCapture('python-default-post', 'response').raw;
    h = await startHarness({ responder: () => ({ kind: 'raw', bytes: captured }) });
  });
  after(() => h.close());

  test('a pipelining client gets every reply, the closing 503 last', async () => {
    // Far more than the kernel's buffers hold: the client is still writing when the proxy refuses.
    const one = deviceCheck({ drop: ['Connection'] });
    const { statuses, text } = await readLate(h.port, Buffer.concat(Array.from({ length: 4000 }, () => one)));
    assert.equal(statuses.at(-1), 503, `statuses ${statuses.join(' ')}`);
    assert.ok(
      statuses.slice(0, -1).every((s) => s === 200),
      `statuses ${statuses.join(' ')}`,
    );
    // The whole closing reply arrived: its body is the last thing on the connection.
    assert.match(text, /too many pipelined requests\n$/);
  });

  test('a body over the limit gets its 413', async () => {
    const body = Buffer.alloc(16 * 1024 * 1024, 0x20);
    const { statuses, text } = await readLate(h.port, deviceCheck({ body }));
    assert.deepEqual(statuses, [413]);
    assert.match(text, /request body over \d+ bytes\n$/);
  });
});
