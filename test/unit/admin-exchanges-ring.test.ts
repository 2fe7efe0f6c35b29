/** The /admin/exchanges ring: bounded by admin.exchanges, newest first, resized on reload, secrets redacted when recorded. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeLog, MAX_VIEW_BODY_CHARS, viewOf } from '../../src/admin/exchanges.js';
import type { ExchangeRecord } from '../../src/gateway/exchange-record.js';

function record(n: number, overrides: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    kind: 'check',
    at: 1795300269823 + n,
    method: 'POST',
    path: '/xiaozhi/ota/',
    address: '192.168.1.23',
    device: {
      id: `aa:bb:cc:dd:ee:${String(n % 100).padStart(2, '0')}`,
      board: 'bread-compact-wifi',
      version: '1.6.0',
    },
    upstream: { status: 200, ms: 3, failure: null },
    outcome: 'rewritten',
    status: 200,
    rules: ['websocket'],
    notes: [],
    repairs: [],
    firmware: null,
    upstreamBody: `{"n":${n}}`,
    replyBody: `{"n":${n}}`,
    ...overrides,
  };
}

const ids = (log: ExchangeLog): number[] =>
  log.list().map((v) => JSON.parse(v.replyBody ?? '{}').n as number);

describe('the exchange ring buffer', () => {
  test('never holds more than its capacity and lists newest first', () => {
    const log = new ExchangeLog(3);
    for (let n = 1; n <= 7; n++) log.push(record(n));
    assert.equal(log.size, 3);
    assert.deepEqual(ids(log), [7, 6, 5]);
  });

  test('below capacity it lists what it has', () => {
    const log = new ExchangeLog(5);
    log.push(record(1));
    log.push(record(2));
    assert.deepEqual(ids(log), [2, 1]);
  });

  test('capacity 0 keeps nothing', () => {
    const log = new ExchangeLog(0);
    log.push(record(1));
    assert.equal(log.size, 0);
    assert.deepEqual(log.list(), []);
  });

  test('shrinking keeps the newest entries; growing keeps all and makes room', () => {
    const log = new ExchangeLog(5);
    for (let n = 1; n <= 5; n++) log.push(record(n));
    log.resize(2);
    assert.equal(log.capacity, 2);
    assert.deepEqual(ids(log), [5, 4]);
    log.resize(4);
    assert.deepEqual(ids(log), [5, 4]);
    for (let n = 6; n <= 9; n++) log.push(record(n));
    assert.deepEqual(ids(log), [9, 8, 7, 6]);
    log.resize(0);
    assert.deepEqual(log.list(), []);
  });

  test('tokens and MQTT passwords are redacted when recorded, empty tokens stay visible', () => {
    const body =
      '{"websocket":{"url":"ws://a/","token":"RkFJLM2x5xtf.1786"},"mqtt":{"password":"cqz6nGvi/T6a="},"x":{"token":""}}';
    const view = viewOf(record(1, { upstreamBody: body, replyBody: body }));
    for (const text of [view.upstreamBody, view.replyBody]) {
      assert.ok(text);
      assert.equal(text.includes('RkFJLM2x5xtf'), false);
      assert.equal(text.includes('cqz6nGvi'), false);
      assert.match(text, /"token":"\[redacted\]"/);
      assert.match(text, /"token":""/);
    }
  });

  test('long bodies are cut after redaction and marked', () => {
    const big = `{"token":"secret-value","pad":"${'x'.repeat(MAX_VIEW_BODY_CHARS * 2)}"}`;
    const view = viewOf(record(1, { upstreamBody: big, replyBody: null }));
    assert.equal(view.upstreamBody?.length, MAX_VIEW_BODY_CHARS);
    assert.deepEqual(view.truncated, ['upstreamBody']);
    assert.equal(view.upstreamBody?.includes('secret-value'), false);
    assert.equal(view.replyBody, null);
  });

  test('the low-level cause becomes one line, never a stack', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const view = viewOf(record(1, { cause, outcome: 'failed', status: 502 }));
    assert.equal(view.error, 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(new Date(view.at).getTime(), 1795300269824);
  });
});
