/** bench/raw-response.ts: a reply read from raw bytes, in any split, with its framing reported. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponseReader, headerValue, type ReadState } from '../../bench/raw-response.js';

function feed(bytes: Buffer, splitEvery: number, { end = false } = {}): ReadState {
  const reader = createResponseReader();
  let state: ReadState = { kind: 'more' };
  for (let at = 0; at < bytes.length && state.kind === 'more'; at += splitEvery)
    state = reader.push(bytes.subarray(at, at + splitEvery));
  return state.kind === 'more' && end ? reader.end() : state;
}

const lengthFramed = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nDate: x\r\n\r\n{"a":"b:c"}',
  'latin1',
);
const chunked = Buffer.from(
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n6\r\n"b:c"}\r\n0\r\n\r\n',
  'latin1',
);

describe('raw response reader', () => {
  for (const split of [1, 7, 4096]) {
    test(`Content-Length framing, fed ${split} byte(s) at a time`, () => {
      const state = feed(lengthFramed, split);
      assert.equal(state.kind, 'complete');
      if (state.kind !== 'complete') return;
      assert.equal(state.response.status, 200);
      assert.equal(state.response.framing, 'content-length');
      assert.equal(state.response.body.toString(), '{"a":"b:c"}');
      assert.equal(state.response.wireBytes, lengthFramed.length);
      assert.equal(headerValue(state.response, 'content-length'), '11');
      assert.deepEqual(state.response.headers[1], ['Content-Length', '11']);
    });

    test(`chunked framing is de-chunked and reported, fed ${split} byte(s) at a time`, () => {
      const state = feed(chunked, split);
      assert.equal(state.kind, 'complete');
      if (state.kind !== 'complete') return;
      assert.equal(state.response.framing, 'chunked');
      assert.equal(state.response.body.toString(), '{"a":"b:c"}');
      assert.equal(state.response.wireBytes, chunked.length);
    });
  }

  test('a body framed by the connection closing completes at the end', () => {
    const state = feed(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello', 'latin1'), 3, {
      end: true,
    });
    assert.equal(state.kind, 'complete');
    if (state.kind === 'complete') assert.equal(state.response.body.toString(), 'hello');
  });

  test('a reply cut short is malformed, not complete', () => {
    assert.equal(feed(lengthFramed.subarray(0, lengthFramed.length - 2), 5, { end: true }).kind, 'malformed');
    assert.equal(feed(Buffer.alloc(0), 1, { end: true }).kind, 'malformed');
  });

  test('conflicting Content-Length values are malformed', () => {
    const state = feed(
      Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc', 'latin1'),
      100,
    );
    assert.equal(state.kind, 'malformed');
  });
});
