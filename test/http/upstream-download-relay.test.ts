/**
 * The upstream's own firmware download routes reach the device with device framing: streamed with the
 * upstream's Content-Length, or buffered to get one when the upstream chunks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, rawRequest } from '../helpers/raw-client.js';

const image = Buffer.alloc(70_000, 7);
image[0] = 0xe9;

describe('upstream download routes', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      responder: (req) => {
        if (req.url.startsWith('/xiaozhi/ota/download/')) {
          return {
            kind: 'text',
            body: image,
            headers: {
              'Content-Type': 'application/octet-stream',
              Etag: '"x"',
              'Access-Control-Allow-Origin': '*',
            },
          };
        }
        // The Java route: chunked, no length.
        const chunked = Buffer.concat([
          Buffer.from(
            'HTTP/1.1 200\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
          ),
          Buffer.from(`${image.length.toString(16)}\r\n`),
          image,
          Buffer.from('\r\n0\r\n\r\n'),
        ]);
        return { kind: 'raw', bytes: chunked };
      },
    });
  });
  after(() => h.close());

  test('Python route: streamed with Content-Length, only device headers', async () => {
    const res = await rawRequest(
      h.port,
      'GET /xiaozhi/ota/download/bread-compact-wifi_1.7.0.bin HTTP/1.1\r\nHost: 192.168.1.10:8003\r\nConnection: close\r\n\r\n',
    );
    assert.equal(res.status, 200);
    assertDeviceFraming(res);
    assert.deepEqual(res.body, image);
  });

  test('Java route: a chunked upstream reply leaves with a Content-Length', async () => {
    const res = await rawRequest(
      h.port,
      'GET /xiaozhi/otaMag/download/0b8e5c8e-4a47-4c7d-9d8f-5a7c1d2e3f40 HTTP/1.1\r\nHost: 192.168.1.10:8003\r\nConnection: close\r\n\r\n',
    );
    assert.equal(res.status, 200);
    assertDeviceFraming(res);
    assert.deepEqual(res.body, image);
  });
});
