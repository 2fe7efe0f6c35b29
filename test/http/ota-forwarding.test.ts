/**
 * What goes upstream for an OTA check: the path with its slash, the body bytes and the device headers
 * unchanged, identity encoding asked, X-Forwarded-* and X-Real-IP set — believed from trusted peers only.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRequest, readCapture } from '../helpers/captures.js';
import type { Received } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

function rawHeader(got: Received | undefined, name: string): string[] {
  const out: string[] = [];
  const raw = got?.rawHeaders ?? [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i] === name) out.push(raw[i + 1] as string);
  return out;
}

/**
 * The values of a header the proxy writes itself (Host, Content-Length), whatever its name's casing: field
 * names are case-insensitive (RFC 9110 §5.1), and the upstream client writes these two in lowercase. The
 * device's own headers are matched by exact name above: their casing is kept.
 */
function proxyHeader(got: Received | undefined, name: string): string[] {
  const out: string[] = [];
  const raw = got?.rawHeaders ?? [];
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i]?.toLowerCase() === name.toLowerCase()) out.push(raw[i + 1] as string);
  return out;
}

function withHeaders(request: Buffer, extra: string): Buffer {
  const text = request.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return Buffer.from(`${text.slice(0, end)}\r\n${extra.replace(/\r\n$/, '')}${text.slice(end)}`, 'latin1');
}

describe('forwarding an OTA check upstream', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('device headers and body bytes arrive unchanged, with casing and order', async () => {
    await rawRequest(h.port, deviceRequest('python-default-post'));
    const got = h.upstream.received.at(-1);
    const sent = readCapture('python-default-post', 'request');
    assert.equal(got?.method, 'POST');
    assert.equal(got?.url, '/xiaozhi/ota/');
    assert.deepEqual(got?.body, sent.body);
    const names = [
      'Accept-Language',
      'Activation-Version',
      'Client-Id',
      'Content-Type',
      'Device-Id',
      'User-Agent',
    ];
    for (const name of names)
      assert.deepEqual(rawHeader(got, name), [sent.headers.find(([k]) => k === name)?.[1]], name);
    const order = (got?.rawHeaders ?? []).filter((_, i) => i % 2 === 0).filter((n) => names.includes(n));
    assert.deepEqual(order, names, 'device header order kept');
    assert.deepEqual(rawHeader(got, 'Accept-Encoding'), ['identity']);
    assert.deepEqual(proxyHeader(got, 'Content-Length'), [String(sent.body.length)]);
  });

  test('the path without the trailing slash is forwarded with it', async () => {
    await rawRequest(h.port, deviceRequest('python-no-trailing-slash'));
    assert.equal(h.upstream.received.at(-1)?.url, '/xiaozhi/ota/');
  });

  test('an invalid JSON body (raw SSID quote) is forwarded, never rejected', async () => {
    const res = await rawRequest(h.port, deviceRequest('python-non-json-body'));
    assert.equal(res.status, 200);
    assert.deepEqual(h.upstream.received.at(-1)?.body, readCapture('python-non-json-body', 'request').body);
  });

  test('Serial-Number passes through', async () => {
    await rawRequest(h.port, withHeaders(deviceRequest('python-default-post'), 'Serial-Number: SN-0042\r\n'));
    assert.deepEqual(rawHeader(h.upstream.received.at(-1), 'Serial-Number'), ['SN-0042']);
  });

  test('from a trusted peer (loopback), X-Forwarded-* are believed and extended', async () => {
    const req = withHeaders(
      deviceRequest('python-default-post', { host: 'proxy.lan:8003' }),
      'X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Host: ota.example.com\r\nX-Forwarded-Proto: https\r\n',
    );
    await rawRequest(h.port, req);
    const got = h.upstream.received.at(-1);
    assert.deepEqual(rawHeader(got, 'X-Forwarded-For'), ['203.0.113.9, 127.0.0.1']);
    assert.deepEqual(rawHeader(got, 'X-Real-IP'), ['203.0.113.9']);
    assert.deepEqual(rawHeader(got, 'X-Forwarded-Host'), ['ota.example.com']);
    assert.deepEqual(rawHeader(got, 'X-Forwarded-Proto'), ['https']);
    assert.deepEqual(proxyHeader(got, 'Host'), [`127.0.0.1:${h.upstream.port}`]);
  });
});

describe('forwarding from an untrusted peer', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ yaml: 'trusted_proxies: [10.99.0.0/16]\n' });
  });
  after(() => h.close());

  test('client-sent X-Forwarded-* are replaced by what the proxy saw', async () => {
    const req = withHeaders(
      deviceRequest('python-default-post', { host: 'proxy.lan:8003' }),
      'X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nX-Real-IP: 6.6.6.6\r\n',
    );
    await rawRequest(h.port, req);
    const got = h.upstream.received.at(-1);
    assert.deepEqual(rawHeader(got, 'X-Forwarded-For'), ['127.0.0.1']);
    assert.deepEqual(rawHeader(got, 'X-Real-IP'), ['127.0.0.1']);
    assert.deepEqual(rawHeader(got, 'X-Forwarded-Host'), ['proxy.lan:8003']);
    assert.deepEqual(rawHeader(got, 'X-Forwarded-Proto'), ['http']);
  });
});
