import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readCapture } from '../helpers/captures.js';
import { readDevice, writeSlotSize } from '../../src/device/identify.js';
import type { DeviceFacts } from '../../src/device/types.js';
import { testDevice } from '../helpers/config-fixture.js';

/** A captured device request as the HTTP layer hands it over: lowercase header names, body bytes. */
function capturedRequest(name: string): { headers: Record<string, string>; body: Buffer } {
  const message = readCapture(name, 'request');
  const headers: Record<string, string> = {};
  for (const [k, v] of message.headers) headers[k.toLowerCase()] = v;
  return { headers, body: message.body };
}

const CAPTURED: DeviceFacts = {
  id: 'aa:bb:cc:dd:ee:01',
  clientId: 'e4f1c2a8-3b6d-4f7e-9a15-2c8d7b6e5f40',
  build: 'bread-compact-wifi',
  boardType: 'bread-compact-wifi',
  version: '1.6.0',
  chip: 'esp32s3',
  runningSlot: 'ota_0',
  slotSizes: { ota0: 4128768, ota1: 4128768 },
  legacy: false,
};

describe('a valid body (the captures)', () => {
  test('python-default-post: every field from body and headers', () => {
    const { headers, body } = capturedRequest('python-default-post');
    assert.deepEqual(readDevice(headers, body), CAPTURED);
  });

  test('the body may come as a string as well as bytes', () => {
    const { headers, body } = capturedRequest('java-unbound-device');
    assert.deepEqual(readDevice(headers, body.toString('utf8')), CAPTURED);
  });

  test('the device id is lowercased; the client id is kept as sent', () => {
    const { headers, body } = capturedRequest('python-default-post');
    const device = readDevice({ ...headers, 'device-id': ' AA:BB:CC:DD:EE:01 ', 'client-id': 'ABC' }, body);
    assert.equal(device.id, 'aa:bb:cc:dd:ee:01');
    assert.equal(device.clientId, 'ABC');
  });

  test('missing or empty Device-Id / Client-Id are unknown', () => {
    const { body } = capturedRequest('python-no-device-id');
    const device = readDevice({ 'device-id': '', 'activation-version': '1' }, body);
    assert.equal(device.id, null);
    assert.equal(device.clientId, null);
  });

  test('board.name is the build name even when the User-Agent says otherwise; board.type stays the type', () => {
    const { headers, body } = capturedRequest('python-default-post');
    const text = body
      .toString('utf8')
      .replace('"name":"bread-compact-wifi"', '"name":"bread-compact-wifi-128x64"');
    const device = readDevice({ ...headers, 'user-agent': 'other/9.9.9' }, text);
    assert.equal(device.build, 'bread-compact-wifi-128x64');
    assert.equal(device.boardType, 'bread-compact-wifi');
    assert.equal(device.version, '1.6.0');
  });

  test('running from factory: the device writes ota_0', () => {
    const { headers, body } = capturedRequest('python-default-post');
    const device = readDevice(
      headers,
      body.toString('utf8').replace('"ota":{"label":"ota_0"}', '"ota":{"label":"factory"}'),
    );
    assert.equal(device.runningSlot, 'factory');
    assert.equal(writeSlotSize(device), 4128768);
  });
});

describe('an invalid body (python-non-json-body: SSID `Bob\'s "Home"` put in raw)', () => {
  test('the capture really is invalid JSON', () => {
    assert.throws(() => JSON.parse(capturedRequest('python-non-json-body').body.toString('utf8')));
  });

  test('every field is still read from the raw text', () => {
    const { headers, body } = capturedRequest('python-non-json-body');
    assert.deepEqual(readDevice(headers, body), CAPTURED);
  });

  test('without headers, the body alone still gives build, version, chip and slots', () => {
    const { body } = capturedRequest('python-non-json-body');
    const device = readDevice({}, body);
    assert.equal(device.build, 'bread-compact-wifi');
    assert.equal(device.boardType, 'bread-compact-wifi');
    assert.equal(device.version, '1.6.0');
    assert.equal(device.chip, 'esp32s3');
    assert.equal(device.runningSlot, 'ota_0');
    assert.deepEqual(device.slotSizes, { ota0: 4128768, ota1: 4128768 });
  });

  test('a backslash or non-UTF-8 bytes in the SSID do not hide the fields', () => {
    const { body } = capturedRequest('python-default-post');
    const [before, after] = body.toString('latin1').split('"ssid":"HomeWiFi"');
    const broken = Buffer.concat([
      Buffer.from(`${before}"ssid":"a\\`, 'latin1'),
      Buffer.from([0xff, 0xfe, 0x22, 0x5c]),
      Buffer.from(`"${after}`, 'latin1'),
    ]);
    assert.throws(() => JSON.parse(broken.toString('utf8')));
    const device = readDevice({}, broken);
    assert.equal(device.build, 'bread-compact-wifi');
    assert.equal(device.version, '1.6.0');
  });

  test('a body broken before the board still yields what precedes the break and the board found by key', () => {
    const text =
      '{"chip_model_name":"esp32c3","application":{"name":"xiaozhi","version":"1.5.9","x":"br"oken"},' +
      '"partition_table": [{"label":"ota_0","size":1966080},{"label":"ota_1","size":19"},' +
      '"ota":{"label":"ota_1"},"board":{"type":"kevin-c3","name":"kevin-c3","ssid":"x"y"}}';
    const device = readDevice({}, text);
    assert.equal(device.chip, 'esp32c3');
    assert.equal(device.version, '1.5.9');
    assert.equal(device.build, 'kevin-c3');
    assert.equal(device.runningSlot, 'ota_1');
    assert.deepEqual(device.slotSizes, { ota0: 1966080, ota1: null });
  });

  test('a field that cannot be found is unknown, and nothing throws on garbage', () => {
    for (const text of [
      '',
      'garbage',
      '{',
      '{"board":{"type":',
      '"',
      '\u0000\u0001',
      '{"application":{"version":1.6}}',
      '[1,2',
    ]) {
      const device = readDevice({}, text);
      assert.equal(device.version, null, text);
      assert.equal(device.build, null, text);
      assert.equal(device.chip, null, text);
    }
    assert.doesNotThrow(() => readDevice({}, '{"a":'.repeat(50_000)));
    assert.doesNotThrow(() => readDevice({}, `{"board":{"type":"${'x'.repeat(200_000)}`));
  });

  test('"__proto__" in the body does not reach a prototype', () => {
    const device = readDevice({}, '{"board":{"__proto__":{"name":"evil"},"type":"t"},"x":"broken"y"}');
    assert.equal(device.build, 't');
    assert.equal(({} as { name?: unknown }).name, undefined);
  });
});

describe('User-Agent fallbacks', () => {
  test('no body: build and version come from `<build>/<version>`', () => {
    const device = readDevice({ 'user-agent': 'm5stack-stack-chan/1.2.4', 'activation-version': '1' }, '');
    assert.equal(device.build, 'm5stack-stack-chan');
    assert.equal(device.boardType, null);
    assert.equal(device.version, '1.2.4');
  });

  test('a body without board.name: the User-Agent names the build before board.type does', () => {
    const device = readDevice(
      { 'user-agent': 'bread-compact-wifi-128x64/2.0.4' },
      '{"board":{"type":"bread-compact-wifi"}}',
    );
    assert.equal(device.build, 'bread-compact-wifi-128x64');
    assert.equal(device.boardType, 'bread-compact-wifi');
    assert.equal(device.version, '2.0.4');
  });

  test('no board.name and no usable User-Agent: board.type is the build', () => {
    const device = readDevice(
      {},
      '{"board":{"type":"bread-compact-wifi"},"application":{"version":"1.6.0"}}',
    );
    assert.equal(device.build, 'bread-compact-wifi');
    assert.equal(device.version, '1.6.0');
  });

  test('the HTTP library default User-Agent (before v1.4) is not a build name', () => {
    const device = readDevice({ 'user-agent': 'ESP32 HTTP Client/1.0' }, '');
    assert.equal(device.build, null);
    assert.equal(device.version, null);
  });

  test('a User-Agent without a version, or with a comment after it', () => {
    assert.deepEqual(
      [
        readDevice({ 'user-agent': 'kevin-box' }, '').build,
        readDevice({ 'user-agent': 'kevin-box' }, '').version,
      ],
      ['kevin-box', null],
    );
    assert.equal(readDevice({ 'user-agent': 'kevin-box/2.1.0 (esp32s3)' }, '').version, '2.1.0');
  });

  test('application.version wins over the User-Agent', () => {
    const device = readDevice({ 'user-agent': 'x/9.9.9' }, '{"application":{"version":"2.0.0-beta"}}');
    assert.equal(device.version, '2.0.0-beta');
  });
});

describe('firmware era', () => {
  test('no Activation-Version header: legacy (≤ 1.5.9)', () => {
    const { headers, body } = capturedRequest('python-default-post');
    const { 'activation-version': _dropped, ...legacyHeaders } = headers;
    assert.equal(readDevice(legacyHeaders, body).legacy, true);
    assert.equal(readDevice({ ...legacyHeaders, 'ota-version': '2' }, body).legacy, true);
  });

  test('Activation-Version 1 or 2: not legacy', () => {
    assert.equal(readDevice({ 'activation-version': '1' }, '').legacy, false);
    assert.equal(readDevice({ 'activation-version': '2' }, '').legacy, false);
  });
});

describe('writeSlotSize', () => {
  test('the slot not running; the smaller when the running slot is unknown; null when no size is known', () => {
    const sizes = { ota0: 100, ota1: 200 };
    assert.equal(writeSlotSize(testDevice({ runningSlot: 'ota_0', slotSizes: sizes })), 200);
    assert.equal(writeSlotSize(testDevice({ runningSlot: 'ota_1', slotSizes: sizes })), 100);
    assert.equal(writeSlotSize(testDevice({ runningSlot: null, slotSizes: sizes })), 100);
    assert.equal(writeSlotSize(testDevice({ runningSlot: null, slotSizes: { ota0: null, ota1: 300 } })), 300);
    assert.equal(
      writeSlotSize(testDevice({ runningSlot: 'ota_0', slotSizes: { ota0: 100, ota1: null } })),
      null,
    );
    assert.equal(
      writeSlotSize(testDevice({ runningSlot: null, slotSizes: { ota0: null, ota1: null } })),
      null,
    );
  });
});
