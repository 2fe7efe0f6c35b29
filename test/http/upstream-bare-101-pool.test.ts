/**
 * A bare `101` (no `Upgrade` header) answered to an OTA check: Node reads it as a complete reply and would
 * return the socket to the keep-alive pool, though the upstream has stopped speaking HTTP on it — the next
 * check would then wait out `timeout_ms`. The proxy ends that exchange (the device gets the fallback),
 * destroys the socket, and the next check is answered by the upstream at once on a fresh connection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readCapture } from '../helpers/captures.js';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';
import { okReply, startRawUpstream, type RawUpstream } from '../helpers/raw-upstream.js';

const TIMEOUT_MS = 3000;
const good = readCapture('python-default-post', 'response').body;

describe('a bare 101 to an OTA check', () => {
  let upstream: RawUpstream;
  let h: Harness;
  before(async () => {
    upstream = await startRawUpstream((socket, request) => {
      if (request.connection === 1) {
        // Switches protocols unasked, then says nothing more on this connection.
        socket.write('HTTP/1.1 101 Switching Protocols\r\n\r\n');
        return 'stop';
      }
      socket.write(okReply(good));
    });
    h = await startHarness({
      fullYaml: [
        'listen: 127.0.0.1:0',
        'upstream:',
        `  url: ${upstream.url}`,
        `  timeout_ms: ${TIMEOUT_MS}`,
        'websocket:',
        '  url: ws://{host}:8000/xiaozhi/v1/',
        'breaker:',
        '  failures: 1000',
        '',
      ].join('\n'),
    });
  });
  after(async () => {
    await h.close();
    await upstream.close();
  });

  test('the device gets the fallback, the socket is destroyed, the next check is answered promptly', async () => {
    const first = await rawRequest(h.port, deviceCheck());
    assert.equal(first.status, 200);
    const firstLine = await eventually(() => h.exchanges()[0], { what: 'the first log line' });
    assert.equal(firstLine.outcome, 'fallback');
    assert.equal((firstLine.upstream as { failure: string }).failure, 'protocol');
    // The proxy closed the connection the 101 came on instead of keeping it for the next exchange.
    await eventually(() => upstream.closed(1), { timeoutMs: 1000, what: 'the 101 connection closed' });

    const started = performance.now();
    const second = await rawRequest(h.port, deviceCheck());
    const elapsed = performance.now() - started;
    assert.equal(second.status, 200);
    const secondLine = await eventually(() => h.exchanges()[1], { what: 'the second log line' });
    assert.equal(secondLine.outcome, 'rewritten');
    assert.ok(elapsed < TIMEOUT_MS / 4, `the next check took ${Math.round(elapsed)} ms`);
    assert.deepEqual(
      upstream.requests.map((r) => r.connection),
      [1, 2],
      'the second check went out on a new connection',
    );
  });
});
