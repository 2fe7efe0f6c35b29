import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets } from '../../src/gateway/redact.js';

test('tokens and passwords are redacted in any case; empty ones stay visible', () => {
  const text =
    '{"websocket":{"url":"ws://a/","token":"abc.123"},"mqtt":{"Password":"p\\"w"},"x":{"token":""}}';
  assert.equal(
    redactSecrets(text),
    '{"websocket":{"url":"ws://a/","token":"[redacted]"},"mqtt":{"Password":"[redacted]"},"x":{"token":""}}',
  );
});
