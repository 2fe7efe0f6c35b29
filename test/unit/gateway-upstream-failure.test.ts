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

test('504 for a timeout, 502 otherwise', () => {
  assert.equal(failureStatus('timeout'), 504);
  for (const kind of ['refused', 'reset', 'bad-status', 'not-json', 'breaker-open'] as const)
    assert.equal(failureStatus(kind), 502);
});
