/**
 * Every reply Node would write by itself is framed by the proxy (docs/configuration.md "Fleet and hardening
 * amendments": "Every reply on a device path is framed by the proxy, including those Node would write
 * itself"), checked on the raw socket: status, Content-Type, `Content-Length` spelled so, Date,
 * Connection: close, and nothing else. The cases are Node's own (`_http_server.js`): an unmet `Expect`
 * (its chunked 417), `Expect: 100-continue` (its automatic 100 Continue, sent even for a request refused
 * unread), parse errors (`clientError`: bad method, header overflow, too many headers, Transfer-Encoding
 * with Content-Length, an HTTP/2 preface, chunk extensions over the limit), CONNECT (its silent reset),
 * and bytes after a `Connection: close` request (its 400, which cost the request its reply). The 408 of a
 * request timeout is limits-slow-loris.test.ts's.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { contractViolations, errorFramingViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { headerOf, parseRawResponse, rawRequest, type RawResponse } from '../helpers/raw-client.js';

const BODY_LIMIT = 4096;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** Requests Node would answer by itself, and the status the proxy answers them with. */
const refused: [name: string, bytes: string, status: number][] = [
  [
    'an Expect other than 100-continue',
    'POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nExpect: 999-weird\r\nContent-Length: 2\r\n\r\n{}',
    417,
  ],
  ['an unknown method', 'FOO /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\n\r\n', 400],
  [
    'Transfer-Encoding with Content-Length',
    'POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n',
    400,
  ],
  [
    'a header block over the limit',
    `POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`,
    431,
  ],
  [
    'too many headers',
    `POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: 1\r\n`).join('')}Content-Length: 2\r\n\r\n{}`,
    431,
  ],
  [
    'chunk extensions over the limit',
    `POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;${'e'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`,
    413,
  ],
  ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400],
  ['a bad HTTP version', 'POST /xiaozhi/ota/ HTTP/9.9\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', 400],
  ['CONNECT', 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n', 501],
];

function assertFramedClose(reply: RawResponse, status: number): void {
  assert.equal(reply.status, status, reply.statusLine);
  assert.deepEqual(errorFramingViolations(reply), []);
  assert.equal(headerOf(reply, 'connection'), 'close');
  assert.equal(headerOf(reply, 'content-type'), 'text/plain; charset=utf-8');
  // Exactly one reply on the connection.
  assert.equal(reply.raw.toString('latin1').split('HTTP/1.1 ').length - 1, 1);
}

describe("the replies Node would write itself are the proxy's, framed", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ yaml: `limits:\n  device_body_bytes: ${BODY_LIMIT}\n` });
  });
  after(() => h.close());

  for (const [name, bytes, status] of refused) {
    test(`${name} → a framed ${status}, nothing upstream`, async () => {
      const before = h.upstream.received.length;
      assertFramedClose(await rawRequest(h.port, bytes, { timeoutMs: 5000 }), status);
      assert.equal(h.upstream.received.length, before);
    });
  }

  test('Expect: 100-continue: the interim 100 once the body is read, then the framed reply', async () => {
    const reply = await rawRequest(h.port, deviceCheck({ set: [['Expect', '100-continue']] }));
    assert.ok(reply.raw.toString('latin1').startsWith(CONTINUE), reply.statusLine);
    const final = parseRawResponse(reply.raw.subarray(CONTINUE.length));
    assert.deepEqual(contractViolations(final, CAPTURED_DEVICE), []);
  });

  test('Expect: 100-continue over limits.device_body_bytes: a framed 413 and no 100 Continue', async () => {
    const before = h.upstream.received.length;
    // Headers only, as a client waiting for 100 Continue sends them.
    const reply = await rawRequest(
      h.port,
      `POST /xiaozhi/ota/ HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${BODY_LIMIT + 1}\r\n\r\n`,
    );
    assertFramedClose(reply, 413);
    assert.equal(h.upstream.received.length, before);
  });

  test('bytes after a Connection: close check: the check gets its own reply, the rest is ignored', async () => {
    const before = h.upstream.received.length;
    const reply = await rawRequest(
      h.port,
      Buffer.concat([deviceCheck(), Buffer.from('GET /second HTTP/1.1\r\nHost: x\r\n\r\n')]),
    );
    assert.deepEqual(contractViolations(reply, CAPTURED_DEVICE), []);
    assert.equal(reply.raw.toString('latin1').split('HTTP/1.1 ').length - 1, 1);
    assert.deepEqual(
      h.upstream.received.slice(before).map((r) => r.url),
      ['/xiaozhi/ota/'],
    );
  });
});
