import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../helpers/config-issues.js';

// The accepted spellings of each key and how they normalise (docs/configuration.md "The file", "Conditions").

describe('a single item may be written without the list', () => {
  test('websocket', () => {
    const one = parse('websocket:\n  url: ws://{host}:8000/xiaozhi/v1/\n');
    const list = parse('websocket:\n  - url: ws://{host}:8000/xiaozhi/v1/\n');
    assert.deepEqual(one.websocket, list.websocket);
    assert.equal(one.websocket?.length, 1);
  });

  test('mqtt: a mode, an item, or a list of items and modes', () => {
    assert.deepEqual(parse('mqtt: strip\n').mqtt, [{ when: {}, mode: 'strip' }]);
    assert.deepEqual(parse('mqtt: {mode: strip}\n').mqtt, [{ when: {}, mode: 'strip' }]);
    const list = parse('mqtt:\n  - {when: {devices: aabbccddee01}, mode: keep}\n  - strip\n').mqtt;
    assert.deepEqual(
      list.map((i) => i.mode),
      ['keep', 'strip'],
    );
    assert.deepEqual(list[0]?.when.devices, ['aa:bb:cc:dd:ee:01']);
  });

  test('server_time', () => {
    assert.deepEqual(parse('server_time: {offset_minutes: 0}\n').serverTime, [
      { when: {}, zone: { kind: 'fixed', offsetMinutes: 0 } },
    ]);
    assert.deepEqual(parse('server_time: [{timezone: UTC}]\n').serverTime, [
      { when: {}, zone: { kind: 'zone', name: 'UTC' } },
    ]);
  });

  test('condition members and trusted_proxies', () => {
    const config = parse(
      'trusted_proxies: 10.0.0.1\nwebsocket:\n  when: {source: 10.0.0.0/8, host: a.lan, board: b, devices: aa:bb:cc:dd:ee:ff, version: ">=1"}\n  url: ws://a/\n',
    );
    assert.equal(config.trustedProxies.length, 1);
    assert.equal(config.trustedProxies[0]?.prefix, 32);
    const when = config.websocket?.[0]?.when;
    assert.deepEqual(Object.keys(when ?? {}).sort(), ['board', 'devices', 'host', 'source', 'version']);
  });
});

describe('empty lists where they mean something', () => {
  test('rewrite: [] and trusted_proxies: [] are allowed', () => {
    const config = parse('rewrite: []\ntrusted_proxies: []\n');
    assert.deepEqual(config.rewrite, []);
    assert.deepEqual(config.trustedProxies, []);
  });
  test('websocket: null leaves the section alone', () => {
    assert.equal(parse('websocket: null\n').websocket, null);
    assert.equal(parse('websocket:\n').websocket, null);
  });
  test('when: empty matches every device', () => {
    assert.deepEqual(parse('websocket:\n  when:\n  url: ws://a/\n').websocket?.[0]?.when, {});
  });
});

describe('normalisation', () => {
  test('ota_path and voice_proxy.path start and end with /', () => {
    for (const [written, expected] of [
      ['/xiaozhi/ota/', '/xiaozhi/ota/'],
      ['/xiaozhi/ota', '/xiaozhi/ota/'],
      ['xiaozhi/ota', '/xiaozhi/ota/'],
      ['/', '/'],
    ] as const) {
      assert.equal(parse(`ota_path: ${written}\n`).otaPath, expected);
      assert.equal(parse(`voice_proxy: {path: ${written}}\n`).voiceProxy.path, expected);
    }
  });

  test('listen: IPv4, host names, bracketed IPv6, port 0', () => {
    assert.deepEqual(parse('listen: 127.0.0.1:8003\n').listen, { host: '127.0.0.1', port: 8003 });
    assert.deepEqual(parse('listen: LocalHost:8003\n').listen, { host: 'localhost', port: 8003 });
    assert.deepEqual(parse('listen: "[::1]:8003"\n').listen, { host: '::1', port: 8003 });
    assert.deepEqual(parse('listen: 127.0.0.1:0\n').listen, { host: '127.0.0.1', port: 0 });
  });

  test('upstream.url: default ports written out, a bare / accepted, host lowercased', () => {
    assert.equal(
      parse('upstream: {url: "http://Server.LAN"}\n').upstream.target.href,
      'http://server.lan:80',
    );
    assert.equal(
      parse('upstream: {url: "http://10.0.0.2:8003/"}\n').upstream.target.href,
      'http://10.0.0.2:8003',
    );
    assert.deepEqual(parse('upstream: {url: "http://[::1]:8002"}\n').upstream.target, {
      scheme: 'http',
      host: '[::1]',
      port: 8002,
      href: 'http://[::1]:8002',
    });
  });

  test('public_url: auto or an origin', () => {
    assert.equal(parse('public_url: auto\n').publicUrl, 'auto');
    assert.deepEqual(parse('public_url: http://ota.lan\n').publicUrl, {
      scheme: 'http',
      host: 'ota.lan',
      port: 80,
    });
    assert.deepEqual(parse('public_url: https://ota.lan/\n').publicUrl, {
      scheme: 'https',
      host: 'ota.lan',
      port: 443,
    });
  });

  test('voice_proxy.upstream: ws and wss', () => {
    assert.deepEqual(parse('voice_proxy: {upstream: "ws://127.0.0.1:8000"}\n').voiceProxy.upstream, {
      scheme: 'http',
      wsScheme: 'ws',
      host: '127.0.0.1',
      port: 8000,
      href: 'ws://127.0.0.1:8000',
    });
    assert.equal(
      parse('voice_proxy: {upstream: "wss://voice.lan"}\n').voiceProxy.upstream?.href,
      'wss://voice.lan:443',
    );
  });

  test("paths resolve against the config file's folder", () => {
    const config = parse('firmware: {dir: ./fw}\ntls: {cert: ../tls/c.pem, key: /abs/k.pem}\n', {
      file: '/etc/xz/proxy.yaml',
    });
    assert.equal(config.firmware.dir, '/etc/xz/fw');
    assert.deepEqual(config.tls, { cert: '/etc/tls/c.pem', key: '/abs/k.pem' });
  });

  test('time zones: IANA names, case fixed; upstream; fixed offsets', () => {
    assert.deepEqual(parse('server_time: {timezone: asia/SHANGHAI}\n').serverTime[0]?.zone, {
      kind: 'zone',
      name: 'Asia/Shanghai',
    });
    assert.deepEqual(parse('server_time: {timezone: upstream}\n').serverTime[0]?.zone, { kind: 'upstream' });
    assert.deepEqual(parse('server_time: {offset_minutes: 330}\n').serverTime[0]?.zone, {
      kind: 'fixed',
      offsetMinutes: 330,
    });
  });

  test('log.pretty: auto, true, false', () => {
    assert.equal(parse('log: {pretty: auto}\n').log.pretty, 'auto');
    assert.equal(parse('log: {pretty: true}\n').log.pretty, true);
    assert.equal(parse('log: {pretty: false}\n').log.pretty, false);
  });

  test('${VAR} unquoted is read as YAML: numbers, booleans, null', () => {
    // Block style: inside a flow mapping `{…}` YAML itself reads the `{` of `${T}` as syntax.
    const config = parse(
      'upstream:\n  timeout_ms: ${T}\nfallback:\n  enabled: ${F}\nfirmware:\n  dir: ${FW:-null}\n',
      {
        env: { T: '5000', F: 'false' },
      },
    );
    assert.equal(config.upstream.timeoutMs, 5000);
    assert.equal(config.fallback.enabled, false);
    assert.equal(config.firmware.dir, null);
  });

  test('YAML anchors and aliases work', () => {
    const config = parse(
      'websocket:\n  - when: &lan {source: 192.168.0.0/16}\n    url: ws://a/\nmqtt:\n  - when: *lan\n    mode: strip\n',
    );
    assert.deepEqual(config.mqtt[0]?.when, config.websocket?.[0]?.when);
    assert.equal(config.mqtt[0]?.when.source?.[0]?.text, '192.168.0.0/16');
  });
});
