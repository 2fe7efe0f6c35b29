/**
 * Paths the proxy does not answer itself go upstream as is through http-proxy, streamed, with hop-by-hop
 * headers (Connection and what it lists, Keep-Alive, TE, Trailer, Upgrade …) dropped both ways.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { headerOf, rawRequest } from '../helpers/raw-client.js';

describe('passthrough of other paths', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      responder: (req) =>
        req.url.startsWith('/mcp/')
          ? {
              kind: 'raw',
              bytes:
                'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Custom: yes\r\nKeep-Alive: timeout=5\r\nConnection: close, X-Secret-Hop\r\nX-Secret-Hop: 1\r\nTrailer: Expires\r\nContent-Length: 11\r\n\r\n{"ok":true}',
            }
          : { kind: 'text', body: 'other' },
    });
  });
  after(() => h.close());

  test('request: body and end-to-end headers forwarded, hop-by-hop dropped, path and query kept', async () => {
    const body = '{"question":"what is this"}';
    const res = await rawRequest(
      h.port,
      `POST /mcp/vision/explain?x=1 HTTP/1.1\r\nHost: proxy.lan\r\nAuthorization: Bearer abc\r\nTE: trailers\r\nConnection: close, X-Drop-Me\r\nX-Drop-Me: 1\r\nKeep-Alive: timeout=9\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.equal(res.status, 201);
    const got = h.upstream.received.at(-1);
    assert.equal(got?.url, '/mcp/vision/explain?x=1');
    assert.equal(got?.body.toString(), body);
    assert.equal(got?.headers.authorization, 'Bearer abc');
    assert.equal(got?.headers.te, undefined);
    assert.equal(got?.headers['x-drop-me'], undefined);
    assert.equal(got?.headers['keep-alive'], undefined);
    assert.equal(got?.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('response: end-to-end headers kept, hop-by-hop and Connection-listed ones dropped', async () => {
    const res = await rawRequest(
      h.port,
      'GET /mcp/x HTTP/1.1\r\nHost: proxy.lan\r\nConnection: close\r\n\r\n',
    );
    assert.equal(res.status, 201);
    assert.equal(headerOf(res, 'X-Custom'), 'yes');
    assert.equal(headerOf(res, 'X-Secret-Hop'), undefined);
    assert.equal(headerOf(res, 'Trailer'), undefined);
    assert.equal(headerOf(res, 'Keep-Alive'), undefined);
    assert.equal(res.body.toString(), '{"ok":true}');
  });

  test('a chunked request body is streamed upstream intact', async () => {
    const res = await rawRequest(
      h.port,
      'POST /mcp/upload HTTP/1.1\r\nHost: proxy.lan\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
    assert.equal(res.status, 201);
    assert.equal(h.upstream.received.at(-1)?.body.toString(), 'hello world');
  });

  test('upstream down: a clean 502', async () => {
    const closed = await startHarness({
      fullYaml: 'listen: 127.0.0.1:0\nupstream:\n  url: http://127.0.0.1:9\n',
    });
    try {
      const res = await rawRequest(
        closed.port,
        'GET /mcp/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      );
      assert.equal(res.status, 502);
    } finally {
      await closed.close();
    }
  });
});
