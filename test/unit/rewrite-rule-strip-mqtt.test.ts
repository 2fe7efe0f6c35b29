import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mqttModeFor, stripMqtt } from '../../src/rewrite/rules/strip-mqtt.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import { mqttItem, testConfig, testContext, testDevice, testRequest } from '../helpers/config-fixture.js';
import { upstreamReply } from '../helpers/upstream-replies.js';

const strip = (items = [mqttItem('strip')], overrides: Parameters<typeof testContext>[0] = {}) =>
  testContext({ ...overrides, config: testConfig({ mqtt: items }) });

describe('mqtt: strip', () => {
  test('deletes the key when a websocket section is present (java-mqtt-and-websocket)', () => {
    const upstream = upstreamReply('java-mqtt-and-websocket');
    const out = stripMqtt.apply(upstream, strip());
    assert.equal(out.applied, true);
    assert.equal(Object.hasOwn(out.body, 'mqtt'), false);
    assert.deepEqual(Object.keys(out.body), ['server_time', 'firmware', 'websocket']);
    assert.deepEqual(out.body.websocket, upstream.websocket);
    assert.ok(!JSON.stringify(out.body).includes('mqtt'), 'never null, never {}');
  });

  test('keeps mqtt and says why when no websocket section is present (python-mqtt-gateway)', () => {
    const upstream = upstreamReply('python-mqtt-gateway');
    const out = stripMqtt.apply(upstream, strip());
    assert.equal(out.applied, false);
    assert.equal(out.body, upstream);
    assert.equal(out.note, 'mqtt kept: no websocket section to use instead');
  });

  test('a websocket object without a ws:// url is not present', () => {
    const body: JsonObject = { websocket: { url: '' }, mqtt: { endpoint: 'h:1883' } };
    assert.equal(stripMqtt.apply(body, strip()).body, body);
    const wss: JsonObject = { websocket: { url: 'wss://a/' }, mqtt: null };
    assert.deepEqual(stripMqtt.apply(wss, strip()).body, { websocket: { url: 'wss://a/' } });
  });

  test('keep (the default) and no mqtt key: nothing to do', () => {
    const upstream = upstreamReply('java-mqtt-and-websocket');
    assert.deepEqual(stripMqtt.apply(upstream, testContext()), { body: upstream, applied: false });
    const noMqtt = upstreamReply('python-default-post');
    assert.deepEqual(stripMqtt.apply(noMqtt, strip()), { body: noMqtt, applied: false });
  });
});

describe('mqtt items with `when:`', () => {
  const mode = (items: ReturnType<typeof mqttItem>[], overrides: Parameters<typeof testContext>[0] = {}) =>
    mqttModeFor(strip(items, overrides));

  test('no matching item means keep', () => {
    assert.equal(mode([mqttItem('strip', { source: ['10.0.0.0/8'] })]), 'keep');
  });

  test('source', () => {
    const items = [mqttItem('strip', { source: ['192.168.1.0/24'] }), mqttItem('keep')];
    assert.equal(mode(items), 'strip');
    assert.equal(mode(items, { request: testRequest({ address: '100.64.0.9' }) }), 'keep');
  });

  test('host', () => {
    const items = [mqttItem('strip', { host: ['*.example.com'] })];
    assert.equal(mode(items, { request: testRequest({ host: 'xz.example.com' }) }), 'strip');
    assert.equal(mode(items), 'keep');
  });

  test('board', () => {
    const items = [mqttItem('keep', { board: ['*-4g'] }), mqttItem('strip')];
    assert.equal(mode(items, { device: testDevice({ build: 'bread-compact-ml307-4g' }) }), 'keep');
    assert.equal(mode(items), 'strip');
  });

  test('devices', () => {
    const items = [mqttItem('strip', { devices: ['aa:bb:cc:dd:ee:01'] })];
    assert.equal(mode(items), 'strip');
    assert.equal(mode(items, { device: testDevice({ id: 'aa:bb:cc:dd:ee:99' }) }), 'keep');
  });

  test('version', () => {
    const items = [mqttItem('strip', { version: ['>=1.6.0'] })];
    assert.equal(mode(items), 'strip');
    assert.equal(mode(items, { device: testDevice({ version: '1.5.9' }) }), 'keep');
  });

  test('the rule follows the item that matches this device', () => {
    const items = [mqttItem('strip', { devices: ['aa:bb:cc:dd:ee:01'] })];
    const upstream = upstreamReply('java-mqtt-and-websocket');
    assert.equal(stripMqtt.apply(upstream, strip(items)).applied, true);
    assert.equal(
      stripMqtt.apply(upstream, strip(items, { device: testDevice({ id: 'aa:bb:cc:dd:ee:02' }) })).applied,
      false,
    );
  });
});
