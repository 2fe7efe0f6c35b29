/**
 * Upstream failures in the error hierarchy: each transport failure kind has its stable code, the status a
 * client would get, and keeps the low-level cause; low-level errors map to those kinds in one table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyError, UpstreamError } from '../../src/errors.js';
import { classifyUpstreamError, type TransportFailure } from '../../src/gateway/upstream-failure.js';

test('each transport failure kind has a code and a status', () => {
  const rows: [TransportFailure, string, number][] = [
    ['refused', 'UPSTREAM_UNREACHABLE', 502],
    ['unreachable', 'UPSTREAM_UNREACHABLE', 502],
    ['timeout', 'UPSTREAM_TIMEOUT', 504],
    ['reset', 'UPSTREAM_RESET', 502],
    ['truncated', 'UPSTREAM_RESET', 502],
    ['too-large', 'UPSTREAM_TOO_LARGE', 502],
    ['protocol', 'UPSTREAM_BAD_REPLY', 502],
    ['bad-encoding', 'UPSTREAM_BAD_REPLY', 502],
  ];
  for (const [failure, code, status] of rows) {
    const error = new UpstreamError(failure, 'x');
    assert.ok(error instanceof ProxyError, failure);
    assert.deepEqual(
      [error.failure, error.code, error.status, error.name],
      [failure, code, status, 'UpstreamError'],
    );
  }
});

test('the low-level error stays the cause', () => {
  const low = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  const error = new UpstreamError(classifyUpstreamError(low), 'the upstream request failed', { cause: low });
  assert.equal(error.failure, 'refused');
  assert.equal(error.cause, low);
  assert.equal(new UpstreamError('timeout', 'x').cause, undefined);
});

test('low-level codes map to transport failure kinds', () => {
  const rows: [string, TransportFailure][] = [
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ECONNABORTED', 'reset'],
    ['ETIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'unreachable'],
    ['EAI_AGAIN', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['HPE_INVALID_CONSTANT', 'protocol'],
    ['HPE_INVALID_CONTENT_LENGTH', 'protocol'],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 'protocol'],
    ['HPE_SOMETHING_NEW', 'protocol'],
    ['Z_DATA_ERROR', 'bad-encoding'],
    ['Z_BUF_ERROR', 'truncated'],
    ['ERR_SOMETHING_ELSE', 'reset'],
  ];
  for (const [code, failure] of rows)
    assert.equal(classifyUpstreamError(Object.assign(new Error(code), { code })), failure, code);
  assert.equal(classifyUpstreamError(undefined), 'reset');
});
