/**
 * Every reply on the OTA path, `activate` and the upstream's error shapes leaves with device framing,
 * checked on the raw socket: Content-Length spelled so, never chunked, only the allowed headers
 * (docs/device-contract.md §2; docs/configuration.md "Framing and paths").
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRequest, readCapture } from '../helpers/captures.js';
import { upstreamText } from '../helpers/upstream-replies.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, headerOf, rawRequest } from '../helpers/raw-client.js';

describe('device-facing framing on raw bytes', () => {
  let h: Harness;
  let reply = 'python-default-post';
  before(async () => {
    h = await startHarness({ responder: () => ({ kind: 'capture', name: reply }) });
  });
  after(() => h.close());

  const jsonCases = [
    'python-default-post',
    'python-auth-token',
    'python-mqtt-gateway',
    'python-firmware-available',
    'python-timezone-fraction',
    'java-unbound-device',
    'java-bound-with-firmware',
    'java-bound-no-firmware',
    'java-mqtt-and-websocket',
  ];
  for (const name of jsonCases) {
    test(`${name}: 200 JSON with exact framing`, async () => {
      reply = name;
      const res = await rawRequest(h.port, deviceRequest('python-default-post'));
      assert.equal(res.status, 200);
      assertDeviceFraming(res, { maxBytes: 4096 });
      assert.equal(headerOf(res, 'Content-Type'), 'application/json');
      assert.equal(headerOf(res, 'Connection'), 'close');
      // No rules configured and nothing for the guard to repair: the upstream's JSON, re-serialised.
      assert.deepEqual(JSON.parse(res.body.toString('utf8')), JSON.parse(upstreamText(name)));
    });
  }

  for (const name of [
    'java-error-missing-device-id',
    'java-error-blank-device-id',
    'java-error-invalid-device-id',
    'java-no-trailing-slash',
    'python-no-device-id',
  ]) {
    test(`${name}: the error shape passes untouched, re-framed with Content-Length`, async () => {
      reply = name;
      const res = await rawRequest(h.port, deviceRequest('python-default-post'));
      assert.equal(res.status, 200);
      assertDeviceFraming(res);
      const expected = readCapture(name, 'response');
      const chunked = expected.headers.some(
        ([k, v]) => k.toLowerCase() === 'transfer-encoding' && v === 'chunked',
      );
      // The Java error replies arrive chunked; the device gets the decoded body with a length.
      const body = chunked ? dechunk(expected.body) : expected.body;
      assert.deepEqual(res.body, body);
    });
  }

  test('404 from the upstream passes through with its status, re-framed', async () => {
    reply = 'python-no-trailing-slash';
    const res = await rawRequest(h.port, deviceRequest('python-default-post'));
    assert.equal(res.status, 404);
    assertDeviceFraming(res);
    assert.equal(res.body.toString(), '404: Not Found');
  });

  test('activate: 202 with an empty body, and 200 success, both with Content-Length', async () => {
    reply = 'java-activate-pending';
    const pending = await rawRequest(h.port, deviceRequest('java-activate-pending'));
    assert.equal(pending.status, 202);
    assertDeviceFraming(pending);
    assert.equal(pending.body.length, 0);
    reply = 'java-activate-done';
    const done = await rawRequest(h.port, deviceRequest('java-activate-done'));
    assert.equal(done.status, 200);
    assertDeviceFraming(done);
    assert.equal(done.body.toString(), 'success');
    assert.equal(h.upstream.received.at(-1)?.url, '/xiaozhi/ota/activate');
  });

  test('GET on the OTA path: text with exact framing', async () => {
    reply = 'python-get';
    const res = await rawRequest(h.port, deviceRequest('python-get'));
    assert.equal(res.status, 200);
    assertDeviceFraming(res);
    // No rules configured: the upstream's sentence as it sent it.
    assert.deepEqual(res.body, readCapture('python-get', 'response').body);
  });

  test('errors the proxy writes itself are framed too (404 on a switched-off path)', async () => {
    const res = await rawRequest(
      h.port,
      'GET /firmware/x.bin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    assert.equal(res.status, 404);
    assertDeviceFraming(res);
    assert.equal(res.body.toString('utf8'), 'not found\n');
  });
});

/** Decodes a chunked body (test-side, to compare with what the device gets). */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
