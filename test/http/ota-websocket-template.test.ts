/**
 * The websocket URL template rendered per request from the effective origin (docs/configuration.md "Templates"):
 * Host, a trusted proxy's X-Forwarded-Host/-Proto, an untrusted peer's ignored, a fixed public_url.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRequest } from '../helpers/captures.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const TEMPLATE = 'websocket:\n  url: "{scheme}://{host}:{port}/xiaozhi/v1/"\n';

function addHeaders(request: Buffer, extra: string): Buffer {
  const text = request.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return Buffer.from(`${text.slice(0, end)}\r\n${extra.replace(/\r\n$/, '')}${text.slice(end)}`, 'latin1');
}

async function wsUrl(port: number, request: Buffer): Promise<string> {
  const res = await rawRequest(port, request);
  assert.equal(res.status, 200);
  return (JSON.parse(res.body.toString('utf8')) as { websocket: { url: string } }).websocket.url;
}

describe('websocket.url template, trusted loopback peer', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ yaml: TEMPLATE });
  });
  after(() => h.close());

  test('from the Host header (the Docker 172.x address is replaced)', async () => {
    assert.equal(
      await wsUrl(h.port, deviceRequest('python-default-post', { host: '192.168.1.10:8003' })),
      'ws://192.168.1.10:8003/xiaozhi/v1/',
    );
  });

  test('Host without a port: the scheme default', async () => {
    assert.equal(
      await wsUrl(h.port, deviceRequest('python-default-post', { host: 'ota.lan' })),
      'ws://ota.lan:80/xiaozhi/v1/',
    );
  });

  test('an IPv6 Host renders bracketed, which the device cannot parse: the guard drops the url', async () => {
    // esp-ml307 WebSocket::Connect reads the port after the first ':' with std::stoi: "[fd00::5]:8003" aborts it.
    const res = await rawRequest(h.port, deviceRequest('python-default-post', { host: '[fd00::5]:8003' }));
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body.toString('utf8')) as { websocket?: { url?: string } };
    assert.equal(body.websocket?.url, undefined);
    assert.deepEqual(h.exchanges().at(-1)?.repairs, ['websocket.url-dropped:unparseable']);
  });

  test('trusted X-Forwarded-Host (right-most) and X-Forwarded-Proto', async () => {
    const req = addHeaders(
      deviceRequest('python-default-post', { host: '127.0.0.1:8003' }),
      'X-Forwarded-Host: spoof.example, xz.example.com\r\nX-Forwarded-Proto: https\r\n',
    );
    assert.equal(await wsUrl(h.port, req), 'wss://xz.example.com:443/xiaozhi/v1/');
  });

  test('X-Forwarded-Port and Forwarded are ignored', async () => {
    const req = addHeaders(
      deviceRequest('python-default-post', { host: 'a.example:7000' }),
      'X-Forwarded-Port: 9999\r\nForwarded: host=b.example;proto=https\r\n',
    );
    assert.equal(await wsUrl(h.port, req), 'ws://a.example:7000/xiaozhi/v1/');
  });
});

describe('websocket.url template, untrusted peer', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ yaml: `${TEMPLATE}trusted_proxies: [10.0.0.0/8]\n` });
  });
  after(() => h.close());

  test('X-Forwarded-Host/-Proto from an untrusted peer do not steer the URL', async () => {
    const req = addHeaders(
      deviceRequest('python-default-post', { host: '192.168.1.10:8003' }),
      'X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n',
    );
    assert.equal(await wsUrl(h.port, req), 'ws://192.168.1.10:8003/xiaozhi/v1/');
  });
});

describe('websocket.url template with a fixed public_url', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ yaml: `${TEMPLATE}public_url: https://voice.example.org:8443\n` });
  });
  after(() => h.close());

  test('renders from public_url whatever the Host says', async () => {
    assert.equal(
      await wsUrl(h.port, deviceRequest('python-default-post', { host: '10.0.0.1:8003' })),
      'wss://voice.example.org:8443/xiaozhi/v1/',
    );
  });
});
