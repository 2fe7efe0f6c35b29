import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readRequestFacts, type RequestFactsInput } from '../../src/device/request-facts.js';
import { cidrs, testConfig } from '../helpers/config-fixture.js';

/** Defaults: trusted_proxies 127.0.0.0/8 and ::1/128, public_url auto, plain HTTP. */
function facts(input: Partial<RequestFactsInput> & { headers?: Record<string, string> }) {
  return readRequestFacts({ peer: '192.168.1.23', headers: {}, tls: false, config: testConfig(), ...input });
}

describe('the device address (`when.source`)', () => {
  test('an untrusted peer is the address, and its X-Forwarded-For is ignored', () => {
    const f = facts({ peer: '192.168.1.23', headers: { 'x-forwarded-for': '10.9.9.9' } });
    assert.equal(f.address, '192.168.1.23');
    assert.equal(f.trustedPeer, false);
  });

  test('a trusted peer: the right-most hop that is not itself trusted', () => {
    const f = facts({
      peer: '127.0.0.1',
      headers: { 'x-forwarded-for': '6.6.6.6, 192.168.1.23, 127.0.0.5' },
    });
    assert.equal(f.trustedPeer, true);
    assert.equal(f.address, '192.168.1.23');
  });

  test('a trusted peer whose hops are all trusted: the left-most', () => {
    const f = facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': '127.0.0.9, ::1, 127.0.0.5' } });
    assert.equal(f.address, '127.0.0.9');
  });

  test('a trusted peer without X-Forwarded-For: the peer', () => {
    assert.equal(facts({ peer: '127.0.0.1' }).address, '127.0.0.1');
    assert.equal(facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': ' , ' } }).address, '127.0.0.1');
  });

  test('garbage hops never throw: the walk stops at the last trusted address', () => {
    assert.equal(
      facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': '10.0.0.7, not-an-ip' } }).address,
      '127.0.0.1',
    );
    assert.equal(
      facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': 'evil, 10.0.0.7' } }).address,
      '10.0.0.7',
    );
    assert.equal(
      facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': 'unknown, 127.0.0.2' } }).address,
      '127.0.0.2',
    );
    for (const junk of ['"]', '[::1', '1.2.3.4.5', '::::', '\u0000', '%', 'a'.repeat(10_000)]) {
      // The only hop is no address: the walk stops at the peer.
      assert.equal(facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': junk } }).address, '127.0.0.1');
    }
  });

  test('hops with ports or brackets are read as addresses', () => {
    assert.equal(
      facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': '192.168.1.23:51000' } }).address,
      '192.168.1.23',
    );
    assert.equal(
      facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': '[2001:db8::1]:443' } }).address,
      '2001:db8::1',
    );
    assert.equal(
      facts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': '2001:DB8::2' } }).address,
      '2001:db8::2',
    );
  });

  test('IPv4-mapped IPv6 is unmapped, for the peer and for the hops', () => {
    const direct = facts({ peer: '::ffff:192.168.1.23' });
    assert.equal(direct.peer, '192.168.1.23');
    assert.equal(direct.address, '192.168.1.23');
    const mappedTrusted = facts({
      peer: '::ffff:127.0.0.1',
      headers: { 'x-forwarded-for': '::ffff:10.0.0.7' },
    });
    assert.equal(mappedTrusted.trustedPeer, true);
    assert.equal(mappedTrusted.address, '10.0.0.7');
  });

  test('an IPv6 peer in trusted_proxies is trusted', () => {
    const f = facts({ peer: '::1', headers: { 'x-forwarded-for': '192.168.1.23' } });
    assert.equal(f.trustedPeer, true);
    assert.equal(f.address, '192.168.1.23');
  });

  test("trusted_proxies is the config's, not a fixed list", () => {
    const config = testConfig({ trustedProxies: cidrs('10.0.0.0/8') });
    assert.equal(
      readRequestFacts({ peer: '127.0.0.1', headers: { 'x-forwarded-for': '1.2.3.4' }, tls: false, config })
        .address,
      '127.0.0.1',
    );
    assert.equal(
      readRequestFacts({ peer: '10.1.1.1', headers: { 'x-forwarded-for': '1.2.3.4' }, tls: false, config })
        .address,
      '1.2.3.4',
    );
  });
});

describe('the host the request named (`when.host`)', () => {
  test('Host without its port, lowercase', () => {
    assert.equal(facts({ headers: { host: 'XZ.Example.com:8003' } }).host, 'xz.example.com');
  });

  test('X-Forwarded-Host (right-most value) from a trusted peer wins over Host', () => {
    const f = facts({
      peer: '127.0.0.1',
      headers: { host: 'proxy:8003', 'x-forwarded-host': 'spoofed.example, xz.example.com:443' },
    });
    assert.equal(f.host, 'xz.example.com');
  });

  test('X-Forwarded-Host from an untrusted peer is ignored', () => {
    assert.equal(
      facts({ headers: { host: '192.168.1.10:8003', 'x-forwarded-host': 'evil.example' } }).host,
      '192.168.1.10',
    );
  });

  test('IPv6 hosts keep their brackets', () => {
    assert.equal(facts({ headers: { host: '[FE80::1]:8003' } }).host, '[fe80::1]');
    assert.equal(facts({ headers: { host: '[2001:db8::5]' } }).host, '[2001:db8::5]');
  });

  test('no Host, or a Host that is not a host: unknown, never thrown', () => {
    assert.equal(facts({}).host, null);
    for (const bad of [
      '',
      ' ',
      'a b',
      'evil.com/path',
      'user@host',
      'host:port',
      'host:99999',
      'host:0',
      '::1',
      '[::1',
      '[zz]:80',
      '[::1]x',
      'a..b',
      '-a.com',
      'a'.repeat(300),
    ]) {
      assert.equal(facts({ headers: { host: bad } }).host, null, bad);
    }
  });

  test('a malformed X-Forwarded-Host falls back to Host', () => {
    assert.equal(
      facts({ peer: '127.0.0.1', headers: { host: 'xz.example.com', 'x-forwarded-host': 'bad host' } }).host,
      'xz.example.com',
    );
  });
});

describe('the effective origin (docs/configuration.md "Templates")', () => {
  test('direct: scheme from the listener, host and port from Host, default port when none', () => {
    assert.deepEqual(facts({ headers: { host: '192.168.1.10:8003' } }).origin, {
      scheme: 'http',
      host: '192.168.1.10',
      port: 8003,
    });
    assert.deepEqual(facts({ headers: { host: 'xz.example.com' } }).origin, {
      scheme: 'http',
      host: 'xz.example.com',
      port: 80,
    });
    assert.deepEqual(facts({ tls: true, headers: { host: 'xz.example.com' } }).origin, {
      scheme: 'https',
      host: 'xz.example.com',
      port: 443,
    });
  });

  test('behind a trusted proxy: X-Forwarded-Host and X-Forwarded-Proto (right-most); the port from that host', () => {
    const f = facts({
      peer: '127.0.0.1',
      headers: {
        host: '127.0.0.1:8003',
        'x-forwarded-host': 'xz.example.com',
        'x-forwarded-proto': 'http, HTTPS',
      },
    });
    assert.deepEqual(f.origin, { scheme: 'https', host: 'xz.example.com', port: 443 });
    const tunnel = facts({
      peer: '127.0.0.1',
      headers: { host: 'frp.example.net:7001', 'x-forwarded-proto': 'http' },
    });
    assert.deepEqual(tunnel.origin, { scheme: 'http', host: 'frp.example.net', port: 7001 });
  });

  test('X-Forwarded-Proto other than http/https, or from an untrusted peer, is ignored', () => {
    assert.equal(
      facts({ peer: '127.0.0.1', headers: { host: 'a', 'x-forwarded-proto': 'wss' } }).origin.scheme,
      'http',
    );
    assert.equal(
      facts({ peer: '127.0.0.1', tls: true, headers: { host: 'a', 'x-forwarded-proto': 'gopher' } }).origin
        .scheme,
      'https',
    );
    assert.equal(facts({ headers: { host: 'a', 'x-forwarded-proto': 'https' } }).origin.scheme, 'http');
  });

  test('X-Forwarded-Port and Forwarded are ignored', () => {
    const f = facts({
      peer: '127.0.0.1',
      headers: {
        host: 'xz.example.com:8003',
        'x-forwarded-port': '9999',
        forwarded: 'host=evil;proto=https',
      },
    });
    assert.deepEqual(f.origin, { scheme: 'http', host: 'xz.example.com', port: 8003 });
  });

  test('a fixed public_url wins field by field, but never becomes `when.host`', () => {
    const config = testConfig({ publicUrl: { scheme: 'https', host: 'ota.example.org', port: 8443 } });
    const f = readRequestFacts({
      peer: '127.0.0.1',
      headers: { host: '192.168.1.10:8003', 'x-forwarded-proto': 'http' },
      tls: false,
      config,
    });
    assert.deepEqual(f.origin, { scheme: 'https', host: 'ota.example.org', port: 8443 });
    assert.equal(f.host, '192.168.1.10');
  });

  test('IPv6 Host: bracketed host in the origin', () => {
    assert.deepEqual(facts({ headers: { host: '[2001:db8::5]:8003' } }).origin, {
      scheme: 'http',
      host: '[2001:db8::5]',
      port: 8003,
    });
  });

  test("no usable Host: the socket's local address and port", () => {
    assert.deepEqual(facts({ localAddress: '192.168.1.10', localPort: 8003 }).origin, {
      scheme: 'http',
      host: '192.168.1.10',
      port: 8003,
    });
    assert.deepEqual(facts({ localAddress: '::ffff:192.168.1.10', localPort: 8003 }).origin, {
      scheme: 'http',
      host: '192.168.1.10',
      port: 8003,
    });
    assert.deepEqual(facts({ localAddress: 'fe80::1%eth0', localPort: 8003 }).origin, {
      scheme: 'http',
      host: '[fe80::1]',
      port: 8003,
    });
    assert.deepEqual(facts({ headers: { host: 'bad host' }, localAddress: '10.0.0.2' }).origin, {
      scheme: 'http',
      host: '10.0.0.2',
      port: 80,
    });
    assert.deepEqual(facts({}).origin, { scheme: 'http', host: 'localhost', port: 80 });
  });
});
