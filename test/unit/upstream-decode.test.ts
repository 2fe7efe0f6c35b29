/** The one decoder for upstream bodies (src/upstream/decode.ts), row by row. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { UpstreamError } from '../../src/errors.js';
import { decodeBody, encodingOf } from '../../src/upstream/decode.js';

const text = Buffer.from('{"websocket":{"url":"ws://a/","token":"t"}}'.repeat(20));

/** The row's outcome: the decoded bytes, or the failure kind and code of the UpstreamError thrown. */
function outcome(raw: Buffer, encoding: string, limit: number): Buffer | string {
  try {
    return decodeBody(raw, encoding, limit);
  } catch (error) {
    assert.ok(error instanceof UpstreamError, String(error));
    return `${error.failure} ${error.code} ${error.status}`;
  }
}

test('each encoding is decoded, bounded, or refused', () => {
  const rows: [name: string, raw: Buffer, encoding: string, limit: number, expected: Buffer | string][] = [
    ['identity', text, 'identity', 4096, text],
    ['empty encoding name', text, '', 4096, text],
    ['identity over the limit', text, 'identity', 100, 'too-large UPSTREAM_TOO_LARGE 502'],
    ['gzip', zlib.gzipSync(text), 'gzip', 4096, text],
    ['x-gzip', zlib.gzipSync(text), 'x-gzip', 4096, text],
    ['deflate, zlib-wrapped', zlib.deflateSync(text), 'deflate', 4096, text],
    ['deflate, raw', zlib.deflateRawSync(text), 'deflate', 4096, text],
    ['deflate, raw, best compression', zlib.deflateRawSync(text, { level: 9 }), 'deflate', 4096, text],
    ['deflate, raw, stored', zlib.deflateRawSync(text, { level: 0 }), 'deflate', 4096, text],
    ['br', zlib.brotliCompressSync(text), 'br', 4096, text],
    ['an empty compressed body', Buffer.alloc(0), 'gzip', 4096, Buffer.alloc(0)],
    ['a gzip bomb', zlib.gzipSync(Buffer.alloc(1 << 20)), 'gzip', 8192, 'too-large UPSTREAM_TOO_LARGE 502'],
    [
      'a br bomb',
      zlib.brotliCompressSync(Buffer.alloc(1 << 20)),
      'br',
      8192,
      'too-large UPSTREAM_TOO_LARGE 502',
    ],
    [
      'a raw deflate bomb',
      zlib.deflateRawSync(Buffer.alloc(1 << 20)),
      'deflate',
      8192,
      'too-large UPSTREAM_TOO_LARGE 502',
    ],
    ['corrupt gzip', Buffer.from('not gzip at all'), 'gzip', 4096, 'bad-encoding UPSTREAM_BAD_REPLY 502'],
    ['corrupt br', Buffer.from('not br at all!'), 'br', 4096, 'bad-encoding UPSTREAM_BAD_REPLY 502'],
    [
      'a cut-short gzip',
      zlib.gzipSync(text).subarray(0, 20),
      'gzip',
      4096,
      'bad-encoding UPSTREAM_BAD_REPLY 502',
    ],
    ['an unknown encoding', text, 'zstd', 4096, 'bad-encoding UPSTREAM_BAD_REPLY 502'],
    ['stacked encodings', zlib.gzipSync(text), 'gzip, br', 4096, 'bad-encoding UPSTREAM_BAD_REPLY 502'],
  ];
  for (const [name, raw, encoding, limit, expected] of rows)
    assert.deepEqual(outcome(raw, encoding, limit), expected, name);
});

test('the Content-Encoding header as the decoder reads it', () => {
  assert.equal(encodingOf(undefined), 'identity');
  assert.equal(encodingOf(' GZip '), 'gzip');
  assert.equal(encodingOf('BR'), 'br');
  assert.equal(encodingOf(''), '');
});
