import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startVoiceHarness } from '../helpers/voice-harness.js';
import type { VoiceHarness } from '../helpers/voice-harness.js';

// What the voice server keys sessions and auth on arrives as the device sent it; the address it
// sees is the device's as the proxy resolved it (docs/configuration.md `source`), never a value the device claims.
let h: VoiceHarness;
before(async () => {
  h = await startVoiceHarness({
    // Stands in for the lead's address resolution (trusted proxies): the test names the address.
    clientAddress: (req) => String(req.headers['x-test-address'] ?? req.socket.remoteAddress ?? ''),
  });
});
after(() => h.close());

const deviceHeaders = {
  Authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.device-token',
  'Device-Id': 'AA:BB:CC:DD:EE:01',
  'Client-Id': '7b94d69a-9808-4c59-9c9b-704333b38aff',
  'Protocol-Version': '3',
};

test('device headers, query string and subprotocol reach the upstream unchanged', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect('/xiaozhi/v1/?device-id=aa:bb:cc:dd:ee:01&client-id=web-1', {
    protocols: ['xiaozhi-v1'],
    headers: { ...deviceHeaders, 'X-Test-Address': '203.0.113.7' },
  });
  const { req } = await upstreamConnected;
  assert.equal(req.url, '/xiaozhi/v1/?device-id=aa:bb:cc:dd:ee:01&client-id=web-1');
  assert.equal(req.headers.authorization, deviceHeaders.Authorization);
  assert.equal(req.headers['device-id'], deviceHeaders['Device-Id']);
  assert.equal(req.headers['client-id'], deviceHeaders['Client-Id']);
  assert.equal(req.headers['protocol-version'], '3');
  assert.equal(req.headers['sec-websocket-protocol'], 'xiaozhi-v1');
  assert.equal(req.headers.host, `127.0.0.1:${h.front.port}`);
  // The 101 carries the upstream's choice back: the device sees the subprotocol it asked for.
  assert.equal(ws.protocol, 'xiaozhi-v1');
  ws.terminate();
});

test('X-Real-IP and X-Forwarded-For carry the resolved device address', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect('/xiaozhi/v1/', {
    headers: { ...deviceHeaders, 'X-Test-Address': '203.0.113.7' },
  });
  const { req } = await upstreamConnected;
  assert.equal(req.headers['x-real-ip'], '203.0.113.7');
  assert.equal(req.headers['x-forwarded-for'], '203.0.113.7');
  ws.terminate();
});

test('addresses the device claims itself are replaced', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect('/xiaozhi/v1/', {
    headers: {
      ...deviceHeaders,
      'X-Test-Address': '198.51.100.4',
      'X-Forwarded-For': '10.9.9.9',
      'X-Real-IP': '10.9.9.9',
    },
  });
  const { req } = await upstreamConnected;
  assert.equal(req.headers['x-real-ip'], '198.51.100.4');
  assert.equal(req.headers['x-forwarded-for'], '198.51.100.4');
  ws.terminate();
});

test('an IPv4-mapped IPv6 address is sent as plain IPv4', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect('/xiaozhi/v1/', { headers: { 'X-Test-Address': '::ffff:192.0.2.33' } });
  const { req } = await upstreamConnected;
  assert.equal(req.headers['x-real-ip'], '192.0.2.33');
  assert.equal(req.headers['x-forwarded-for'], '192.0.2.33');
  ws.terminate();
});

test('the socket peer is used when nothing else is known', async () => {
  const upstreamConnected = h.upstream.nextConnection();
  const ws = await h.connect();
  const { req } = await upstreamConnected;
  assert.equal(req.headers['x-forwarded-for'], '127.0.0.1');
  ws.terminate();
});
