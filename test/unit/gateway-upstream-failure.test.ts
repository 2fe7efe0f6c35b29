import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyUpstreamError, failureStatus } from '../../src/gateway/upstream-failure.js';

test('low-level errors map to gateway outcomes', () => {
  const table: [string, string][] = [
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ETIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'unreachable'],
    ['EHOSTUNREACH', 'unreachable'],
    ['HPE_INVALID_CONSTANT', 'protocol'],
    ['HPE_SOMETHING_NEW', 'protocol'],
    ['Z_DATA_ERROR', 'bad-encoding'],
    ['WHATEVER', 'reset'],
  ];
  for (const [code, kind] of table)
    assert.equal(classifyUpstreamError(Object.assign(new Error(code), { code })), kind, code);
  assert.equal(classifyUpstreamError('not an error'), 'reset');
});

test("undici's errors map the same way: its parser errors carry no code, only their class", async () => {
  const { errors } = await import('undici');
  assert.equal(classifyUpstreamError(new errors.HTTPParserError('Expected HTTP/')), 'protocol');
  assert.equal(classifyUpstreamError(new errors.SocketError('other side closed')), 'reset');
  assert.equal(classifyUpstreamError(new errors.SocketError('bad upgrade')), 'protocol');
  assert.equal(classifyUpstreamError(new errors.SocketError('bad response')), 'protocol');
  assert.equal(classifyUpstreamError(new errors.ConnectTimeoutError()), 'timeout');
  assert.equal(classifyUpstreamError(new errors.HeadersOverflowError()), 'protocol');
  assert.equal(classifyUpstreamError(new errors.ResponseContentLengthMismatchError()), 'protocol');
});

test('504 for a timeout, 502 otherwise', () => {
  assert.equal(failureStatus('timeout'), 504);
  for (const kind of ['refused', 'reset', 'bad-status', 'not-json', 'breaker-open'] as const)
    assert.equal(failureStatus(kind), 502);
});
