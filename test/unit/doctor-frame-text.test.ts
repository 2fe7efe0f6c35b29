/** doctor says each broken frame rule in the report's language: the English is the judge's own text, word for word; the Chinese carries the same values. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFrameViolation } from '../../src/doctor/frame-text.js';
import { judgeDeviceFrame } from '../../src/http-wire/device-frame.js';
import type { RawResponse } from '../../src/http-wire/response-reader.js';
import { translator } from '../../src/i18n/translate.js';

function reply(
  headers: [string, string][],
  {
    status = 200,
    body = Buffer.alloc(5000, 0x61),
    framing = 'chunked' as RawResponse['framing'],
    wireBytes = 9000,
  } = {},
): RawResponse {
  return { status, statusLine: `HTTP/1.1 ${status} X`, headers, framing, body, headBytes: 200, wireBytes };
}

/** Every rule at once: a status, a misspelt and repeated and wrong Content-Length, chunking, gzip, sizes, extra headers. */
const EVERYTHING = reply(
  [
    ['content-length', '12'],
    ['Content-Length', '12'],
    ['Transfer-Encoding', 'chunked'],
    ['Content-Encoding', 'identity'],
    ['Content-Encoding', 'gzip'],
    ['X-Powered-By', 'Express'],
    ['Connection', 'keep-alive'],
  ],
  { status: 502 },
);
const NO_LENGTH = reply([['Content-Type', 'application/json']], {
  body: Buffer.from('{}'),
  framing: 'close',
  wireBytes: 100,
});

describe('frame rules in the report', () => {
  test('English is the judge’s text, for every rule', () => {
    const en = translator('en');
    const violations = [
      ...judgeDeviceFrame(EVERYTHING).map((v) => ({ v, r: EVERYTHING })),
      ...judgeDeviceFrame(NO_LENGTH).map((v) => ({ v, r: NO_LENGTH })),
    ];
    assert.deepEqual(
      [...new Set(violations.map(({ v }) => v.rule))].sort(),
      [
        'body-over-4KiB',
        'chunked',
        'content-encoding',
        'content-length-casing',
        'content-length-mismatch',
        'content-length-repeated',
        'extra-headers',
        'no-content-length',
        'response-over-8KiB',
        'status-502',
        'transfer-encoding',
      ],
      'the fixture breaks every rule',
    );
    for (const { v, r } of violations) assert.equal(describeFrameViolation(v, r, en), v.text, v.rule);
  });

  test('Chinese says the same values', () => {
    const zh = translator('zh-CN');
    const said = judgeDeviceFrame(EVERYTHING).map((v) => describeFrameViolation(v, EVERYTHING, zh));
    assert.deepEqual(said, [
      '状态码 502：设备会重试，然后沿用已保存的设置',
      '"content-length" 的写法不是 Content-Length（4G 模组客户端按大小写精确匹配）',
      '有 2 个 Content-Length 头',
      'Content-Length 为 12，但响应体有 5000 字节',
      '分块（chunked）响应体（CRLF 跨两次读取时，设备的分块解析会截断数据）',
      '带有 Transfer-Encoding（设备会误读分块响应体）',
      'Content-Encoding 为 gzip（设备无法解压）',
      '响应体 5000 字节（必须小于 4096）',
      '整个响应 9000 字节（v1.9/v2.x 客户端到 8192 字节会卡死）',
      '应答带有多余的响应头：Transfer-Encoding, Content-Encoding, Content-Encoding, X-Powered-By',
    ]);
  });
});
