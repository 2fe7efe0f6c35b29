import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteUrls } from '../../src/rewrite/rules/rewrite-urls.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import { rewriteRule, testConfig, testContext, testDevice, testRequest } from '../helpers/config-fixture.js';
import { upstreamReply } from '../helpers/upstream-replies.js';

const CONTAINER_HTTP = rewriteRule('http://172.21.0.5:8003/', '{scheme}://{host}:{port}/');
const CONTAINER_WS = rewriteRule('ws://172.21.0.5:8000/', '{scheme}://{host}:8000/');

function apply(body: JsonObject, ctx = testContext()) {
  return rewriteUrls.apply(body, ctx);
}

function section(body: JsonObject, key: string): JsonObject {
  return body[key] as JsonObject;
}

describe('prefix replacement (python-firmware-available: the container address)', () => {
  test('websocket.url and firmware.url get the request origin; everything else stays', () => {
    const upstream = upstreamReply('python-firmware-available');
    const ctx = testContext({ config: testConfig({ rewrite: [CONTAINER_HTTP, CONTAINER_WS] }) });
    const out = apply(upstream, ctx);
    assert.equal(out.applied, true);
    assert.deepEqual(section(out.body, 'websocket'), {
      url: 'ws://192.168.1.10:8000/xiaozhi/v1/',
      token: '',
    });
    assert.deepEqual(section(out.body, 'firmware'), {
      version: '1.7.0',
      url: 'http://192.168.1.10:8003/xiaozhi/ota/download/bread-compact-wifi_1.7.0.bin',
    });
    assert.deepEqual(out.body.server_time, upstream.server_time);
    assert.deepEqual(Object.keys(out.body), Object.keys(upstream));
  });

  test('{scheme} is ws/wss in the websocket URL and http/https in the firmware URL', () => {
    const rule = rewriteRule('http://172.21.0.5:8003/', '{scheme}://{host}/');
    const wsRule = rewriteRule('ws://172.21.0.5:8000/', '{scheme}://{host}/');
    const ctx = testContext({
      config: testConfig({ rewrite: [rule, wsRule] }),
      request: testRequest({ origin: { scheme: 'https', host: 'xz.example.com', port: 443 } }),
    });
    const out = apply(upstreamReply('python-firmware-available'), ctx);
    assert.equal(section(out.body, 'websocket').url, 'wss://xz.example.com/xiaozhi/v1/');
    assert.equal(
      section(out.body, 'firmware').url,
      'https://xz.example.com/xiaozhi/ota/download/bread-compact-wifi_1.7.0.bin',
    );
  });

  test('every matching rule applies, in order, each to the result of the previous', () => {
    const first = rewriteRule('ws://172.21.0.5:8000/', 'ws://stage-one/');
    const second = rewriteRule('ws://stage-one/', 'wss://stage-two/');
    const ctx = testContext({ config: testConfig({ rewrite: [first, second] }) });
    assert.equal(
      section(apply(upstreamReply('python-default-post'), ctx).body, 'websocket').url,
      'wss://stage-two/xiaozhi/v1/',
    );
    const reversed = testContext({ config: testConfig({ rewrite: [second, first] }) });
    assert.equal(
      section(apply(upstreamReply('python-default-post'), reversed).body, 'websocket').url,
      'ws://stage-one/xiaozhi/v1/',
    );
  });

  test('the Java placeholder URL and an empty URL are never rewritten', () => {
    const rule = rewriteRule('http://xiaozhi.server.com:8002/', 'http://{host}:8002/');
    const ctx = testContext({ config: testConfig({ rewrite: [rule] }) });
    const upstream = upstreamReply('java-unbound-device');
    const out = apply(upstream, ctx);
    assert.equal(out.applied, false);
    assert.deepEqual(out.body, upstream);
    const empty = testContext({ config: testConfig({ rewrite: [rewriteRule('', 'http://x/')] }) });
    assert.equal(section(apply(upstreamReply('python-default-post'), empty).body, 'firmware').url, '');
  });

  test('a prefix that does not match leaves the reply untouched and the input is never mutated', () => {
    const upstream = upstreamReply('python-configured-ws-wss');
    const snapshot = structuredClone(upstream);
    const out = apply(
      upstream,
      testContext({ config: testConfig({ rewrite: [CONTAINER_HTTP, CONTAINER_WS] }) }),
    );
    assert.equal(out.applied, false);
    assert.equal(out.body, upstream);
    const changed = apply(
      upstreamReply('python-default-post'),
      testContext({ config: testConfig({ rewrite: [CONTAINER_WS] }) }),
    );
    assert.equal(changed.applied, true);
    assert.deepEqual(upstream, snapshot);
  });

  test('no rewrite rules: nothing to do', () => {
    const upstream = upstreamReply('python-default-post');
    assert.deepEqual(apply(upstream), { body: upstream, applied: false });
  });
});

describe('`when:` conditions on rewrite rules', () => {
  const url = (ctx: ReturnType<typeof testContext>) =>
    section(apply(upstreamReply('python-default-post'), ctx).body, 'websocket').url;
  const withRule = (
    spec: Parameters<typeof rewriteRule>[2],
    overrides: Parameters<typeof testContext>[0] = {},
  ) =>
    testContext({
      ...overrides,
      config: testConfig({ rewrite: [rewriteRule('ws://172.21.0.5:8000/', 'ws://matched/', spec)] }),
    });

  test('source: the device address in a CIDR', () => {
    assert.equal(url(withRule({ source: ['192.168.1.0/24'] })), 'ws://matched/xiaozhi/v1/');
    assert.equal(url(withRule({ source: ['10.0.0.0/8'] })), 'ws://172.21.0.5:8000/xiaozhi/v1/');
  });

  test('host: the host the request named, glob, case-insensitive', () => {
    assert.equal(url(withRule({ host: ['192.168.1.*'] })), 'ws://matched/xiaozhi/v1/');
    assert.equal(
      url(withRule({ host: ['XZ.example.com'] }, { request: testRequest({ host: 'xz.example.com' }) })),
      'ws://matched/xiaozhi/v1/',
    );
    assert.equal(url(withRule({ host: ['*.example.com'] })), 'ws://172.21.0.5:8000/xiaozhi/v1/');
    assert.equal(
      url(withRule({ host: ['*'] }, { request: testRequest({ host: null }) })),
      'ws://172.21.0.5:8000/xiaozhi/v1/',
    );
  });

  test('board: the build name or the board type', () => {
    const device = testDevice({ build: 'bread-compact-wifi-128x64', boardType: 'bread-compact-wifi' });
    assert.equal(url(withRule({ board: ['*-128x64'] }, { device })), 'ws://matched/xiaozhi/v1/');
    assert.equal(url(withRule({ board: ['bread-compact-wifi'] }, { device })), 'ws://matched/xiaozhi/v1/');
    assert.equal(url(withRule({ board: ['m5stack-*'] }, { device })), 'ws://172.21.0.5:8000/xiaozhi/v1/');
  });

  test('devices: the device id', () => {
    assert.equal(url(withRule({ devices: ['AA:BB:CC:DD:EE:01'] })), 'ws://matched/xiaozhi/v1/');
    assert.equal(url(withRule({ devices: ['aa:bb:cc:dd:ee:02'] })), 'ws://172.21.0.5:8000/xiaozhi/v1/');
    assert.equal(
      url(withRule({ devices: ['aa:bb:cc:dd:ee:01'] }, { device: testDevice({ id: null }) })),
      'ws://172.21.0.5:8000/xiaozhi/v1/',
    );
  });

  test('version: the running version', () => {
    assert.equal(url(withRule({ version: ['>=1.6.0 <1.8.0'] })), 'ws://matched/xiaozhi/v1/');
    assert.equal(url(withRule({ version: ['>=2.0.0'] })), 'ws://172.21.0.5:8000/xiaozhi/v1/');
    assert.equal(
      url(withRule({ version: ['>=1.0.0'] }, { device: testDevice({ version: null }) })),
      'ws://172.21.0.5:8000/xiaozhi/v1/',
    );
  });

  test('keys are ANDed', () => {
    assert.equal(
      url(withRule({ source: ['192.168.1.0/24'], version: ['1.6.0'] })),
      'ws://matched/xiaozhi/v1/',
    );
    assert.equal(
      url(withRule({ source: ['192.168.1.0/24'], version: ['1.7.0'] })),
      'ws://172.21.0.5:8000/xiaozhi/v1/',
    );
  });
});
