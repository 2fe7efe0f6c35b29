/**
 * The independent device-contract oracle (test/helpers/device-contract.ts) is itself checked: it accepts
 * replies a device survives and names every rule of device-contract.md §2–§3 that a reply breaks — so a
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

  const framing: [string, ReturnType<typeof raw>][] = [
    ['status', raw(JSON.stringify(GOOD), undefined, '302 Found')],
    ['Content-Length spelled', raw('{}', 'content-length: 2\r\n')],
    ['0 Content-Length', raw('{}', 'Date: x\r\n')],
    ['but 2 body bytes', raw('{}', 'Content-Length: 3\r\n')],
    ['2 Content-Length headers', raw('{}', 'Content-Length: 2\r\nContent-Length: 2\r\n')],
    ['Transfer-Encoding', raw('{}', 'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n')],
    ['Content-Encoding', raw('{}', 'Content-Length: 2\r\nContent-Encoding: gzip\r\n')],
    ['not allowed', raw('{}', 'Content-Length: 2\r\nAccess-Control-Allow-Origin: *\r\n')],
  ];
  for (const [rule, response] of framing) {
    test(`names a framing break: ${rule}`, () => {
      assert.ok(
        contractViolations(response, DEVICE).some((v) => v.includes(rule)),
        JSON.stringify(contractViolations(response, DEVICE)),
      );
    });
  }

  const bodies: [string, unknown, OracleDevice?][] = [
    ['not JSON', '{"a":'],
    ['not one JSON object', [1, 2]],
    ['4 KiB', { websocket: { url: 'ws://a/', a: 'x'.repeat(2100), b: 'y'.repeat(2100) } }],
    ['null', { mqtt: null }],
    ['not an object', { websocket: 'ws://a/' }],
    ['ws:// or wss://', { websocket: { url: 'http://a/' } }],
    ['std::stoi', { websocket: { url: 'ws://a/b:c/' } }],
    ['websocket.version', { websocket: { url: 'ws://a/', version: '3' } }],
    ['key', { websocket: { url: 'ws://a/', a_key_longer_than_15: 1 } }],
    ['4000 bytes', { websocket: { url: 'ws://a/', token: 't'.repeat(4000) } }],
    ['mqtt is {}', { mqtt: {} }],
    ['host or host:port', { mqtt: { endpoint: 'a:b:1883' } }],
    ['keepalive', { mqtt: { endpoint: 'a', keepalive: '60' } }],
    ['milliseconds', { server_time: { timestamp: 1795300269 } }],
    ['integer', { server_time: { timestamp: 1795300269823, timezone_offset: 5.5 } }],
    ['dotted integers', { firmware: { version: 'v2.0.0', url: '' } }],
    ['url is not a string', { firmware: { version: '1.6.0' } }],
    ['cannot be downloaded', { firmware: { version: '1.7.0', url: '' } }],
    [
      'cannot be downloaded',
      { firmware: { version: '1.7.0', url: 'http://x/NOT_ACTIVATED_FIRMWARE_THIS_IS_A_INVALID_URL' } },
    ],
    ['force is not the number 1', { firmware: { version: '1.7.0', url: 'http://h/a.bin', force: true } }],
    ['running (or an unknown) version', { firmware: { version: '1.6.0', url: 'http://h/a.bin', force: 1 } }],
    [
      'unknown running version',
      { firmware: { version: '0.0.1', url: '' } },
      { version: null, legacy: false },
    ],
    ['requires one', { websocket: { url: 'ws://a/' } }, LEGACY],
    ['activation.code', { activation: { code: 123456 } }],
    ['duplicate section', '{"mqtt":{"endpoint":"a"},"MQTT":{"endpoint":"b"}}'],
    ['duplicate key', '{"websocket":{"url":"ws://a/","URL":"ws://b/"}}'],
    ['control character or whitespace', { websocket: { url: 'ws://a:80/x\r\nHost: b' } }],
    ['control character or whitespace', { websocket: { url: 'ws://a:80/\u0000' } }],
    ['control character or whitespace', { websocket: { url: 'ws://a:80/x y' } }],
    ['control character or whitespace', { websocket: { url: 'ws://a:80/\u3000' } }],
    ['websocket.token holds a control character', { websocket: { url: 'ws://a/', token: 't\r\nX: 1' } }],
    ['websocket.token holds a control character', { websocket: { url: 'ws://a/', token: '\u007f' } }],
    ['mqtt.password holds a control character', { mqtt: { endpoint: 'a', password: 'p\u0000w' } }],
    ['mqtt.endpoint holds a control character', { mqtt: { endpoint: 'a\n' } }],
  ];
  for (const [rule, body, device = DEVICE] of bodies) {
    test(`names a body break: ${rule}`, () => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const found = bodyViolations(text, device);
      assert.ok(
        found.some((v) => v.includes(rule)),
        `${text} → ${JSON.stringify(found)}`,
      );
    });
  }

  test('reads keys as cJSON does: case-insensitively, first match, up to a NUL', () => {
    assert.ok(bodyViolations('{"WebSocket":{"URL":"http://a/"}}', DEVICE).some((v) => v.includes('ws://')));
    assert.ok(bodyViolations('{"mqtt\\u0000x":{}}', DEVICE).some((v) => v.includes('mqtt is {}')));
  });

  test('fallback replies: never activation, always a transport', () => {
    assert.ok(
      bodyViolations(JSON.stringify({ ...GOOD, activation: { code: '1' } }), DEVICE, { fallback: true }).some(
        (v) => v.includes('activation'),
      ),
    );
    assert.ok(
      bodyViolations(JSON.stringify({ server_time: GOOD.server_time }), DEVICE, { fallback: true }).some(
        (v) => v.includes('no transport'),
      ),
    );
  });

  test('a clean error is a framed 4xx/5xx', () => {
    assert.deepEqual(
      errorFramingViolations(
        raw('down\n', 'Content-Type: text/plain\r\nContent-Length: {len}\r\n', '502 Bad Gateway'),
      ),
      [],
    );
    assert.ok(errorFramingViolations(raw('x', 'Content-Length: 1\r\n', '302 Found')).length > 0);
  });
});
