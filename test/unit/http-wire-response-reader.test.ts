/** src/http-wire/response-reader.ts: a reply read from raw bytes, in any split, with its framing reported and a broken one described. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponseReader, headerValues, type ReadState } from '../../src/http-wire/response-reader.js';
import { readCapture } from '../helpers/captures.js';

function feed(bytes: Buffer, splitEvery: number, { end = false, headRequest = false } = {}): ReadState {
  const reader = createResponseReader({ headRequest });
  let state: ReadState = { kind: 'more' };
  for (let at = 0; at < bytes.length && state.kind === 'more'; at += splitEvery)
    state = reader.push(bytes.subarray(at, at + splitEvery));
  return state.kind === 'more' && end ? reader.end() : state;
}

function completed(state: ReadState): Extract<ReadState, { kind: 'complete' }> {
  assert.equal(state.kind, 'complete', state.kind === 'malformed' ? state.reason : '');
  return state as Extract<ReadState, { kind: 'complete' }>;
}

function malformed(state: ReadState): Extract<ReadState, { kind: 'malformed' }> {
  assert.equal(state.kind, 'malformed');
  return state as Extract<ReadState, { kind: 'malformed' }>;
}

const lengthFramed = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nDate: x\r\n\r\n{"a":"b:c"}',
  'latin1',
);
const chunked = Buffer.from(
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n6\r\n"b:c"}\r\n0\r\n\r\n',
  'latin1',
);

describe('framing, in any split', () => {
  for (const split of [1, 7, 4096]) {
    test(`Content-Length framing, fed ${split} byte(s) at a time`, () => {
      const { response, rest } = completed(feed(lengthFramed, split));
      assert.equal(response.status, 200);
      assert.equal(response.framing, 'content-length');
      assert.equal(response.body.toString(), '{"a":"b:c"}');
      assert.equal(response.wireBytes, lengthFramed.length);
      assert.equal(response.headBytes, lengthFramed.length - 11);
      assert.deepEqual(headerValues(response.headers, 'content-length'), ['11']);
      assert.deepEqual(response.headers[1], ['Content-Length', '11']);
      assert.equal(rest.length, 0);
    });

    test(`chunked framing is de-chunked and reported, fed ${split} byte(s) at a time`, () => {
      const { response } = completed(feed(chunked, split));
      assert.equal(response.framing, 'chunked');
      assert.equal(response.body.toString(), '{"a":"b:c"}');
      assert.equal(response.wireBytes, chunked.length);
    });

    test(`chunk extensions and trailers are read past, fed ${split} byte(s) at a time`, () => {
      const bytes = Buffer.from(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\n',
        'latin1',
      );
      const { response } = completed(feed(bytes, split));
      assert.equal(response.body.toString(), 'abc');
      assert.equal(response.wireBytes, bytes.length);
    });
  }

  test('a Content-Length reply from a real upstream is complete once its body arrived, names as spelled', () => {
    const { response } = completed(feed(readCapture('python-default-post', 'response').raw, 4096));
    assert.equal(response.status, 200);
    assert.equal(response.framing, 'content-length');
    assert.equal(response.body.length, 171);
    assert.ok(response.headers.some(([n]) => n === 'Content-Length'));
  });

  test("the Java server's chunked reply is de-chunked and marked chunked", () => {
    const { response } = completed(feed(readCapture('java-no-trailing-slash', 'response').raw, 4096));
    assert.equal(response.framing, 'chunked');
    assert.equal(response.body.toString('utf8'), '{"code":404,"msg":"资源不存在","data":null}');
    assert.deepEqual(headerValues(response.headers, 'vary'), [
      'Origin',
      'Access-Control-Request-Method',
      'Access-Control-Request-Headers',
    ]);
  });

  test('a body framed by the connection closing waits, then completes at the end', () => {
    for (const head of [
      'HTTP/1.1 200 OK\r\nConnection: close',
      'HTTP/1.0 200 OK\r\nContent-Type: text/plain',
    ]) {
      const raw = Buffer.from(`${head}\r\n\r\nhello`, 'latin1');
      assert.equal(feed(raw, 3).kind, 'more');
      const { response } = completed(feed(raw, 3, { end: true }));
      assert.equal(response.framing, 'close');
      assert.equal(response.body.toString(), 'hello');
    }
  });

  test('Transfer-Encoding without chunked last runs to the close, Content-Length ignored (RFC 9112 §6.3)', () => {
    const raw = Buffer.from(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\nContent-Length: 2\r\n\r\nabcd',
    );
    assert.equal(feed(raw, 100).kind, 'more');
    const { response } = completed(feed(raw, 100, { end: true }));
    assert.equal(response.framing, 'close');
    assert.equal(response.body.toString(), 'abcd');
  });

  test('HEAD replies, 204 and 304 have no body, whatever Content-Length says', () => {
    const head = completed(
      feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n'), 5, { headRequest: true }),
    );
    assert.equal(head.response.framing, 'none');
    assert.equal(head.response.body.length, 0);
    const noContent = completed(feed(Buffer.from('HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n'), 100));
    assert.equal(noContent.response.framing, 'none');
    assert.equal(noContent.response.status, 204);
  });
});

describe('keep-alive', () => {
  test('the bytes after a complete response are handed back for the next one', () => {
    const second = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno', 'latin1');
    for (const first of [lengthFramed, chunked]) {
      const one = completed(feed(Buffer.concat([first, second]), 4096));
      assert.equal(one.response.body.toString(), '{"a":"b:c"}');
      assert.equal(one.response.wireBytes, first.length);
      assert.deepEqual(one.rest, second);
      const two = completed(feed(one.rest, 4096));
      assert.equal(two.response.status, 404);
      assert.equal(two.response.body.toString(), 'no');
    }
  });

  test('a head-only reply hands back everything after its blank line', () => {
    const next = Buffer.from('HTTP/1.1 200 OK\r\n');
    const state = completed(
      feed(Buffer.concat([Buffer.from('HTTP/1.1 304 Not Modified\r\n\r\n'), next]), 4096),
    );
    assert.deepEqual(state.rest, next);
  });
});

describe('broken replies', () => {
  test('a reply cut short is malformed, not complete, and described as far as it came', () => {
    const cut = malformed(feed(lengthFramed.subarray(0, lengthFramed.length - 2), 5, { end: true }));
    assert.equal(cut.partial?.body.toString(), '{"a":"b:c');
    assert.equal(cut.partial?.status, 200);
    assert.equal(malformed(feed(Buffer.alloc(0), 1, { end: true })).partial, null);
  });

  test('a short body waits, then counts as incomplete when the peer closes', () => {
    const raw = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    assert.equal(feed(raw, 100).kind, 'more');
    const ended = malformed(feed(raw, 100, { end: true }));
    assert.equal(ended.reason, 'connection closed before the body was complete');
    assert.equal(ended.partial?.body.toString(), 'abc');
  });

  test('a chunked body cut short keeps the chunks that came', () => {
    const ended = malformed(feed(chunked.subarray(0, chunked.length - 8), 3, { end: true }));
    assert.equal(ended.partial?.framing, 'chunked');
    assert.equal(ended.partial?.body.toString(), '{"a":"b:c"');
  });

  test('conflicting Content-Length values are malformed at once, the head and the body so far kept', () => {
    const state = malformed(
      feed(
        Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc', 'latin1'),
        100,
      ),
    );
    assert.equal(state.reason, 'bad Content-Length "2, 3"');
    assert.deepEqual(state.partial?.headers, [
      ['Content-Length', '2'],
      ['Content-Length', '3'],
    ]);
    assert.equal(state.partial?.body.toString(), 'abc');
  });

  test('a bad chunk size, or chunk data without its CRLF, is malformed with the chunks before it', () => {
    const badSize = malformed(
      feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\nzz\r\n'), 4),
    );
    assert.equal(badSize.reason, 'bad chunk size "zz"');
    assert.equal(badSize.partial?.body.toString(), 'ab');
    const noCrlf = malformed(
      feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n'), 4),
    );
    assert.equal(noCrlf.reason, 'chunk data not followed by CRLF');
    assert.equal(noCrlf.partial?.body.toString(), 'ab');
  });

  test('a header line without a name is malformed, the line kept as sent', () => {
    const state = malformed(feed(Buffer.from('HTTP/1.1 200 OK\r\nbroken line\r\nDate: x\r\n\r\nhi'), 100));
    assert.deepEqual(state.partial?.headers, [
      ['broken line', ''],
      ['Date', 'x'],
    ]);
    assert.equal(state.partial?.body.toString(), 'hi');
  });

  test('garbage is malformed with nothing to describe, a silent close too', () => {
    assert.equal(malformed(feed(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'), 100)).partial, null);
    assert.equal(malformed(feed(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'), 100, { end: true })).partial, null);
    assert.equal(
      malformed(feed(Buffer.alloc(0), 1, { end: true })).reason,
      'connection closed before any byte',
    );
    assert.equal(
      malformed(feed(Buffer.from('HTTP/1.1 200 OK\r\nDa'), 100, { end: true })).reason,
      'connection closed inside the header block',
    );
  });

  test('a header block past 64 KiB is malformed before its end arrives', () => {
    const state = malformed(feed(Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`), 8192));
    assert.equal(state.reason, 'header block too long');
  });
});
