/**
 * Bogus Content-Length and Transfer-Encoding games (request smuggling) on proxied paths and the OTA path:
 * ambiguous framing is refused with a framed 400 and the connection closed, and the upstream only ever
 * sees requests the proxy itself parsed — re-framed, never a second request hidden in a body.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFramingViolations } from '../helpers/device-contract.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

/** Requests whose framing a front end and a back end could read differently. */
const ambiguous: [string, string][] = [
  [
    'Content-Length and Transfer-Encoding',
    `POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'two different Content-Lengths',
    `POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ],
  [
    'a list as Content-Length',
    `POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0, ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ],
  [
    'a signed Content-Length',
    `POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: +${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ],
  [
    'a Content-Length with letters',
    `POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1e2\r\n\r\n${SMUGGLED}`,
  ],
  [
    'Transfer-Encoding not ending in chunked',
    `POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'an unknown Transfer-Encoding',
    `POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'a space before the colon',
    `POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'an obs-folded Transfer-Encoding',
    `POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'a bare LF inside a header line',
    `POST {path} HTTP/1.1\r\nHost: x\r\nX-A: 1\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'a bad chunk size',
    `POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\nzz\r\n${SMUGGLED}`,
  ],
  [
    'a chunk without its CRLF',
    `POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n${SMUGGLED}`,
  ],
  [
    'a NUL in a header',
    `POST {path} HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\nContent-Length: 0\r\n\r\n${SMUGGLED}`,
  ],
];

describe('request smuggling', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      responder: () => ({ kind: 'text', body: 'ok' }),
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n',
    });
  });
  after(() => h.close());

  for (const path of ['/mcp/vision/explain', '/xiaozhi/ota/', '/xiaozhi/ota/activate']) {
    for (const [name, template] of ambiguous) {
      test(`${path}: ${name} → 400, nothing smuggled`, async () => {
        const before = h.upstream.received.length;
        const res = await rawRequest(h.port, template.replace('{path}', path), { timeoutMs: 5000 });
        assert.equal(res.status, 400, res.statusLine);
        assert.deepEqual(errorFramingViolations(res), []);
        // Only one response: the hidden request after the body was never answered.
        assert.equal(res.raw.toString('latin1').split('HTTP/1.1 ').length - 1, 1);
        assert.equal(h.upstream.received.length, before, 'nothing reached the upstream');
      });
    }
  }

  test('a chunked body that looks like a request is forwarded as that body, re-framed, and nothing else', async () => {
    const body = `0\r\n\r\n${SMUGGLED}`;
    const chunked = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const before = h.upstream.received.length;
    const res = await rawRequest(
      h.port,
      `POST /mcp/vision/explain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}GET /mcp/second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(res.status, 200);
    const got = h.upstream.received.slice(before);
    assert.deepEqual(
      got.map((r) => `${r.method} ${r.url}`),
      ['POST /mcp/vision/explain', 'GET /mcp/second'],
    );
    assert.equal(got[0]?.body.toString('latin1'), body);
    assert.equal(
      h.upstream.received.some((r) => r.url === '/smuggled'),
      false,
    );
  });

  test('pipelined checks on one connection are answered in order, each as its own exchange', async () => {
    const before = h.upstream.received.length;
    const one = 'POST /mcp/a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc';
    const two = 'POST /mcp/b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\ndef';
    const res = await rawRequest(h.port, one + two);
    assert.equal(res.raw.toString('latin1').split('HTTP/1.1 200').length - 1, 2);
    assert.deepEqual(
      h.upstream.received.slice(before).map((r) => `${r.url} ${r.body.toString()}`),
      ['/mcp/a abc', '/mcp/b def'],
    );
  });
});
