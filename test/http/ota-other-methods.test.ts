/** Other methods on the OTA path (e.g. a CORS preflight) go to the OTA path upstream, status and body kept, re-framed. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readCapture } from '../helpers/captures.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, rawRequest } from '../helpers/raw-client.js';

let h: Harness;
before(async () => {
  h = await startHarness({ responder: () => ({ kind: 'capture', name: 'python-options' }) });
});
after(() => h.close());

test('OPTIONS on the OTA path reaches the OTA path upstream and leaves with device framing only', async () => {
  const res = await rawRequest(h.port, readCapture('python-options', 'request').raw);
  assert.equal(res.status, 200);
  assertDeviceFraming(res);
  assert.deepEqual(res.body, readCapture('python-options', 'response').body);
  assert.equal(h.upstream.received.at(-1)?.method, 'OPTIONS');
  assert.equal(h.upstream.received.at(-1)?.url, '/xiaozhi/ota/');
});
