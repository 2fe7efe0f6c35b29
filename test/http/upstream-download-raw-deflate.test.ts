/**
 * The upstream download relay decodes what an upstream (or a proxy before it) compressed though asked for
 * identity — raw deflate under `deflate` included (RFC 9110 §8.4.1.2 says zlib-wrapped; some servers send
 * it bare) — so the device gets the image itself, framed with a Content-Length.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, rawRequest } from '../helpers/raw-client.js';

const image = Buffer.alloc(50_000, 3);
image[0] = 0xe9;

const encoded: Record<string, [encoding: string, body: Buffer]> = {
  'raw-deflate.bin': ['deflate', zlib.deflateRawSync(image)],
  'zlib-deflate.bin': ['deflate', zlib.deflateSync(image)],
  'gzip.bin': ['gzip', zlib.gzipSync(image)],
  'br.bin': ['br', zlib.brotliCompressSync(image)],
};

describe('compressed upstream downloads', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      responder: (req) => {
        const [encoding, body] = encoded[req.url.split('/').at(-1) ?? ''] ?? ['identity', Buffer.alloc(0)];
        return {
          kind: 'text',
          body,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Encoding': encoding },
        };
      },
    });
  });
  after(() => h.close());

  for (const file of Object.keys(encoded)) {
    test(`${file}: decoded, with a Content-Length`, async () => {
      const res = await rawRequest(
        h.port,
        `GET /xiaozhi/ota/download/${file} HTTP/1.1\r\nHost: 192.168.1.10:8003\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(res.status, 200);
      assertDeviceFraming(res);
      assert.deepEqual(res.body, image);
    });
  }
});
