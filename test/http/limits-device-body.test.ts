/**
 * `limits.device_body_bytes` (docs/configuration.md "Framing and paths"): an OTA check or `activate` whose body is over
 * the limit gets a framed 413 with `Connection: close` before anything goes upstream — at once when the
 * declared Content-Length is over it, as soon as the limit is crossed when the body is chunked.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorFramingViolations } from '../helpers/device-contract.js';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { headerOf, rawRequest } from '../helpers/raw-client.js';

const LIMIT = 2048;

describe('device bodies over the limit', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ yaml: `limits:\n  device_body_bytes: ${LIMIT}\n` });
  });
  after(() => h.close());

  async function expect413(bytes: string | Buffer): Promise<void> {
    const before = h.exchanges().length;
    const res = await rawRequest(h.port, bytes, { timeoutMs: 3000 });
    assert.equal(res.status, 413);
    assert.deepEqual(errorFramingViolations(res), []);
    assert.equal(headerOf(res, 'Connection'), 'close');
    assert.equal(h.upstream.received.length, 0, 'nothing went upstream');
    const line = await eventually(() => h.exchanges().slice(before)[0]);
    assert.equal(line.outcome, 'rejected');
    assert.equal(line.status, 413);
  }

  test('a declared length over the limit: 413 at once, without waiting for the body', async () => {
    // Only the head is sent: the answer must not wait for 100 000 bytes that never come.
    const head = deviceCheck()
      .toString('latin1')
      .split('\r\n\r\n')[0]
      ?.replace(/Content-Length: \d+/, 'Content-Length: 100000');
    await expect413(`${head}\r\n\r\n`);
  });

  test('a chunked body crossing the limit: 413', async () => {
    const head = deviceCheck()
      .toString('latin1')
      .split('\r\n\r\n')[0]
      ?.replace(/Content-Length: \d+/, 'Transfer-Encoding: chunked');
    const chunk = 'x'.repeat(1500);
    await expect413(`${head}\r\n\r\n5dc\r\n${chunk}\r\n5dc\r\n${chunk}\r\n0\r\n\r\n`);
  });

  test('activate with a body over the limit: 413', async () => {
    await expect413(deviceCheck({ path: '/xiaozhi/ota/activate', body: `{"pad":"${'y'.repeat(LIMIT)}"}` }));
  });

  test('a body of exactly the limit goes upstream', async () => {
    const body = `{"pad":"${'z'.repeat(LIMIT - 10)}"}`;
    assert.equal(body.length, LIMIT);
    const res = await rawRequest(h.port, deviceCheck({ body }));
    assert.equal(res.status, 200);
    assert.equal(h.upstream.received.length, 1);
    assert.equal(h.upstream.received[0]?.body.toString('latin1'), body);
  });
});
