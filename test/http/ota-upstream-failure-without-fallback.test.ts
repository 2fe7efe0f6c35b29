/**
 * With the fallback off, every upstream failure of the reply table gives a clean 502 (504 for a
 * timeout) the device retries — framed like every other reply, and the process keeps serving.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRequest } from '../helpers/captures.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, rawRequest } from '../helpers/raw-client.js';
import type { UpstreamFailure } from '../../src/gateway/upstream-failure.js';

const cases: [string, Reply, number, UpstreamFailure][] = [
  ['5xx', { kind: 'text', status: 500, body: 'Internal Server Error' }, 502, 'bad-status'],
  [
    '3xx redirect',
    { kind: 'text', status: 302, body: '', headers: { Location: 'http://elsewhere/' } },
    502,
    'bad-status',
  ],
  [
    '2xx without a body',
    { kind: 'raw', bytes: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' },
    502,
    'empty-body',
  ],
  ['non-JSON', { kind: 'text', body: '<html>nginx</html>' }, 502, 'not-json'],
  ['JSON that is not an object', { kind: 'json', body: [1, 2, 3] }, 502, 'not-object'],
  [
    'truncated body',
    {
      kind: 'close-after',
      bytes:
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"websocket":{"url":"ws://',
    },
    502,
    'truncated',
  ],
  ['reset', { kind: 'reset' }, 502, 'reset'],
  ['timeout', { kind: 'hang' }, 504, 'timeout'],
  ['malformed status line', { kind: 'raw', bytes: 'HTTQ/9 what\r\n\r\n' }, 502, 'protocol'],
  [
    'over max_body_bytes',
    { kind: 'json', body: { websocket: { url: 'ws://a/', pad: 'x'.repeat(9000) } } },
    502,
    'too-large',
  ],
  // Two members each under the 4000-byte member limit, together over the 4 KiB reply limit (and under
  // max_body_bytes, so the reply does reach the guard).
  [
    'over 4 KiB after the guard',
    {
      kind: 'json',
      body: { websocket: { url: 'ws://a/', token: 't'.repeat(2500), version: 1, x: 'y'.repeat(2500) } },
    },
    502,
    'reply-too-large',
  ],
];

describe('upstream failures with fallback disabled', () => {
  let h: Harness;
  let reply: Reply = { kind: 'hang' };
  before(async () => {
    h = await startHarness({
      responder: () => reply,
      fullYaml:
        'listen: 127.0.0.1:0\nupstream:\n  url: {{upstream}}\n  timeout_ms: 300\n  max_body_bytes: 8192\nfallback:\n  enabled: false\nbreaker:\n  failures: 1000\n',
    });
  });
  after(() => h.close());

  for (const [name, upstreamReply, status, failure] of cases) {
    test(`${name} → ${status}`, async () => {
      reply = upstreamReply;
      const res = await rawRequest(h.port, deviceRequest('python-default-post'));
      assert.equal(res.status, status);
      assertDeviceFraming(res);
      assert.equal(
        res.body.toString(),
        status === 504 ? 'upstream OTA server timed out\n' : 'upstream OTA server failed\n',
      );
      const line = h.exchanges().at(-1);
      assert.equal(line?.outcome, 'failed');
      assert.equal((line?.upstream as { failure: string }).failure, failure);
      assert.deepEqual(line?.notes, [`upstream ${failure}`]);
    });
  }

  test('refused: the upstream is gone', async () => {
    await h.upstream.close();
    const res = await rawRequest(h.port, deviceRequest('python-default-post'));
    assert.equal(res.status, 502);
    assertDeviceFraming(res);
    assert.equal((h.exchanges().at(-1)?.upstream as { failure: string }).failure, 'refused');
  });
});
