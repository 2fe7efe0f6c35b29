import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import {
  closed,
  nextMessages,
  rawUpgrade,
  splitRawResponse,
  startVoiceHarness,
  waitFor,
} from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// With tls.cert/tls.key the listener speaks WSS and the proxy carries the decrypted session to a
// plain ws:// upstream. The certificate is self-signed, made here with openssl: real devices only
// accept publicly trusted ones (docs/device-contract.md §6).
describe('voice proxy behind TLS termination', () => {
  let h: VoiceHarness;
  before(async () => {
    h = await startVoiceHarness({ tls: true });
  });
  after(() => h.close());

  test('a wss device echoes text and binary through to a ws upstream', async () => {
    assert.match(h.front.url, /^wss:\/\//);
    const upstreamConnected = h.upstream.nextConnection();
    const ws = await h.connect('/xiaozhi/v1/', { headers: { 'Device-Id': 'aa:bb:cc:dd:ee:02' } });
    const { req } = await upstreamConnected;
    assert.equal(req.headers['device-id'], 'aa:bb:cc:dd:ee:02');
    assert.equal(req.headers['x-forwarded-for'], '127.0.0.1');

    const replies = nextMessages(ws, 2);
    const opus = Buffer.from(Array.from({ length: 180 }, (_, i) => (i * 13) & 0xff));
    ws.send('{"type":"hello"}');
    ws.send(opus, { binary: true });
    assert.deepEqual(await replies, [
      { data: Buffer.from('{"type":"hello"}'), isBinary: false },
      { data: opus, isBinary: true },
    ]);

    const closing = closed(ws);
    ws.close(1000, 'bye');
    assert.deepEqual(await closing, { code: 1000, reason: 'bye' });
    await waitFor(() => h.proxy.stats().open === 0);
  });

  test('a client that does not trust the certificate is refused by TLS', async () => {
    const ws = h.device('/xiaozhi/v1/', { ws: { ca: [] as Buffer[] } });
    const [err] = (await once(ws, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  test('a failure reply is written inside TLS too', async () => {
    assert.ok(h.cert);
    const raw = await rawUpgrade(h.front.port, { method: 'POST', ca: h.cert.cert });
    assert.equal(splitRawResponse(raw).statusLine, 'HTTP/1.1 400 Bad Request');
  });
});
