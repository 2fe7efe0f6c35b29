/** The proxy asks for identity, but an upstream (or a proxy before it) may compress anyway: gzip, deflate and br are decoded. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { deviceRequest, readCapture } from '../helpers/captures.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { assertDeviceFraming, rawRequest } from '../helpers/raw-client.js';

const body = readCapture('python-default-post', 'response').body;

function compressed(encoding: string, bytes: Buffer): Reply {
  return {
    kind: 'text',
    body: bytes,
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding },
  };
}

describe('compressed upstream replies', () => {
  let h: Harness;
  let reply: Reply = { kind: 'hang' };
  before(async () => {
    h = await startHarness({ responder: () => reply, yaml: 'fallback:\n  enabled: false\n' });
  });
  after(() => h.close());

  for (const [encoding, bytes] of [
    ['gzip', zlib.gzipSync(body)],
    ['deflate', zlib.deflateSync(body)],
    ['br', zlib.brotliCompressSync(body)],
  ] as const) {
    test(`${encoding} is decoded and the device gets identity with a length`, async () => {
      reply = compressed(encoding, bytes);
      const res = await rawRequest(h.port, deviceRequest('python-default-post'));
      assert.equal(res.status, 200);
      assertDeviceFraming(res);
      // The whole reply, decoded: the capture as the upstream meant it (no rules configured).
      assert.deepEqual(JSON.parse(res.body.toString()), JSON.parse(body.toString()));
    });
  }

  test('a corrupt gzip body is an upstream failure, not a crash', async () => {
    reply = compressed('gzip', Buffer.from('not gzip at all'));
    const res = await rawRequest(h.port, deviceRequest('python-default-post'));
    assert.equal(res.status, 502);
    assertDeviceFraming(res);
    assert.equal(res.body.toString(), 'upstream OTA server failed\n');
    assert.equal((h.exchanges().at(-1)?.upstream as { failure: string }).failure, 'bad-encoding');
  });
});
