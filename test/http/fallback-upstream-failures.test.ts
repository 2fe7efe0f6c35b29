/**
 * With the fallback on, every upstream failure of the reply table (refused, timeout, reset, 3xx/5xx, a 2xx
 * without a body, non-JSON, not an object, truncated, over `max_body_bytes`, over 4 KiB after the guard,
 * malformed headers, bad encodings) gives the device the fallback reply: status 200, the device contract
 * met (checked by the independent oracle), a transport named — and one log line naming the failure kind
 * and its cause (docs/configuration.md "Which reply a device gets"; docs/device-contract.md §5: a device that just updated
 * rolls back when this check fails).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck, eventually, LEGACY_DEVICE } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness, type LogLine } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';
import type { UpstreamFailure } from '../../src/gateway/upstream-failure.js';

const head = (status: string, headers: string): string =>
  `HTTP/1.1 ${status}\r\n${headers}Connection: close\r\n\r\n`;

const cases: [string, Reply, UpstreamFailure][] = [
  ['5xx', { kind: 'text', status: 500, body: 'Internal Server Error' }, 'bad-status'],
  [
    '503 with a JSON body',
    { kind: 'json', status: 503, body: { websocket: { url: 'ws://a/' } } },
    'bad-status',
  ],
  [
    '3xx redirect',
    { kind: 'text', status: 302, body: '', headers: { Location: 'http://elsewhere/' } },
    'bad-status',
  ],
  ['2xx without a body', { kind: 'raw', bytes: head('200 OK', 'Content-Length: 0\r\n') }, 'empty-body'],
  ['204', { kind: 'raw', bytes: head('204 No Content', '') }, 'empty-body'],
  ['non-JSON', { kind: 'text', body: '<html>nginx</html>' }, 'not-json'],
  [
    'JSON with trailing garbage',
    { kind: 'text', body: '{"websocket":{"url":"ws://a/"}}garbage' },
    'not-json',
  ],
  ['JSON that is not an object', { kind: 'json', body: [1, 2, 3] }, 'not-object'],
  ['JSON null', { kind: 'text', body: 'null' }, 'not-object'],
  [
    'truncated body',
    {
      kind: 'close-after',
      bytes: `${head('200 OK', 'Content-Type: application/json\r\nContent-Length: 500\r\n')}{"websocket":{"url":"ws://`,
    },
    'truncated',
  ],
  [
    'truncated chunked body',
    {
      kind: 'close-after',
      bytes: `${head('200 OK', 'Transfer-Encoding: chunked\r\n')}20\r\n{"websocket":{"url":"ws://a/"}}`,
    },
    'truncated',
  ],
  ['reset', { kind: 'reset' }, 'reset'],
  ['closed without a reply', { kind: 'close-after', bytes: '' }, 'reset'],
  ['timeout', { kind: 'hang' }, 'timeout'],
  ['malformed status line', { kind: 'raw', bytes: 'HTTQ/9 what\r\n\r\n' }, 'protocol'],
  ['a bogus Content-Length', { kind: 'raw', bytes: head('200 OK', 'Content-Length: 12abc\r\n') }, 'protocol'],
  [
    'two different Content-Lengths',
    { kind: 'raw', bytes: `${head('200 OK', 'Content-Length: 2\r\nContent-Length: 30\r\n')}{}` },
    'protocol',
  ],
  [
    'a header with a bare CR',
    { kind: 'raw', bytes: `HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\nContent-Length: 2\r\n\r\n{}` },
    'protocol',
  ],
  [
    'over max_body_bytes (declared)',
    { kind: 'json', body: { websocket: { url: 'ws://a/', pad: 'x'.repeat(9000) } } },
    'too-large',
  ],
  [
    'over max_body_bytes (chunked)',
    {
      kind: 'raw',
      bytes: `${head('200 OK', 'Transfer-Encoding: chunked\r\n')}2400\r\n${'x'.repeat(0x2400)}\r\n0\r\n\r\n`,
    },
    'too-large',
  ],
  [
    'a gzip bomb',
    {
      kind: 'raw',
      bytes: Buffer.concat([
        Buffer.from(
          head(
            '200 OK',
            `Content-Encoding: gzip\r\nContent-Length: ${zlib.gzipSync(Buffer.alloc(1 << 20, 32)).length}\r\n`,
          ),
        ),
        zlib.gzipSync(Buffer.alloc(1 << 20, 32)),
      ]),
    },
    'too-large',
  ],
  [
    'corrupt gzip',
    { kind: 'raw', bytes: `${head('200 OK', 'Content-Encoding: gzip\r\nContent-Length: 10\r\n')}0123456789` },
    'bad-encoding',
  ],
  [
    'an unknown Content-Encoding',
    { kind: 'raw', bytes: `${head('200 OK', 'Content-Encoding: zstd\r\nContent-Length: 2\r\n')}{}` },
    'bad-encoding',
  ],
  // Two members each under the 4000-byte member limit, together over the 4 KiB reply limit.
  [
    'over 4 KiB after the guard',
    {
      kind: 'json',
      body: { websocket: { url: 'ws://a/', token: 't'.repeat(2500), version: 1, x: 'y'.repeat(2500) } },
    },
    'reply-too-large',
  ],
];

describe('upstream failures with the fallback on', () => {
  let h: Harness;
  let reply: Reply = { kind: 'hang' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      fullYaml: [
        'listen: 127.0.0.1:0',
        'upstream:',
        '  url: {{upstream}}',
        '  timeout_ms: 300',
        '  max_body_bytes: 8192',
        'websocket:',
        '  url: ws://{host}:8000/xiaozhi/v1/',
        'breaker:',
        '  failures: 1000',
        '',
      ].join('\n'),
    });
  });
  after(() => h.close());

  async function expectFallback(failure: UpstreamFailure): Promise<void> {
    for (const [request, device] of [
      [deviceCheck(), CAPTURED_DEVICE],
      [deviceCheck({ drop: ['Activation-Version'] }), LEGACY_DEVICE],
    ] as const) {
      const before = h.exchanges().length;
      const sent = Date.now();
      const res = await rawRequest(h.port, request);
      const answered = Date.now();
      assert.deepEqual(contractViolations(res, device, { fallback: true }), [], res.body.toString('utf8'));
      const body = JSON.parse(res.body.toString('utf8')) as {
        websocket: { url: string };
        server_time: { timestamp: number };
      };
      assert.equal(body.websocket.url, 'ws://127.0.0.1:8000/xiaozhi/v1/');
      const { timestamp } = body.server_time;
      assert.ok(
        timestamp >= sent && timestamp <= answered,
        `the proxy clock: ${timestamp} not in [${sent}, ${answered}]`,
      );
      assert.equal(
        Object.hasOwn(body.websocket, 'token'),
        false,
        'never a token the proxy does not remember',
      );
      const line = await eventually(() => h.exchanges().slice(before)[0], { what: 'the check log line' });
      assertFallbackLine(line, failure);
    }
  }

  for (const [name, upstreamReply, failure] of cases) {
    test(`${name} → fallback (${failure})`, async () => {
      reply = upstreamReply;
      await expectFallback(failure);
    });
  }

  test('refused: the upstream is gone → fallback (refused)', async () => {
    await h.upstream.close();
    await expectFallback('refused');
  });
});

function assertFallbackLine(line: LogLine, failure: UpstreamFailure): void {
  assert.equal(line.outcome, 'fallback');
  assert.equal(line.status, 200);
  assert.equal(line.level, 40, 'a fallback is logged at warn');
  assert.equal((line.upstream as { failure: string } | null)?.failure, failure);
  assert.deepEqual(line.notes, [`upstream ${failure}`]);
  assert.ok(line.err !== undefined, 'the cause is logged');
  assert.deepEqual(line.rules, ['fallback']);
}
