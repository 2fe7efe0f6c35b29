/** The reply table (docs/configuration.md "Which reply a device gets") as one pure decision, row by row. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decideReply, type Verdict } from '../../src/gateway/reply-table.js';
import type { JsonObject } from '../../src/rewrite/types.js';
import { testConfig, testContext, websocketItem } from '../helpers/config-fixture.js';

const sections = (body: JsonObject): Verdict => ({ kind: 'sections', body, text: JSON.stringify(body) });
const nothingRemembered = { recall: () => null, lastUpstreamOffset: null };

describe('decideReply', () => {
  test('sections: rules and guard, 200, a breaker success, the sent body kept for the memory', () => {
    const d = decideReply(
      sections({ websocket: { url: 'ws://172.21.0.5:8000/xiaozhi/v1/', token: 't' } }),
      testContext(),
      nothingRemembered,
    );
    assert.equal(d.outcome, 'rewritten');
    assert.equal(d.status, 200);
    assert.equal(d.breaker, 'success');
    assert.deepEqual(d.sent, { websocket: { url: 'ws://172.21.0.5:8000/xiaozhi/v1/', token: 't' } });
    assert.equal(d.body, '{"websocket":{"url":"ws://172.21.0.5:8000/xiaozhi/v1/","token":"t"}}');
    assert.deepEqual([d.rules, d.notes, d.repairs, d.steps], [[], [], [], []]);
  });

  test('an error shape passes untouched with the size rule; activation-only goes through the guard', () => {
    const text = '{"success":false,"message":"request error."}';
    const d = decideReply(
      { kind: 'other-object', body: JSON.parse(text) as JsonObject, text },
      testContext(),
      nothingRemembered,
    );
    assert.deepEqual([d.outcome, d.status, d.body, d.breaker], ['passthrough', 200, text, 'success']);
    const activation = { activation: { code: 7, message: 'm' } };
    const guarded = decideReply(
      { kind: 'other-object', body: activation, text: JSON.stringify(activation) },
      testContext(),
      nothingRemembered,
    );
    // A non-string code is dropped; the rest passes.
    assert.deepEqual(
      [guarded.outcome, guarded.status, guarded.body, guarded.repairs],
      ['passthrough', 200, '{"activation":{"message":"m"}}', ['activation.code-dropped:not-string']],
    );
  });

  test('4xx passes with its status and counts as a success', () => {
    const d = decideReply(
      { kind: 'client-error', status: 404, contentType: 'text/plain', body: Buffer.from('404: Not Found') },
      testContext(),
      nothingRemembered,
    );
    assert.deepEqual(
      [d.outcome, d.status, d.contentType, d.breaker],
      ['passthrough', 404, 'text/plain', 'success'],
    );
  });

  test('a failure with a websocket item: the fallback, 200, a breaker failure with its kind', () => {
    const ctx = testContext({
      config: testConfig({ websocket: [websocketItem('ws://{host}:8000/xiaozhi/v1/')] }),
    });
    const d = decideReply({ kind: 'failure', failure: 'refused', cause: 'x' }, ctx, nothingRemembered);
    assert.deepEqual([d.outcome, d.status, d.failure, d.breaker], ['fallback', 200, 'refused', 'failure']);
    assert.deepEqual(d.steps, [{ kind: 'fallback-answered', from: 'item' }]);
  });

  test('no transport to name: 502, or 504 for a timeout; fallback off likewise', () => {
    const none = decideReply(
      { kind: 'failure', failure: 'reset', cause: 'x' },
      testContext(),
      nothingRemembered,
    );
    assert.deepEqual(
      [none.outcome, none.status, none.steps[0]?.kind],
      ['failed', 502, 'fallback-no-transport'],
    );
    const off = testContext({
      config: testConfig({
        fallback: { enabled: false, rememberDevices: 1 },
        websocket: [websocketItem('ws://a/')],
      }),
    });
    const timeout = decideReply({ kind: 'failure', failure: 'timeout', cause: 'x' }, off, nothingRemembered);
    assert.deepEqual(
      [timeout.outcome, timeout.status, timeout.steps[0]?.kind],
      ['failed', 504, 'fallback-off'],
    );
  });

  test('a reply over 4 KiB after the guard is a failure row, answered from the fallback; the memory is read only then', () => {
    let recalls = 0;
    const ctx = testContext({
      config: testConfig({ websocket: [websocketItem('ws://{host}:8000/xiaozhi/v1/')] }),
    });
    const big = sections({ websocket: { url: 'ws://a/', token: 't'.repeat(2500), x: 'y'.repeat(2500) } });
    const d = decideReply(big, ctx, { recall: () => (recalls++, null), lastUpstreamOffset: null });
    assert.equal(d.outcome, 'fallback');
    assert.equal(d.failure, 'reply-too-large');
    assert.equal(d.steps[0]?.kind, 'reply-too-large');
    assert.equal(recalls, 1);
    decideReply(sections({ server_time: { timestamp: 1795300269823, timezone_offset: 0 } }), ctx, {
      recall: () => (recalls++, null),
      lastUpstreamOffset: null,
    });
    assert.equal(recalls, 1, 'a good reply never touches the memory');
  });
});
