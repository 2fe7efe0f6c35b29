/**
 * One port for everything (issue 5), through the real proxy: the OTA reply tells the device to come back
 * to the proxy ({scheme}://{host}:{port}), and the proxy carries the WebSocket to the voice server — over
 * plain HTTP, and with TLS termination where {scheme} renders wss.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import WebSocket from 'ws';
import { deviceRequest } from '../helpers/captures.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';
import {
  makeSelfSignedCert,
  nextMessages,
  startWsUpstream,
  closed,
  waitFor,
  type TestCertificate,
  type WsUpstream,
} from '../helpers/voice-harness.js';

const WS_TEMPLATE = 'websocket:\n  url: "{scheme}://{host}:{port}/xiaozhi/v1/"\n';

describe('voice over the proxy port, plain', () => {
  let voice: WsUpstream;
  let h: Harness;
  before(async () => {
    voice = await startWsUpstream();
    h = await startHarness({ yaml: `${WS_TEMPLATE}voice_proxy:\n  upstream: ${voice.url}\n` });
  });
  after(async () => {
    await h.close();
    await voice.close();
  });

  test('the OTA reply points at the proxy, and the WebSocket there reaches the voice server', async () => {
    const res = await rawRequest(h.port, deviceRequest('python-auth-token', { host: `127.0.0.1:${h.port}` }));
    const url = (JSON.parse(res.body.toString()) as { websocket: { url: string } }).websocket.url;
    assert.equal(url, `ws://127.0.0.1:${h.port}/xiaozhi/v1/`);
    const upstreamSide = voice.nextConnection();
    const ws = new WebSocket(`${url}?from=device`, {
      headers: {
        Authorization: 'Bearer tok',
        'Device-Id': 'aa:bb:cc:dd:ee:01',
        'Client-Id': 'c1',
        'Protocol-Version': '3',
      },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const { req } = await upstreamSide;
    assert.equal(req.url, '/xiaozhi/v1/?from=device');
    assert.equal(req.headers.authorization, 'Bearer tok');
    assert.equal(req.headers['device-id'], 'aa:bb:cc:dd:ee:01');
    assert.equal(req.headers['protocol-version'], '3');
    assert.equal(req.headers['x-forwarded-for'], '127.0.0.1');
    const echoed = nextMessages(ws, 2);
    ws.send('{"type":"hello"}');
    ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    const [text, binary] = await echoed;
    assert.equal(text?.data.toString(), '{"type":"hello"}');
    assert.deepEqual(binary?.data, Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    ws.close(1000, 'bye');
    assert.equal((await closed(ws)).code, 1000);

    // The session shows in /metrics once both sides are gone: opened, closed, bytes each way.
    await waitFor(() => h.proxy.voice.stats().open === 0);
    const metrics = await rawRequest(h.port, 'GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    const scraped = metrics.body.toString();
    assert.match(scraped, /^xiaozhi_ota_proxy_voice_sessions_total 1$/m);
    assert.match(scraped, /^xiaozhi_ota_proxy_voice_sessions_closed_total 1$/m);
    assert.match(scraped, /^xiaozhi_ota_proxy_voice_sessions_open 0$/m);
    // Wire bytes after the 101: the device's frames are masked (2 + 4 header bytes), the upstream's not (2);
    // the close frames carry code 1000 and "bye" (device 2 + 4 + 5, upstream's echo 2 + 5).
    const bytes = (direction: string): number =>
      Number(new RegExp(`^xiaozhi_ota_proxy_voice_bytes_${direction}_total (\\d+)$`, 'm').exec(scraped)?.[1]);
    assert.equal(bytes('to_upstream'), 16 + 6 + 4 + 6 + 5 + 6);
    assert.equal(bytes('to_device'), 16 + 2 + 4 + 2 + 5 + 2);
  });

  test('an upgrade on another path is refused with a framed 404', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/elsewhere/`);
    const status = await new Promise<number>((resolve) =>
      ws
        .once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        .once('error', () => resolve(-1)),
    );
    assert.equal(status, 404);
  });
});

describe('voice over the proxy port, TLS terminated', () => {
  let voice: WsUpstream;
  let cert: TestCertificate;
  let h: Harness;
  before(async () => {
    voice = await startWsUpstream();
    cert = await makeSelfSignedCert();
    h = await startHarness({
      yaml: `${WS_TEMPLATE}voice_proxy:\n  upstream: ${voice.url}\ntls:\n  cert: ${cert.certPath}\n  key: ${cert.keyPath}\n`,
    });
  });
  after(async () => {
    await h.close();
    await voice.close();
    await cert.remove();
  });

  test('HTTPS OTA check: {scheme} renders wss, and WSS reaches the plain voice server', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const raw = deviceRequest('python-default-post', { host: `localhost:${h.port}` }).toString('latin1');
      const payload = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      const req = https.request(
        {
          host: '127.0.0.1',
          port: h.port,
          path: '/xiaozhi/ota/',
          method: 'POST',
          ca: cert.cert,
          servername: 'localhost',
          headers: {
            Host: `localhost:${h.port}`,
            'Device-Id': 'aa:bb:cc:dd:ee:01',
            'Client-Id': 'c',
            'Activation-Version': '1',
            'Content-Type': 'application/json',
            Connection: 'close',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
    const url = (JSON.parse(body) as { websocket: { url: string } }).websocket.url;
    assert.equal(url, `wss://localhost:${h.port}/xiaozhi/v1/`);
    const ws = new WebSocket(url, { ca: cert.cert });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const echoed = nextMessages(ws, 1);
    ws.send('over tls');
    assert.equal((await echoed)[0]?.data.toString(), 'over tls');
    ws.close();
    await closed(ws);
  });
});
