/** src/http-wire/device-frame.ts: a device reply's frame judged on its bytes (device-contract §2, the proxy's header promise). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeDeviceFrame } from '../../src/http-wire/device-frame.js';
import type { RawResponse } from '../../src/http-wire/response-reader.js';

const BODY = Buffer.from('{"server_time":{"timestamp":1786000000123,"timezone_offset":0}}', 'utf8');

function reply({
  headers,
  framing = 'content-length',
  status = 200,
  body = BODY,
  wireBytes = body.length + 120,
}: {
  headers?: [string, string][];
  framing?: RawResponse['framing'];
  status?: number;
  body?: Buffer;
  wireBytes?: number;
} = {}): RawResponse {
  return {
    status,
    statusLine: `HTTP/1.1 ${status} OK`,
    headers: headers ?? [
      ['Content-Type', 'application/json'],
      ['Content-Length', String(body.length)],
      ['Date', 'Sat, 21 Nov 2026 10:00:00 GMT'],
      ['Connection', 'close'],
    ],
    framing,
    body,
    headBytes: 120,
    wireBytes,
  };
}

const rules = (response: RawResponse): string[] => judgeDeviceFrame(response).map((v) => v.rule);

test('a 200 with exactly the promised headers and an exact Content-Length passes', () => {
  assert.deepEqual(judgeDeviceFrame(reply()), []);
});

test('lowercase content-length, chunking, compression and extra headers are violations', () => {
  assert.deepEqual(rules(reply({ headers: [['content-length', String(BODY.length)]] })), [
    'content-length-casing',
  ]);
  assert.deepEqual(
    rules(
      reply({
        headers: [
          ['Transfer-Encoding', 'chunked'],
          ['Server', 'nginx'],
        ],
        framing: 'chunked',
      }),
    ),
    ['no-content-length', 'chunked', 'transfer-encoding', 'extra-headers'],
  );
  assert.deepEqual(
    rules(
      reply({
        headers: [
          ['Content-Length', '3'],
          ['Content-Encoding', 'gzip'],
        ],
      }),
    ),
    ['content-length-mismatch', 'content-encoding', 'extra-headers'],
  );
});

test('a repeated Content-Length is a violation even when the values agree; a leading zero is a mismatch', () => {
  const n = String(BODY.length);
  assert.deepEqual(
    rules(
      reply({
        headers: [
          ['Content-Length', n],
          ['Content-Length', n],
        ],
      }),
    ),
    ['content-length-repeated'],
  );
  assert.deepEqual(rules(reply({ headers: [['Content-Length', `0${n}`]] })), ['content-length-mismatch']);
});

test('Content-Encoding: identity breaks no device, only the header promise', () => {
  const verdict = judgeDeviceFrame(
    reply({
      headers: [
        ['Content-Length', String(BODY.length)],
        ['Content-Encoding', 'identity'],
      ],
    }),
  );
  assert.deepEqual(
    verdict.map((v) => [v.rule, v.source]),
    [['extra-headers', 'proxy-promise']],
  );
  assert.equal(verdict[0]?.text, 'extra headers in the reply: Content-Encoding');
});

test('a status other than 200 is named by its code', () => {
  assert.deepEqual(rules(reply({ status: 502 })), ['status-502']);
});

test('a body of 4 KiB or more and a response of 8 KiB or more are violations, one byte less is not', () => {
  const body = (n: number): Buffer => Buffer.alloc(n, 0x61);
  const sized = (n: number, wire: number): RawResponse =>
    reply({ body: body(n), headers: [['Content-Length', String(n)]], wireBytes: wire });
  assert.deepEqual(rules(sized(4095, 8191)), []);
  assert.deepEqual(rules(sized(4096, 8191)), ['body-over-4KiB']);
  assert.deepEqual(rules(sized(4095, 8192)), ['response-over-8KiB']);
});

test('every device rule is marked device-contract, and says what is wrong', () => {
  const verdict = judgeDeviceFrame(
    reply({ status: 500, headers: [['content-length', '1']], framing: 'chunked' }),
  );
  assert.deepEqual(
    verdict.map((v) => v.source),
    verdict.map(() => 'device-contract'),
  );
  assert.equal(
    verdict.find((v) => v.rule === 'content-length-casing')?.text,
    '"content-length" is not spelled Content-Length (the 4G modem client matches it case-sensitively)',
  );
});
