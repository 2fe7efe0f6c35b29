/**
 * A passthrough request with `Expect: 100-continue`: the proxy answers the 100 itself (Node does, before
 * the handler runs), so the header is not forwarded — the body is already on its way and goes upstream
 * streamed, with its Content-Length.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { parseRawResponse } from '../helpers/raw-client.js';

describe('passthrough and Expect: 100-continue', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ responder: () => ({ kind: 'text', status: 201, body: 'stored' }) });
  });
  after(() => h.close());

  test('the client gets its 100 from the proxy; the upstream gets the body without Expect', async () => {
    const body = 'x'.repeat(5000);
    const socket = net.connect({ host: '127.0.0.1', port: h.port });
    socket.on('error', () => {});
    let raw = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const first = raw.length === 0;
      raw = Buffer.concat([raw, chunk]);
      // Like a real client: the body only after the interim 100.
      if (first && raw.toString('latin1').startsWith('HTTP/1.1 100 Continue\r\n\r\n')) socket.write(body);
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      `POST /mcp/upload HTTP/1.1\r\nHost: proxy.lan\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    await closed;
    const text = raw.toString('latin1');
    assert.ok(text.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), text.slice(0, 60));
    const final = parseRawResponse(raw.subarray('HTTP/1.1 100 Continue\r\n\r\n'.length));
    assert.equal(final.status, 201);
    assert.equal(final.body.toString(), 'stored');
    const got = h.upstream.received.at(-1);
    assert.equal(got?.body.toString(), body);
    assert.equal(got?.headers.expect, undefined);
    assert.equal(got?.headers['content-length'], String(body.length));
  });
});
