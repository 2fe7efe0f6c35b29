/**
 * The independent device-contract oracle (test/helpers/device-contract.ts) is itself checked: it accepts
 * replies a device survives and names every rule of docs/device-contract.md §2–§3 that a reply breaks — so a
 * green property or soak test means something.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bodyViolations,
  contractViolations,
  errorFramingViolations,
  type OracleDevice,
} from '../helpers/device-contract.js';
import { parseRawResponse } from '../helpers/raw-client.js';

const DEVICE: OracleDevice = { version: '1.6.0', legacy: false };
const LEGACY: OracleDevice = { version: '1.6.0', legacy: true };
const GOOD = {
  server_time: { timestamp: 1795300269823, timezone_offset: 480 },
  firmware: { version: '1.6.0', url: '' },
  websocket: { url: 'ws://192.168.1.10:8000/xiaozhi/v1/', token: '', version: 3 },
};

function raw(
  body: string,
  headers = 'Content-Type: application/json\r\nContent-Length: {len}\r\nDate: x\r\nConnection: close\r\n',
  status = '200 OK',
) {
  const bytes = Buffer.from(body, 'utf8');
  return parseRawResponse(
    Buffer.concat([
      Buffer.from(`HTTP/1.1 ${status}\r\n${headers.replace('{len}', String(bytes.length))}\r\n`, 'latin1'),
      bytes,
    ]),
  );
}

describe('the device-contract oracle', () => {
  test('accepts replies a device survives', () => {
    assert.deepEqual(contractViolations(raw(JSON.stringify(GOOD)), DEVICE), []);
    assert.deepEqual(
      bodyViolations(
        JSON.stringify({ ...GOOD, firmware: { version: '1.7.0', url: 'http://h/a.bin', force: 1 } }),
        DEVICE,
      ),
      [],
    );
    assert.deepEqual(
      bodyViolations('{"success":false,"message":"request error."}', LEGACY),
      [],
      'an error shape is no OTA reply',
    );
    assert.deepEqual(
      bodyViolations(JSON.stringify({ mqtt: { endpoint: 'mqtt.example.com:1883', keepalive: 240 } }), DEVICE),
      [],
    );
    assert.deepEqual(
      bodyViolations(JSON.stringify({ websocket: { url: 'ws://h:80/a:b/' } }), DEVICE, { fallback: true }),
      [],
    );
    assert.deepEqual(
      bodyViolations(JSON.stringify({ websocket: { url: 'ws://h/', token: 'a b ü' } }), DEVICE),
      [],
      "a token with blanks and non-ASCII text is the upstream's business",
    );
  });

  // Each break with every violation the oracle names for it: the rule broken, and nothing else.
  const framing: [string, ReturnType<typeof raw>, string[]][] = [
    ['status', raw(JSON.stringify(GOOD), undefined, '302 Found'), ['status 302, not 200']],
    [
      'Content-Length spelled',
      raw('{}', 'content-length: 2\r\n'),
      ['Content-Length spelled "content-length"', 'header "content-length" not allowed'],
    ],
    ['0 Content-Length', raw('{}', 'Date: x\r\n'), ['0 Content-Length headers']],
    ['but 2 body bytes', raw('{}', 'Content-Length: 3\r\n'), ['Content-Length "3" but 2 body bytes']],
    [
      '2 Content-Length headers',
      raw('{}', 'Content-Length: 2\r\nContent-Length: 2\r\n'),
      ['2 Content-Length headers'],
    ],
    [
      'Transfer-Encoding',
      raw('{}', 'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n'),
      ['Transfer-Encoding present'],
    ],
    [
      'Content-Encoding',
      raw('{}', 'Content-Length: 2\r\nContent-Encoding: gzip\r\n'),
      ['Content-Encoding present'],
    ],
    [
      'not allowed',
      raw('{}', 'Content-Length: 2\r\nAccess-Control-Allow-Origin: *\r\n'),
      ['header "Access-Control-Allow-Origin" not allowed'],
    ],
  ];
  for (const [rule, response, expected] of framing) {
    test(`names a framing break: ${rule}`, () => {
      assert.deepEqual(contractViolations(response, DEVICE), expected);
    });
  }

  const bodies: [string, unknown, string[], OracleDevice?][] = [
    ['not JSON', '{"a":', ['body is not JSON']],
    ['not one JSON object', [1, 2], ['body is not one JSON object']],
    [
      '4 KiB',
      { websocket: { url: 'ws://a/', a: 'x'.repeat(2100), b: 'y'.repeat(2100) } },
      ['body 4245 bytes (≥ 4 KiB)'],
    ],
    ['null', { mqtt: null }, ['mqtt is null, not an object']],
    ['not an object', { websocket: 'ws://a/' }, ['websocket is str, not an object']],
    ['ws:// or wss://', { websocket: { url: 'http://a/' } }, ['websocket.url is not a ws:// or wss:// URL']],
    ['std::stoi', { websocket: { url: 'ws://a/b:c/' } }, ['websocket.url port "c" throws in std::stoi']],
    [
      'websocket.version',
      { websocket: { url: 'ws://a/', version: '3' } },
      ['websocket.version is str, not a number'],
    ],
    [
      'key',
      { websocket: { url: 'ws://a/', a_key_longer_than_15: 1 } },
      ['websocket member key "a_key_longer_than_15" is 20 bytes'],
    ],
    [
      '4000 bytes',
      { websocket: { url: 'ws://a/', token: 't'.repeat(4000) } },
      ['websocket.token is a string of 4000 bytes or more'],
    ],
    [
      'mqtt is {}',
      { mqtt: {} },
      ['mqtt is {} (the device would use MQTT with nothing)', 'mqtt.endpoint is not host or host:port'],
    ],
    ['host or host:port', { mqtt: { endpoint: 'a:b:1883' } }, ['mqtt.endpoint is not host or host:port']],
    ['keepalive', { mqtt: { endpoint: 'a', keepalive: '60' } }, ['mqtt.keepalive is str, not a number']],
    [
      'milliseconds',
      { server_time: { timestamp: 1795300269 } },
      ['server_time.timestamp is not a number of milliseconds'],
    ],
    [
      'integer',
      { server_time: { timestamp: 1795300269823, timezone_offset: 5.5 } },
      ['server_time.timezone_offset is not an integer'],
    ],
    [
      'dotted integers',
      { firmware: { version: 'v2.0.0', url: '' } },
      ['firmware.version is not dotted integers'],
    ],
    ['url is not a string', { firmware: { version: '1.6.0' } }, ['firmware.url is not a string']],
    [
      'cannot be downloaded',
      { firmware: { version: '1.7.0', url: '' } },
      ['firmware 1.7.0 is newer than 1.6.0 but its url cannot be downloaded'],
    ],
    [
      'cannot be downloaded',
      { firmware: { version: '1.7.0', url: 'http://x/NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL' } },
      ['firmware 1.7.0 is newer than 1.6.0 but its url cannot be downloaded'],
    ],
    [
      'force is not the number 1',
      { firmware: { version: '1.7.0', url: 'http://h/a.bin', force: true } },
      ['firmware.force is not the number 1'],
    ],
    [
      'running (or an unknown) version',
      { firmware: { version: '1.6.0', url: 'http://h/a.bin', force: 1 } },
      ['firmware.force with the running (or an unknown) version'],
    ],
    [
      'unknown running version',
      { firmware: { version: '0.0.1', url: '' } },
      ['firmware 0.0.1 is newer than the unknown running version but its url cannot be downloaded'],
      { version: null, legacy: false },
    ],
    [
      'requires one',
      { websocket: { url: 'ws://a/' } },
      ['no firmware object for a device without Activation-Version (≤ 1.5.9 requires one)'],
      LEGACY,
    ],
    ['activation.code', { activation: { code: 123456 } }, ['activation.code is num, not a string']],
    ['duplicate section', '{"mqtt":{"endpoint":"a"},"MQTT":{"endpoint":"b"}}', ['duplicate section "MQTT"']],
    [
      'duplicate key',
      '{"websocket":{"url":"ws://a/","URL":"ws://b/"}}',
      ['duplicate key "URL" at websocket'],
    ],
    [
      'control character or whitespace',
      { websocket: { url: 'ws://a:80/x\r\nHost: b' } },
      ['websocket.url holds a control character or whitespace'],
    ],
    [
      'control character or whitespace',
      { websocket: { url: 'ws://a:80/\u0000' } },
      ['websocket.url holds a control character or whitespace'],
    ],
    [
      'control character or whitespace',
      { websocket: { url: 'ws://a:80/x y' } },
      ['websocket.url holds a control character or whitespace'],
    ],
    [
      'control character or whitespace',
      { websocket: { url: 'ws://a:80/\u3000' } },
      ['websocket.url holds a control character or whitespace'],
    ],
    [
      'websocket.token holds a control character',
      { websocket: { url: 'ws://a/', token: 't\r\nX: 1' } },
      ['websocket.token holds a control character'],
    ],
    [
      'websocket.token holds a control character',
      { websocket: { url: 'ws://a/', token: '\u007f' } },
      ['websocket.token holds a control character'],
    ],
    [
      'mqtt.password holds a control character',
      { mqtt: { endpoint: 'a', password: 'p\u0000w' } },
      ['mqtt.password holds a control character'],
    ],
    [
      'mqtt.endpoint holds a control character',
      { mqtt: { endpoint: 'a\n' } },
      ['mqtt.endpoint holds a control character'],
    ],
  ];
  for (const [rule, body, expected, device = DEVICE] of bodies) {
    test(`names a body break: ${rule}`, () => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      assert.deepEqual(bodyViolations(text, device), expected, text);
    });
  }

  test('reads keys as cJSON does: case-insensitively, first match, up to a NUL', () => {
    assert.deepEqual(bodyViolations('{"WebSocket":{"URL":"http://a/"}}', DEVICE), [
      'websocket.url is not a ws:// or wss:// URL',
    ]);
    assert.deepEqual(bodyViolations('{"mqtt\\u0000x":{}}', DEVICE), [
      'mqtt is {} (the device would use MQTT with nothing)',
      'mqtt.endpoint is not host or host:port',
    ]);
  });

  test('fallback replies: never activation, always a transport', () => {
    assert.deepEqual(
      bodyViolations(JSON.stringify({ ...GOOD, activation: { code: '1' } }), DEVICE, { fallback: true }),
      ['a fallback reply carries activation'],
    );
    assert.deepEqual(
      bodyViolations(JSON.stringify({ server_time: GOOD.server_time }), DEVICE, { fallback: true }),
      ['a fallback reply names no transport'],
    );
  });

  test('a clean error is a framed 4xx/5xx', () => {
    assert.deepEqual(
      errorFramingViolations(
        raw('down\n', 'Content-Type: text/plain\r\nContent-Length: {len}\r\n', '502 Bad Gateway'),
      ),
      [],
    );
    assert.deepEqual(errorFramingViolations(raw('x', 'Content-Length: 1\r\n', '302 Found')), [
      'status 302 is neither 200 nor 4xx/5xx',
    ]);
  });
});
