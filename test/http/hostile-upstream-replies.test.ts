/**
 * An upstream that misbehaves at the HTTP level — malformed status lines and headers, header bytes Node's
 * parser accepts but its writer refuses, oversized header blocks, conflicting framing, an unasked-for 101,
 * resets — never crashes the proxy on any route (OTA check, GET, activate, upstream download, passthrough):
 * each answer is a clean framed reply, and no upstream socket is left behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFramingViolations, framingViolations } from '../helpers/device-contract.js';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest, type RawResponse } from '../helpers/raw-client.js';

const replies: [string, Reply][] = [
  ['a malformed status line', { kind: 'raw', bytes: 'HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}' }],
  ['a status out of range', { kind: 'raw', bytes: 'HTTP/1.1 1000 Big\r\nContent-Length: 2\r\n\r\n{}' }],
  [
    'a reason phrase with a control byte',
    { kind: 'raw', bytes: 'HTTP/1.1 200 O\x01K\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok' },
  ],
  [
    'a reason phrase with DEL',
    { kind: 'raw', bytes: 'HTTP/1.1 200 O\x7fK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok' },
  ],
  [
    'a header value with DEL',
    {
      kind: 'raw',
      bytes:
        'HTTP/1.1 200 OK\r\nContent-Type: text/pl\x7fain\r\nX-Odd: a\x7fb\r\nContent-Length: 2\r\n\r\nok',
    },
  ],
  [
    'a header value with obs-text',
    {
      kind: 'raw',
      bytes: Buffer.from(
        'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=\xff\xfe\r\nX-Odd: \x80\x81\r\nContent-Length: 2\r\n\r\nok',
        'latin1',
      ),
    },
  ],
  [
    'a header name with a space',
    { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok' },
  ],
  [
    'a header without a colon',
    { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 2\r\n\r\nok' },
  ],
  [
    'an obs-folded header',
    { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\nok' },
  ],
  [
    'a NUL in a header value',
    { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nX-Nul: a\x00b\r\nContent-Length: 2\r\n\r\nok' },
  ],
  [
    'LF-only line ends',
    { kind: 'raw', bytes: 'HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 2\n\nok' },
  ],
  [
    'a 20 KiB header block',
    { kind: 'raw', bytes: `HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\nok` },
  ],
  [
    'Content-Length and Transfer-Encoding together',
    {
      kind: 'raw',
      bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    },
  ],
  ['a negative Content-Length', { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok' }],
  [
    'a bad chunk size',
    { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n' },
  ],
  [
    'an unasked-for 101',
    {
      kind: 'raw',
      bytes:
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi',
    },
  ],
  ['100 Continue then nothing', { kind: 'close-after', bytes: 'HTTP/1.1 100 Continue\r\n\r\n' }],
  ['a reset', { kind: 'reset' }],
  ['a close mid-headers', { kind: 'close-after', bytes: 'HTTP/1.1 200 OK\r\nContent-Ty' }],
  ['garbage', { kind: 'raw', bytes: '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' }],
];

const routes: [string, () => Buffer | string][] = [
  ['OTA check', () => deviceCheck()],
  ['OTA GET', () => 'GET /xiaozhi/ota/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
  ['activate', () => deviceCheck({ path: '/xiaozhi/ota/activate', body: '{}' })],
  [
    'upstream download',
    () => 'GET /xiaozhi/ota/download/a.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
  ],
  ['passthrough', () => 'GET /mcp/vision/explain HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'],
];

/** Replies Node's parser takes as they are: every route passes them on (the OTA check answers from the fallback). */
const ACCEPTED = new Set([
  'a reason phrase with a control byte',
  'a reason phrase with DEL',
  'a header value with obs-text',
]);

/**
 * The status each route answers with: the OTA check (fallback) and GET (status sentence) always 200, the others a
 * clean 502 — or, on the passthrough, which streams, a cut connection when the body breaks after the headers.
 */
function expectedStatus(reply: string, route: string): number | 'closed' {
  if (route === 'OTA check' || route === 'OTA GET' || ACCEPTED.has(reply)) return 200;
  if (route === 'passthrough' && reply === 'a bad chunk size') return 'closed';
  return 502;
}

describe('hostile upstream replies on every route', () => {
  let h: Harness;
  let reply: Reply = { kind: 'reset' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      yaml: 'websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\nbreaker:\n  failures: 100000\n',
    });
  });
  after(() => h.close());

  for (const [name, upstreamReply] of replies) {
    test(name, async () => {
      reply = upstreamReply;
      for (const [route, request] of routes) {
        const expected = expectedStatus(name, route);
        const res: RawResponse | 'closed' = await rawRequest(h.port, request(), { timeoutMs: 5000 }).catch(
          (error: Error) => {
            // Passthrough streams: when the upstream's body breaks after its headers, the connection is cut
            // (nothing else can tell the client); every device-facing route must answer in full.
            if (expected === 'closed' && /no header block/.test(error.message)) return 'closed' as const;
            throw error;
          },
        );
        assert.equal(res === 'closed' ? res : res.status, expected, `${route}: ${name}`);
        if (res === 'closed') continue;
        const where = `${route}: ${res.statusLine}`;
        if (route === 'passthrough' && res.status < 400) {
          // Passthrough streams what Node accepted; it need not carry device framing (its status is checked above).
        } else if (res.status === 200 && (route === 'OTA check' || route === 'OTA GET')) {
          assert.deepEqual(framingViolations(res), [], where);
        } else if (res.status >= 400) {
          assert.deepEqual(errorFramingViolations(res), [], where);
        } else {
          assert.deepEqual(framingViolations(res), [], where);
        }
      }
      // Every upstream socket used for a broken exchange is gone: none is still busy in the agent.
      const { agents } = h.proxy.app.runtime;
      await eventually(() => agents.busy() === 0, {
        what: 'no busy upstream sockets',
      });
    });
  }

  test('the process still serves after all of it', async () => {
    reply = { kind: 'capture', name: 'python-default-post' };
    const res = await rawRequest(h.port, deviceCheck());
    assert.equal(res.status, 200);
  });
});
