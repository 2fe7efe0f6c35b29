import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { guardReply } from '../../src/rewrite/guard.js';
import { isWebsocketPresent } from '../../src/rewrite/rules/websocket-url.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import { testDevice } from '../helpers/config-fixture.js';
import { upstreamReply } from '../helpers/upstream-replies.js';

const device = testDevice(); // bread-compact-wifi 1.6.0, Activation-Version present
const legacy = testDevice({ legacy: true, version: '1.5.9' });
const PLACEHOLDER =
  'http://xiaozhi.server.com:8002/xiaozhi/otaMag/download/NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL';

function guard(body: JsonObject, d = device) {
  return guardReply(body, d);
}

describe('the real replies pass unchanged', () => {
  for (const name of [
    'python-default-post',
    'python-auth-token',
    'python-configured-ws-wss',
    'python-mqtt-gateway',
    'python-firmware-available',
    'java-unbound-device',
    'java-bound-with-firmware',
    'java-bound-no-firmware',
    'java-mqtt-and-websocket',
  ]) {
    test(name, () => {
      const upstream = upstreamReply(name);
      assert.deepEqual(guard(upstream), { body: upstream, repairs: [] });
    });
  }
});

describe('sections that are not objects', () => {
  test('dropped, null included (omit rather than send null)', () => {
    const out = guard({
      websocket: null,
      mqtt: [],
      server_time: 'now',
      firmware: 1,
      activation: false,
      other: null,
    });
    assert.deepEqual(out.body, { other: null });
    assert.deepEqual(out.repairs, [
      'server_time-dropped:not-object',
      'websocket-dropped:not-object',
      'mqtt-dropped:not-object',
      'firmware-dropped:not-object',
      'activation-dropped:not-object',
    ]);
  });
});

describe('activation', () => {
  test('members that are not strings are dropped; code and challenge are never altered', () => {
    const out = guard({
      activation: { code: 182071, message: null, challenge: 'aa:bb:cc:dd:ee:01', extra: {} },
    });
    assert.deepEqual(out.body.activation, { challenge: 'aa:bb:cc:dd:ee:01' });
    assert.deepEqual(out.repairs, [
      'activation.code-dropped:not-string',
      'activation.message-dropped:not-string',
      'activation.member-dropped:not-string',
    ]);
  });

  test('timeout_ms is the numeric member: kept as a number, dropped otherwise', () => {
    assert.deepEqual(guard({ activation: { code: '1', timeout_ms: 30000 } }).body.activation, {
      code: '1',
      timeout_ms: 30000,
    });
    const out = guard({ activation: { code: '1', timeout_ms: '30000' } });
    assert.deepEqual(out.body.activation, { code: '1' });
    assert.deepEqual(out.repairs, ['activation.timeout_ms-dropped:not-number']);
  });

  test('never added', () => {
    assert.equal(Object.hasOwn(guard(upstreamReply('python-default-post')).body, 'activation'), false);
  });
});

describe('mqtt', () => {
  const mqtt = (endpoint: unknown) => ({ mqtt: { endpoint, client_id: 'c' } as JsonObject });

  test('endpoint `host` or `host:port` (1–5 digits) passes', () => {
    for (const endpoint of [
      'mqtt.example.com',
      'mqtt.example.com:1883',
      '192.168.1.25:8883',
      'h:1',
      'h:65535',
    ]) {
      assert.deepEqual(guard(mqtt(endpoint)).repairs, [], endpoint);
    }
  });

  test('any other endpoint drops the whole section (its port is read with std::stoi)', () => {
    for (const endpoint of [
      '',
      'h:',
      ':1883',
      'h:abc',
      'h:123456',
      'h:1883:1',
      '[::1]:1883',
      'mqtt://h:1883',
      1883,
      null,
    ]) {
      const out = guard(mqtt(endpoint));
      assert.equal(Object.hasOwn(out.body, 'mqtt'), false, String(endpoint));
      assert.deepEqual(out.repairs, ['mqtt-dropped:endpoint'], String(endpoint));
    }
    assert.deepEqual(guard({ mqtt: { client_id: 'c' } }).repairs, ['mqtt-dropped:endpoint']);
  });

  test('a numeric-string keepalive becomes a number; a non-numeric one is dropped', () => {
    const out = guard({ mqtt: { endpoint: 'h:1883', keepalive: '240' } });
    assert.deepEqual(out.body.mqtt, { endpoint: 'h:1883', keepalive: 240 });
    assert.deepEqual(out.repairs, ['mqtt.keepalive-number']);
    const bad = guard({ mqtt: { endpoint: 'h:1883', keepalive: 'often' } });
    assert.deepEqual(bad.body.mqtt, { endpoint: 'h:1883' });
    assert.deepEqual(bad.repairs, ['mqtt.keepalive-dropped']);
  });
});

describe('websocket and mqtt members (flash-storage limits)', () => {
  test('an empty key, a key over 15 bytes (UTF-8) or one holding NUL is dropped', () => {
    const out = guard({
      websocket: {
        url: 'ws://a/',
        '': 'x',
        fifteen_bytes_k: 1,
        sixteen_bytes_ke: 2,
        'ключ-ключ': 3,
        'a\u0000b': 4,
      },
    });
    assert.deepEqual(out.body.websocket, { url: 'ws://a/', fifteen_bytes_k: 1 });
    assert.deepEqual(out.repairs, [
      'websocket.member-dropped:key',
      'websocket.member-dropped:key',
      'websocket.member-dropped:key',
      'websocket.member-dropped:key',
    ]);
    const mqtt = guard({ mqtt: { endpoint: 'h:1', publish_topic_extra: 'x' } });
    assert.deepEqual(mqtt.body.mqtt, { endpoint: 'h:1' });
    assert.deepEqual(mqtt.repairs, ['mqtt.member-dropped:key']);
  });

  test('a string of 4000 bytes or more is dropped whole — a token is never truncated', () => {
    const token = 't'.repeat(4000);
    const out = guard({ websocket: { url: 'ws://a/', token } });
    assert.deepEqual(out.body.websocket, { url: 'ws://a/' });
    assert.deepEqual(out.repairs, ['websocket.token-dropped:too-long']);
    const fits = 't'.repeat(3999);
    assert.deepEqual(guard({ websocket: { url: 'ws://a/', token: fits } }).body.websocket, {
      url: 'ws://a/',
      token: fits,
    });
    // Bytes, not characters: 1334 × "é" (2 bytes) + 1332 × "a" = 4000 bytes in 2666 characters.
    const wide = `${'é'.repeat(1334)}${'a'.repeat(1332)}`;
    assert.deepEqual(guard({ mqtt: { endpoint: 'h:1', password: wide } }).repairs, [
      'mqtt.password-dropped:too-long',
    ]);
  });

  test('the token is kept exactly as sent otherwise', () => {
    const token = ' odd token with spaces & ünïcode ';
    assert.equal((guard({ websocket: { url: 'ws://a/', token } }).body.websocket as JsonObject).token, token);
  });
});

describe('websocket', () => {
  test('a numeric-string version becomes a number ("3" would fall back to protocol 1)', () => {
    const out = guard({ websocket: { url: 'ws://a/', version: '3' } });
    assert.deepEqual(out.body.websocket, { url: 'ws://a/', version: 3 });
    assert.deepEqual(out.repairs, ['websocket.version-number']);
    assert.deepEqual(guard({ websocket: { url: 'ws://a/', version: 3 } }).repairs, []);
  });

  test('a url whose path holds `:` gets the explicit default port the device would use', () => {
    const out = guard({ websocket: { url: 'ws://a.example/x:y/', token: '' } });
    assert.deepEqual(out.body.websocket, { url: 'ws://a.example:80/x:y/', token: '' });
    assert.deepEqual(out.repairs, ['websocket.url-port-added']);
    assert.equal(
      (guard({ websocket: { url: 'wss://a?t=x:y' } }).body.websocket as JsonObject).url,
      'wss://a:443?t=x:y',
    );
    assert.deepEqual(
      guard({ websocket: { url: 'ws://a:8000/x:y/' } }).repairs,
      [],
      'an explicit port already reads first',
    );
  });

  test('a url the device cannot parse without aborting loses the url member', () => {
    for (const url of [
      'ws://[::1]:8000/xiaozhi/v1/',
      'ws://user:pw@host/',
      'ws://host:/',
      'ws://host:abc/',
      'ws://host:99999999999/',
    ]) {
      const out = guard({ websocket: { url, token: 't' } });
      assert.deepEqual(out.body.websocket, { token: 't' }, url);
      assert.deepEqual(out.repairs, ['websocket.url-dropped:unparseable'], url);
    }
    // The device stores every string member in flash: a non-ws url would replace the stored one that works.
    assert.deepEqual(guard({ websocket: { url: 'not a url' } }).repairs, ['websocket.url-dropped:not-ws']);
  });
});

describe('control characters (docs/configuration.md "Fleet and hardening amendments")', () => {
  const CONTROLS = ['\r\n', '\n', '\r', '\u0000', '\t', '\u001b', '\u007f', '\u001f'];

  test('a websocket.url holding a control character or whitespace is dropped, the rest kept', () => {
    for (const bad of [...CONTROLS, ' ', '\u00a0', '\u2028', '\u3000']) {
      const url = `ws://10.0.0.5:8000/xiaozhi/v1/${bad}Host: evil`;
      const out = guard({ websocket: { url, token: 't', version: 3 } });
      assert.deepEqual(out.body.websocket, { token: 't', version: 3 }, JSON.stringify(url));
      assert.deepEqual(out.repairs, ['websocket.url-dropped:control-or-space'], JSON.stringify(url));
    }
    // Also where the device would otherwise only have got a port added (its path holds `:`).
    const out = guard({ websocket: { url: 'ws://h/a:b\r\nX: y' } });
    assert.deepEqual(out.body.websocket, {});
    assert.deepEqual(out.repairs, ['websocket.url-dropped:control-or-space']);
  });

  test('a websocket.token holding a control character is dropped; spaces and any other text are kept as sent', () => {
    for (const bad of CONTROLS) {
      const token = `Bearer-abc${bad}X-Injected: 1`;
      const out = guard({ websocket: { url: 'ws://h:8000/', token } });
      assert.deepEqual(out.body.websocket, { url: 'ws://h:8000/' }, JSON.stringify(token));
      assert.deepEqual(out.repairs, ['websocket.token-dropped:control'], JSON.stringify(token));
    }
    for (const token of ['a b', 'ü€😀', '', '"\\', 'eyJhbGciOi.x.y']) {
      const out = guard({ websocket: { url: 'ws://h:8000/', token } });
      assert.deepEqual(out, { body: { websocket: { url: 'ws://h:8000/', token } }, repairs: [] });
    }
  });

  test('an mqtt string member holding a control character is dropped; in the endpoint it drops the section', () => {
    const mqtt = {
      endpoint: 'mqtt.example.com:1883',
      client_id: 'GID_test@@@aa_bb',
      username: 'user\r\nname',
      password: 'pa\u0000ss',
      publish_topic: 'device-server',
      subscribe_topic: 'null',
      keepalive: 240,
    };
    const out = guard({ mqtt });
    assert.deepEqual(out.body.mqtt, {
      endpoint: 'mqtt.example.com:1883',
      client_id: 'GID_test@@@aa_bb',
      publish_topic: 'device-server',
      subscribe_topic: 'null',
      keepalive: 240,
    });
    assert.deepEqual(out.repairs, ['mqtt.username-dropped:control', 'mqtt.password-dropped:control']);
    const broken = guard({ mqtt: { ...mqtt, endpoint: 'mqtt.example.com\n:1883', username: 'u' } });
    assert.equal(Object.hasOwn(broken.body, 'mqtt'), false);
    assert.deepEqual(broken.repairs, [
      'mqtt.endpoint-dropped:control',
      'mqtt.password-dropped:control',
      'mqtt-dropped:endpoint',
    ]);
  });

  test('a url with a control character is no present section: rule 3 keeps mqtt, the memory skips it', () => {
    assert.equal(isWebsocketPresent({ url: 'ws://h:8000/x' }), true);
    for (const url of ['ws://h:8000/x\r\n', 'ws://h:8000/\u0000', 'ws://h:8000/ x', 'ws://h\u00a0:8000/'])
      assert.equal(isWebsocketPresent({ url }), false, JSON.stringify(url));
  });
});

describe('server_time', () => {
  test('a timestamp in seconds becomes milliseconds', () => {
    const out = guard({ server_time: { timestamp: 1795300269, timezone_offset: 480 } });
    assert.deepEqual(out.body.server_time, { timestamp: 1795300269000, timezone_offset: 480 });
    assert.deepEqual(out.repairs, ['server_time.timestamp-ms']);
    assert.deepEqual(guard({ server_time: { timestamp: 1795300269.823 } }).body.server_time, {
      timestamp: 1795300269823,
    });
  });

  test('a numeric-string timestamp becomes a number; anything else is dropped', () => {
    assert.deepEqual(guard({ server_time: { timestamp: '1795300269823' } }), {
      body: { server_time: { timestamp: 1795300269823 } },
      repairs: ['server_time.timestamp-number'],
    });
    assert.deepEqual(guard({ server_time: { timestamp: true, timezone_offset: 0 } }), {
      body: { server_time: { timezone_offset: 0 } },
      repairs: ['server_time.timestamp-dropped'],
    });
  });

  test('a fractional or string timezone_offset becomes whole minutes; non-numeric is dropped', () => {
    assert.deepEqual(guard({ server_time: { timezone_offset: 330.4 } }), {
      body: { server_time: { timezone_offset: 330 } },
      repairs: ['server_time.timezone_offset-minutes'],
    });
    assert.deepEqual(guard({ server_time: { timezone_offset: '-210' } }).body.server_time, {
      timezone_offset: -210,
    });
    assert.deepEqual(guard({ server_time: { timezone_offset: 'CST' } }), {
      body: { server_time: {} },
      repairs: ['server_time.timezone_offset-dropped'],
    });
    assert.ok(
      !Object.is(
        (guard({ server_time: { timezone_offset: -0.2 } }).body.server_time as JsonObject).timezone_offset,
        -0,
      ),
    );
  });

  test('python-timezone-fraction: 330.0 is already whole minutes', () => {
    assert.deepEqual(guard(upstreamReply('python-timezone-fraction')).repairs, []);
  });
});

describe('firmware', () => {
  test('dropped when version is not dotted integers (std::stoi would throw)', () => {
    for (const version of ['v2.0.0', '2.x', '2..0', '', '1.6.0-beta', '99999999999.0.0', 2, null]) {
      const out = guard({ firmware: { version, url: '' } });
      assert.equal(Object.hasOwn(out.body, 'firmware'), false, String(version));
      assert.deepEqual(out.repairs, ['firmware-dropped:version'], String(version));
    }
    assert.deepEqual(guard({ firmware: { url: '' } }).repairs, ['firmware-dropped:version']);
  });

  test('dropped when url is not a string', () => {
    for (const url of [null, 1, {}, undefined]) {
      const body: JsonObject =
        url === undefined ? { firmware: { version: '1.0.0' } } : { firmware: { version: '1.0.0', url } };
      assert.deepEqual(guard(body), { body: {}, repairs: ['firmware-dropped:url'] }, String(url));
    }
  });

  test('url empty, the placeholder or not http(s):// while the version is newer: version becomes the running one', () => {
    for (const url of ['', PLACEHOLDER, 'ftp://a/f.bin', '/relative.bin', 'HTTP://A/F.BIN']) {
      const out = guard({ firmware: { version: '1.7.0', url } });
      assert.deepEqual(out.body.firmware, { version: '1.6.0', url }, url);
      assert.deepEqual(out.repairs, ['firmware.version-lowered'], url);
    }
  });

  test('… but not when it is not newer, or the url can be downloaded', () => {
    assert.deepEqual(guard({ firmware: { version: '1.6.0', url: '' } }).repairs, []);
    assert.deepEqual(guard({ firmware: { version: '1.5.0', url: PLACEHOLDER } }).repairs, []);
    assert.deepEqual(guard({ firmware: { version: '1.7.0', url: 'https://a/f.bin' } }).repairs, []);
  });

  test('"newer" is the device\'s comparison: segment by segment, longer wins on a tie', () => {
    assert.deepEqual(guard({ firmware: { version: '1.6.0.1', url: '' } }).body.firmware, {
      version: '1.6.0',
      url: '',
    });
    assert.deepEqual(
      guard({ firmware: { version: '1.10.0', url: '' } }, testDevice({ version: '1.9.0' })).body.firmware,
      { version: '1.9.0', url: '' },
    );
  });

  test('a running version with a suffix is sent back as dotted integers; an unknown one as 0.0.0', () => {
    assert.deepEqual(
      guard({ firmware: { version: '2.1.0', url: '' } }, testDevice({ version: '2.0.0-beta' })).body.firmware,
      { version: '2.0.0', url: '' },
    );
    const unknown = guard(
      { firmware: { version: '1.0.0', url: PLACEHOLDER } },
      testDevice({ version: null }),
    );
    assert.deepEqual(unknown.body.firmware, { version: '0.0.0', url: PLACEHOLDER });
    assert.deepEqual(unknown.repairs, ['firmware.version-lowered']);
  });

  test("java-mqtt-and-websocket: the placeholder with the device's own version passes unchanged", () => {
    assert.deepEqual(guard(upstreamReply('java-mqtt-and-websocket')).repairs, []);
  });

  test('force is kept only as the number 1 for a version that differs from the running one', () => {
    assert.deepEqual(guard({ firmware: { version: '1.5.0', url: 'http://a/f.bin', force: 1 } }).repairs, []);
    const dropped = ['firmware.force-dropped'];
    const cases: [JsonObject, JsonObject, string[]][] = [
      // re-flashes every boot
      [
        { version: '1.6.0', url: 'http://a/f.bin', force: 1 },
        { version: '1.6.0', url: 'http://a/f.bin' },
        dropped,
      ],
      [
        { version: '1.7.0', url: 'http://a/f.bin', force: true },
        { version: '1.7.0', url: 'http://a/f.bin' },
        dropped,
      ],
      [
        { version: '1.7.0', url: 'http://a/f.bin', force: '1' },
        { version: '1.7.0', url: 'http://a/f.bin' },
        dropped,
      ],
      [
        { version: '1.7.0', url: 'http://a/f.bin', force: 2 },
        { version: '1.7.0', url: 'http://a/f.bin' },
        dropped,
      ],
      // lowered to the running version first
      [
        { version: '1.7.0', url: '', force: 1 },
        { version: '1.6.0', url: '' },
        ['firmware.version-lowered', 'firmware.force-dropped'],
      ],
      // a forced download that cannot work reboots v1.6.6–1.7.6
      [{ version: '1.5.0', url: '', force: 1 }, { version: '1.5.0', url: '' }, dropped],
    ];
    for (const [firmware, sent, repairs] of cases) {
      const out = guard({ firmware });
      assert.deepEqual(out, { body: { firmware: sent }, repairs }, JSON.stringify(firmware));
    }
    assert.deepEqual(
      guard(
        { firmware: { version: '1.7.0', url: 'http://a/f.bin', force: 1 } },
        testDevice({ version: null }),
      ),
      { body: { firmware: { version: '1.7.0', url: 'http://a/f.bin' } }, repairs: dropped },
    );
  });

  test('a legacy device (no Activation-Version) without firmware gets {version: running, url: ""}', () => {
    const out = guard(upstreamReply('java-bound-no-firmware'), legacy);
    assert.deepEqual(out.body.firmware, { version: '1.5.9', url: '' });
    assert.deepEqual(out.repairs, ['firmware-legacy-added']);
    assert.deepEqual(guard({}, testDevice({ legacy: true, version: null })).body, {
      firmware: { version: '0.0.0', url: '' },
    });
    const dropped = guard({ firmware: { version: 'v1', url: '' } }, legacy);
    assert.deepEqual(dropped.body, { firmware: { version: '1.5.9', url: '' } });
    assert.deepEqual(dropped.repairs, ['firmware-dropped:version', 'firmware-legacy-added']);
    assert.equal(Object.hasOwn(guard({}, device).body, 'firmware'), false, 'v1.6+ is fine without one');
  });
});

describe('reading as the device reads', () => {
  test('an unfolded body (e.g. built elsewhere) is folded first: first case-insensitive match wins', () => {
    const out = guard({
      websocket: { url: 'ws://a/' },
      WebSocket: { url: 'ws://b/' },
      MQTT: { endpoint: 'h:x' },
    });
    assert.deepEqual(out.body, { websocket: { url: 'ws://a/' } });
    assert.deepEqual(out.repairs, ['duplicate-keys-dropped', 'mqtt-dropped:endpoint']);
  });

  test('the input is never mutated', () => {
    const body: JsonObject = {
      server_time: { timestamp: 1 },
      firmware: { version: '9.0.0', url: '', force: 1 },
      mqtt: { endpoint: 'h:1', keepalive: '5' },
    };
    const snapshot = structuredClone(body);
    guard(body);
    assert.deepEqual(body, snapshot);
  });
});
