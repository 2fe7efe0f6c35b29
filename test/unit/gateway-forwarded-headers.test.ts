import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardedHeaders, hopByHopNames } from '../../src/gateway/forwarded-headers.js';

const facts = {
  peer: '127.0.0.1',
  trustedPeer: true,
  address: '203.0.113.9',
  tls: false,
  upstreamHost: '127.0.0.1:8002',
};

function pairs(list: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < list.length; i += 2) out.push([list[i] as string, list[i + 1] as string]);
  return out;
}

test('device headers kept in order and casing; hop-by-hop and framing replaced', () => {
  const raw = [
    'Host',
    'proxy.lan:8003',
    'Device-Id',
    'AA:BB',
    'Connection',
    'close, X-Hop',
    'X-Hop',
    '1',
    'TE',
    'trailers',
    'Content-Length',
    '5',
    'Accept-Encoding',
    'gzip',
    'User-Agent',
    'b/1',
  ];
  // Connection, what it names (X-Hop), TE and Content-Length are gone; nothing else is added.
  assert.deepEqual(pairs(forwardedHeaders(raw, facts)), [
    ['Host', '127.0.0.1:8002'],
    ['Device-Id', 'AA:BB'],
    ['User-Agent', 'b/1'],
    ['Accept-Encoding', 'identity'],
    ['X-Forwarded-For', '127.0.0.1'],
    ['X-Real-IP', '203.0.113.9'],
    ['X-Forwarded-Host', 'proxy.lan:8003'],
    ['X-Forwarded-Proto', 'http'],
  ]);
});

test('trusted peer: X-Forwarded-For extended, right-most X-Forwarded-Host/-Proto believed', () => {
  const raw = [
    'Host',
    'a',
    'X-Forwarded-For',
    '1.1.1.1',
    'X-Forwarded-For',
    '2.2.2.2',
    'X-Forwarded-Host',
    'x.example, y.example',
    'X-Forwarded-Proto',
    'https',
  ];
  assert.deepEqual(pairs(forwardedHeaders(raw, facts)), [
    ['Host', '127.0.0.1:8002'],
    ['Accept-Encoding', 'identity'],
    ['X-Forwarded-For', '1.1.1.1, 2.2.2.2, 127.0.0.1'],
    ['X-Real-IP', '203.0.113.9'],
    ['X-Forwarded-Host', 'y.example'],
    ['X-Forwarded-Proto', 'https'],
  ]);
});

test('untrusted peer: client-sent forwarding headers replaced by what the proxy saw', () => {
  const raw = [
    'Host',
    'a:1',
    'X-Forwarded-For',
    '6.6.6.6',
    'X-Real-IP',
    '6.6.6.6',
    'X-Forwarded-Host',
    'evil',
    'X-Forwarded-Proto',
    'https',
    'Forwarded',
    'for=6.6.6.6',
  ];
  const out = pairs(
    forwardedHeaders(raw, {
      ...facts,
      trustedPeer: false,
      peer: '192.168.1.50',
      address: '192.168.1.50',
      tls: true,
    }),
  );
  assert.deepEqual(out, [
    ['Host', '127.0.0.1:8002'],
    ['Accept-Encoding', 'identity'],
    ['X-Forwarded-For', '192.168.1.50'],
    ['X-Real-IP', '192.168.1.50'],
    ['X-Forwarded-Host', 'a:1'],
    ['X-Forwarded-Proto', 'https'],
  ]);
});

test('hopByHopNames adds the names a Connection header lists', () => {
  assert.deepEqual([...hopByHopNames(['keep-alive, X-Foo', 'Upgrade'])].sort(), [
    'connection',
    'keep-alive',
    'proxy-authenticate',
    'proxy-authorization',
    'proxy-connection',
    'te',
    'trailer',
    'trailers',
    'transfer-encoding',
    'upgrade',
    'x-foo',
  ]);
});
