/** doctor's host judgement: Docker-internal, loopback, placeholders and private addresses, as devices would meet them. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointOf, hostKind, judgeHost, mqttEndpointOf } from '../../src/doctor/host-kind.js';

describe('host kinds', () => {
  const table: [string, ReturnType<typeof hostKind>][] = [
    ['127.0.0.1', 'loopback'],
    ['localhost', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['172.21.0.5', 'docker'],
    ['172.17.0.1', 'docker'],
    ['172.32.0.1', 'public-ip'],
    ['192.168.1.25', 'private'],
    ['10.8.0.3', 'private'],
    ['fd00::5', 'private'],
    ['169.254.1.1', 'link-local'],
    ['100.100.1.2', 'shared'],
    ['你的ip或者域名', 'placeholder'],
    ['xiaozhi.server.com', 'placeholder'],
    ['mqtt.example.com', 'placeholder'],
    ['{host}', 'placeholder'],
    ['8.8.8.8', 'public-ip'],
    ['xz.home.arpa', 'name'],
    ['::ffff:172.20.0.2', 'docker'],
  ];
  for (const [host, kind] of table) test(`${host} is ${kind}`, () => assert.equal(hostKind(host), kind));
});

describe('judging a host devices are sent to', () => {
  test('the host devices use for the proxy is always fine, loopback included', () => {
    assert.equal(judgeHost('127.0.0.1', '127.0.0.1').verdict, 'ok');
    assert.equal(judgeHost('192.168.1.10', '192.168.1.10').verdict, 'ok');
  });

  test('Docker-internal, loopback and placeholders fail', () => {
    assert.equal(judgeHost('172.21.0.5', '192.168.1.10').verdict, 'fail');
    assert.equal(judgeHost('127.0.0.1', '192.168.1.10').verdict, 'fail');
    assert.equal(judgeHost('xiaozhi.server.com', '192.168.1.10').verdict, 'fail');
    assert.equal(judgeHost('0.0.0.0', '192.168.1.10').verdict, 'fail');
  });

  test('a 172.16/12 LAN is recognised when devices use the same /16', () => {
    assert.equal(judgeHost('172.20.1.7', '172.20.1.5').verdict, 'ok');
  });

  test('a private address is fine for devices on a private network, a warning for devices coming from a public name', () => {
    assert.equal(judgeHost('192.168.1.25', '192.168.1.10').verdict, 'ok');
    assert.equal(judgeHost('192.168.1.25', 'xz.example.org').verdict, 'warn');
    assert.equal(judgeHost('xz.home.arpa', '192.168.1.10').verdict, 'ok');
  });
});

describe('endpoints of URLs', () => {
  test('ports default by scheme, hosts stay as written', () => {
    assert.deepEqual(endpointOf('ws://172.21.0.5:8000/xiaozhi/v1/'), {
      scheme: 'ws',
      host: '172.21.0.5',
      port: 8000,
    });
    assert.deepEqual(endpointOf('wss://xz.example.com/xiaozhi/v1/'), {
      scheme: 'wss',
      host: 'xz.example.com',
      port: 443,
    });
    assert.deepEqual(endpointOf('http://[fd00::1]:8003/x'), { scheme: 'http', host: 'fd00::1', port: 8003 });
    assert.deepEqual(endpointOf('ws://你的ip或者域名:端口号/xiaozhi/v1/'), {
      scheme: 'ws',
      host: '你的ip或者域名',
      port: null,
    });
    assert.equal(endpointOf('not a url'), null);
  });

  test('MQTT endpoints are host or host:port', () => {
    assert.deepEqual(mqttEndpointOf('mqtt.example.com:1883'), {
      scheme: 'mqtt',
      host: 'mqtt.example.com',
      port: 1883,
    });
    assert.deepEqual(mqttEndpointOf('192.168.1.25'), { scheme: 'mqtt', host: '192.168.1.25', port: 1883 });
    assert.equal(mqttEndpointOf('a:b:c'), null);
  });
});
