/** `wantsClose`: the `close` connection option (RFC 9112 §9.6) read as one token, and HTTP/1.0's default. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { wantsClose } from '../../src/http/framing.js';

function request(connection: string | undefined, minor = 1): IncomingMessage {
  return {
    headers: connection === undefined ? {} : { connection },
    httpVersionMajor: 1,
    httpVersionMinor: minor,
  } as unknown as IncomingMessage;
}

test('HTTP/1.1: close only when `close` is one of the listed tokens, in any case', () => {
  const cases: [string | undefined, boolean][] = [
    [undefined, false],
    ['close', true],
    ['Close', true],
    ['keep-alive, close', true],
    ['close ,Upgrade', true],
    ['keep-alive', false],
    ['closed', false],
    ['x-close', false],
    ['enclose, keep-alive', false],
  ];
  for (const [connection, expected] of cases)
    assert.equal(wantsClose(request(connection)), expected, connection);
});

test('HTTP/1.0: close unless keep-alive is asked', () => {
  assert.equal(wantsClose(request(undefined, 0)), true);
  assert.equal(wantsClose(request('Keep-Alive', 0)), false);
  assert.equal(wantsClose(request('close', 0)), true);
});
