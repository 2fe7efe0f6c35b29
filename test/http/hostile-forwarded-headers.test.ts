/**
 * Spoofed `X-Forwarded-For`/`-Host`/`-Proto` (and `X-Real-IP`, `Forwarded`, `X-Forwarded-Port`) from a peer
 * outside `trusted_proxies` are replaced by what the proxy saw — upstream on every route, and in what the
 * device is told (templates, `when: source`) (docs/configuration.md "Templates", "Conditions"). From a trusted peer the
 * chain is extended and its right-most host believed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceCheck } from '../helpers/device-requests.js';
import type { Received } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const SPOOF: [string, string][] = [
  ['X-Forwarded-For', '1.2.3.4'],
  ['X-Forwarded-Host', 'evil.example'],
  ['X-Forwarded-Proto', 'https'],
  ['X-Real-IP', '6.6.6.6'],
  ['Forwarded', 'for=7.7.7.7;host=evil.example;proto=https'],
  ['X-Forwarded-Port', '443'],
];

const YAML = (trusted: string): string =>
  [
    `trusted_proxies: [${trusted}]`,
    'websocket:',
    '  - when: {source: 1.2.3.0/24}',
    '    url: wss://spoofed.example/xiaozhi/v1/',
    '  - url: "{scheme}://{host}:8000/xiaozhi/v1/"',
    '',
  ].join('\n');

/** The routes that go upstream, each with the spoofed headers added. */
function requests(): [string, Buffer | string][] {
  const extra = SPOOF.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return [
    ['OTA check', deviceCheck({ set: SPOOF })],
    ['OTA GET', `GET /xiaozhi/ota/ HTTP/1.1\r\nHost: 127.0.0.1:8003\r\n${extra}Connection: close\r\n\r\n`],
    ['activate', deviceCheck({ path: '/xiaozhi/ota/activate', body: '{}', set: SPOOF })],
    [
      'upstream download',
      `GET /xiaozhi/ota/download/a.bin HTTP/1.1\r\nHost: 127.0.0.1:8003\r\n${extra}Connection: close\r\n\r\n`,
    ],
    [
      'passthrough',
      `GET /mcp/vision/explain HTTP/1.1\r\nHost: 127.0.0.1:8003\r\n${extra}Connection: close\r\n\r\n`,
    ],
  ];
}

function headerValues(got: Received, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < got.rawHeaders.length; i += 2)
    if (got.rawHeaders[i]?.toLowerCase() === name) out.push(got.rawHeaders[i + 1] as string);
  return out;
}

describe('forwarding headers from an untrusted peer', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      yaml: YAML('10.0.0.0/8'),
      responder: (req) =>
        req.url.startsWith('/xiaozhi/ota/') && req.method === 'POST' && !req.url.includes('activate')
          ? { kind: 'capture', name: 'python-default-post' }
          : { kind: 'text', body: 'ok' },
    });
  });
  after(() => h.close());

  for (const [route, request] of requests()) {
    test(`${route}: replaced by what the proxy saw`, async () => {
      const before = h.upstream.received.length;
      const res = await rawRequest(h.port, request);
      assert.equal(res.status, 200, res.statusLine);
      const got = h.upstream.received[before];
      assert.ok(got, 'the request went upstream');
      assert.deepEqual(headerValues(got, 'x-forwarded-for'), ['127.0.0.1']);
      assert.deepEqual(headerValues(got, 'x-real-ip'), ['127.0.0.1']);
      assert.deepEqual(headerValues(got, 'x-forwarded-host'), ['127.0.0.1:8003']);
      assert.deepEqual(headerValues(got, 'x-forwarded-proto'), ['http']);
      assert.deepEqual(headerValues(got, 'forwarded'), []);
      assert.deepEqual(headerValues(got, 'x-forwarded-port'), []);
    });
  }

  test('the device is told the origin it used, and `when: source` sees the socket peer', async () => {
    const res = await rawRequest(h.port, deviceCheck({ set: SPOOF }));
    const body = JSON.parse(res.body.toString('utf8')) as { websocket: { url: string } };
    assert.equal(body.websocket.url, 'ws://127.0.0.1:8000/xiaozhi/v1/');
    assert.equal(h.exchanges().at(-1)?.client, '127.0.0.1');
  });
});

describe('forwarding headers from a trusted peer', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      yaml: YAML('127.0.0.0/8'),
      responder: () => ({ kind: 'capture', name: 'python-default-post' }),
    });
  });
  after(() => h.close());

  test('the chain is extended, the right-most host and proto believed, the device address resolved', async () => {
    const request = deviceCheck({
      set: [
        ['X-Forwarded-For', '9.9.9.9, 1.2.3.4'],
        ['X-Forwarded-Host', 'evil.example, ota.example.com'],
        ['X-Forwarded-Proto', 'https'],
      ],
    });
    const res = await rawRequest(h.port, request);
    const got = h.upstream.received.at(-1) as Received;
    assert.deepEqual(headerValues(got, 'x-forwarded-for'), ['9.9.9.9, 1.2.3.4, 127.0.0.1']);
    assert.deepEqual(headerValues(got, 'x-real-ip'), ['1.2.3.4']);
    assert.deepEqual(headerValues(got, 'x-forwarded-host'), ['ota.example.com']);
    assert.deepEqual(headerValues(got, 'x-forwarded-proto'), ['https']);
    // 1.2.3.4 is the device (the right-most untrusted hop): the source-matched item applies to it.
    const body = JSON.parse(res.body.toString('utf8')) as { websocket: { url: string } };
    assert.equal(body.websocket.url, 'wss://spoofed.example/xiaozhi/v1/');
  });

  test('without forwarding headers the trusted peer is the device, and the template uses Host', async () => {
    const res = await rawRequest(h.port, deviceCheck({ set: [['Host', 'ota.lan:8003']] }));
    const body = JSON.parse(res.body.toString('utf8')) as { websocket: { url: string } };
    assert.equal(body.websocket.url, 'ws://ota.lan:8000/xiaozhi/v1/');
  });
});
