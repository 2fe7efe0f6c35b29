/** bench/contract-check.ts: what the benchmark counts as a reply a device can use (docs/device-contract.md §2–§3; the frame judged by src/http-wire). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOtaReply } from '../../bench/contract-check.js';
import type { RawResponse } from '../../src/http-wire/response-reader.js';

const GOOD_BODY = {
  server_time: { timestamp: 1_786_000_000_123, timezone_offset: 120 },
  firmware: { version: '2.0.0', url: 'http://127.0.0.1:8003/firmware/a.bin' },
  websocket: { url: 'ws://127.0.0.1:8000/xiaozhi/v1/', token: 't' },
};

function reply(
  body: unknown,
  {
    headers,
    framing = 'content-length',
    status = 200,
  }: { headers?: [string, string][]; framing?: RawResponse['framing']; status?: number } = {},
): RawResponse {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const head = headers ?? [
    ['Content-Type', 'application/json'],
    ['Content-Length', String(bytes.length)],
    ['Date', 'Sat, 21 Nov 2026 10:00:00 GMT'],
    ['Connection', 'close'],
  ];
  return {
    status,
    statusLine: `HTTP/1.1 ${status} OK`,
    headers: head,
    framing,
    body: bytes,
    headBytes: 120,
    wireBytes: bytes.length + 120,
  };
}

const expectations = { mqttStripped: true, websocketUrlPrefix: 'ws://127.0.0.1:8000/' };

describe('device contract check', () => {
  test('a rewritten reply with exact framing passes', () => {
    const verdict = checkOtaReply(reply(GOOD_BODY), expectations);
    assert.deepEqual(verdict.violations, []);
    assert.equal((verdict.sections?.firmware as { version: string }).version, '2.0.0');
  });

  test('framing: lowercase content-length, chunking, compression and extra headers are violations', () => {
    const bytes = JSON.stringify(GOOD_BODY).length;
    const lower = checkOtaReply(
      reply(GOOD_BODY, { headers: [['content-length', String(bytes)]] }),
      expectations,
    );
    assert.ok(lower.violations.includes('content-length-casing'));
    const chunked = checkOtaReply(
      reply(GOOD_BODY, {
        headers: [
          ['Transfer-Encoding', 'chunked'],
          ['Server', 'nginx'],
        ],
        framing: 'chunked',
      }),
      expectations,
    );
    for (const v of ['no-content-length', 'chunked', 'transfer-encoding', 'extra-headers'])
      assert.ok(chunked.violations.includes(v), v);
    const wrong = checkOtaReply(
      reply(GOOD_BODY, {
        headers: [
          ['Content-Length', '3'],
          ['Content-Encoding', 'gzip'],
        ],
      }),
      expectations,
    );
    assert.ok(wrong.violations.includes('content-length-mismatch'));
    assert.ok(wrong.violations.includes('content-encoding'));
  });

  test('bricking values are violations', () => {
    const verdict = checkOtaReply(
      reply({
        server_time: { timestamp: 1_786_000_000, timezone_offset: 5.5 },
        firmware: { version: 'v2.0.0', url: '', force: true },
        websocket: { url: 'http://x/', version: '3', averyveryverylongkey: 'x' },
        mqtt: { endpoint: 'mqtt.example.com:port' },
      }),
      expectations,
    );
    for (const v of [
      'server-time-timestamp',
      'server-time-offset',
      'firmware-version',
      'firmware-force',
      'websocket-url',
      'websocket-version-not-number',
      'websocket-key-length',
      'mqtt-not-stripped',
      'mqtt-endpoint',
    ]) {
      assert.ok(verdict.violations.includes(v), v);
    }
  });

  test('null sections, a second case-variant key and no transport are violations', () => {
    const verdict = checkOtaReply(
      reply('{"websocket":null,"firmware":{"version":"1.0.0","url":""},"Firmware":{}}'),
      expectations,
    );
    for (const v of ['websocket-not-object', 'duplicate-key-firmware', 'no-transport'])
      assert.ok(verdict.violations.includes(v), v);
  });

  test('a status other than 200, a non-JSON body and an oversized body are violations', () => {
    assert.ok(
      checkOtaReply(reply(GOOD_BODY, { status: 502 }), expectations).violations.includes('status-502'),
    );
    assert.ok(checkOtaReply(reply('not json'), expectations).violations.includes('body-not-json'));
    const big = { ...GOOD_BODY, padding: 'x'.repeat(5000) };
    assert.ok(checkOtaReply(reply(big), expectations).violations.includes('body-over-4KiB'));
  });
});
