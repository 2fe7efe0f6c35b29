/**
 * Passthrough concurrency is bounded by `passthrough.max_concurrent`: a request beyond it gets a framed 503
 * at once — only Content-Type, `Content-Length` spelled so, Date, and `Connection: close` when asked, never
 * chunked — and a slot frees as soon as a held request's client goes away.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { parseRawResponse, rawRequest, type RawResponse } from '../helpers/raw-client.js';

const LIMIT = 4;

/** Reads exactly one response (headers and its Content-Length body) from a keep-alive connection. */
function readOne(socket: Socket): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let raw = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      raw = Buffer.concat([raw, chunk]);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\nContent-Length: (\d+)/i.exec(raw.subarray(0, end).toString('latin1'))?.[1]);
      if (raw.length < end + 4 + length) return;
      socket.off('data', onData);
      resolve(parseRawResponse(raw));
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('passthrough over max_concurrent', () => {
  let h: Harness;
  const held: Socket[] = [];
  before(async () => {
    h = await startHarness({
      responder: (req) => (req.url.startsWith('/mcp/hold') ? { kind: 'hang' } : { kind: 'text', body: 'ok' }),
      yaml: `passthrough:\n  max_concurrent: ${LIMIT}\n`,
    });
  });
  after(async () => {
    for (const socket of held) socket.destroy();
    await h.close();
  });

  test('the request beyond the limit gets a framed 503 at once; a freed slot is usable again', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const socket = net.connect({ host: '127.0.0.1', port: h.port });
      socket.on('error', () => {});
      socket.write(`GET /mcp/hold/${i} HTTP/1.1\r\nHost: proxy.lan\r\n\r\n`);
      held.push(socket);
    }
    await eventually(() => h.upstream.received.length === LIMIT, { what: `${LIMIT} requests held upstream` });

    const started = performance.now();
    const closing = await rawRequest(
      h.port,
      'POST /mcp/vision/explain HTTP/1.1\r\nHost: proxy.lan\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
    );
    assert.ok(performance.now() - started < 1000, 'answered at once');
    assert.equal(closing.statusLine, 'HTTP/1.1 503 Service Unavailable');
    assert.deepEqual(
      closing.headers.map(([name]) => name),
      ['Content-Type', 'Content-Length', 'Date', 'Connection'],
    );
    assert.equal(closing.headers[3]?.[1], 'close');
    assert.equal(Number(closing.headers[1]?.[1]), closing.body.length);
    assert.equal(closing.raw.toString('latin1').toLowerCase().includes('transfer-encoding'), false);

    // A keep-alive client is not told to close (`Connection: keep-alive`, no `Keep-Alive` hint: only the
    // framing headers, docs/configuration.md "Framing and paths"), and the connection stays usable.
    const keepAlive = net.connect({ host: '127.0.0.1', port: h.port });
    try {
      for (const path of ['/mcp/other', '/mcp/again']) {
        keepAlive.write(`GET ${path} HTTP/1.1\r\nHost: proxy.lan\r\n\r\n`);
        const open = await readOne(keepAlive);
        assert.equal(open.statusLine, 'HTTP/1.1 503 Service Unavailable');
        assert.deepEqual(
          open.headers.map(([name]) => name),
          ['Content-Type', 'Content-Length', 'Date', 'Connection'],
        );
        assert.equal(open.headers[3]?.[1], 'keep-alive');
      }
    } finally {
      keepAlive.destroy();
    }
    assert.equal(h.upstream.received.length, LIMIT, 'nothing beyond the limit went upstream');

    // One held client leaves: its slot is free again.
    held.shift()?.destroy();
    let again: RawResponse | null = null;
    for (let attempt = 0; attempt < 40 && again?.status !== 200; attempt++) {
      if (attempt > 0) await sleep(50);
      again = await rawRequest(
        h.port,
        'GET /mcp/ok HTTP/1.1\r\nHost: proxy.lan\r\nConnection: close\r\n\r\n',
      );
    }
    assert.equal(again?.status, 200);
    assert.equal(again?.body.toString(), 'ok');
  });
});
