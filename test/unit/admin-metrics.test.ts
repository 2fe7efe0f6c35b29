/** The metrics module alone: its own registry per instance, outcome labels, offer parsing, breaker-open counting. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkOutcome, createMetrics } from '../../src/admin/metrics.js';
import type { ExchangeRecord } from '../../src/gateway/exchange-record.js';

function check(overrides: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    kind: 'check',
    at: 0,
    method: 'POST',
    path: '/xiaozhi/ota/',
    address: '10.0.0.2',
    device: { id: 'aa:bb:cc:dd:ee:01', board: 'bread-compact-wifi', version: '1.6.0' },
    upstream: { status: 200, ms: 12, failure: null },
    outcome: 'rewritten',
    status: 200,
    rules: [],
    notes: [],
    repairs: [],
    firmware: null,
    upstreamBody: null,
    replyBody: null,
    ...overrides,
  };
}

describe('metrics', () => {
  test('two instances never share a counter (each has its own registry)', async () => {
    const a = createMetrics({ processMetrics: false });
    const b = createMetrics({ processMetrics: false });
    a.observeExchange(check());
    assert.match(await a.render(), /^xiaozhi_ota_proxy_ota_checks_total\{outcome="rewritten"\} 1$/m);
    assert.match(await b.render(), /^xiaozhi_ota_proxy_ota_checks_total\{outcome="rewritten"\} 0$/m);
  });

  test('a rewritten or passed-through reply the guard repaired counts as guard-repaired; the others keep their outcome', () => {
    assert.equal(checkOutcome({ outcome: 'rewritten', repairs: [] }), 'rewritten');
    assert.equal(
      checkOutcome({ outcome: 'rewritten', repairs: ['websocket.version-number'] }),
      'guard-repaired',
    );
    assert.equal(
      checkOutcome({ outcome: 'passthrough', repairs: ['size:unread-keys-dropped'] }),
      'guard-repaired',
    );
    assert.equal(checkOutcome({ outcome: 'fallback', repairs: ['websocket.version-number'] }), 'fallback');
    assert.equal(checkOutcome({ outcome: 'rejected', repairs: [] }), 'rejected');
    assert.equal(checkOutcome({ outcome: 'failed', repairs: [] }), 'failed');
  });

  test('an answer from the open breaker counts as a breaker-open error without a latency sample', async () => {
    const m = createMetrics({ processMetrics: false });
    m.observeExchange(
      check({ upstream: null, outcome: 'fallback', notes: ['upstream breaker-open'], rules: ['fallback'] }),
    );
    const text = await m.render();
    assert.match(text, /^xiaozhi_ota_proxy_upstream_errors_total\{failure="breaker-open"\} 1$/m);
    assert.doesNotMatch(text, /upstream_duration_seconds_count\{kind="check"\}/);
  });

  test('live sources are read at scrape time', async () => {
    const m = createMetrics({ processMetrics: false });
    let open = 2;
    m.setSources({
      breaker: () => 'open',
      voice: () => ({
        open,
        opened: 7,
        closed: 5,
        bytesToUpstream: 10,
        bytesToDevice: 20,
        upgradeFailures: 1,
      }),
    });
    let text = await m.render();
    assert.match(text, /^xiaozhi_ota_proxy_breaker_state\{state="open"\} 1$/m);
    assert.match(text, /^xiaozhi_ota_proxy_voice_sessions_open 2$/m);
    assert.match(text, /^xiaozhi_ota_proxy_voice_sessions_total 7$/m);
    assert.match(text, /^xiaozhi_ota_proxy_voice_sessions_closed_total 5$/m);
    assert.match(text, /^xiaozhi_ota_proxy_voice_bytes_to_upstream_total 10$/m);
    assert.match(text, /^xiaozhi_ota_proxy_voice_bytes_to_device_total 20$/m);
    assert.match(text, /^xiaozhi_ota_proxy_voice_upgrade_failures_total 1$/m);
    open = 0;
    text = await m.render();
    assert.match(text, /^xiaozhi_ota_proxy_voice_sessions_open 0$/m);
    assert.match(
      text,
      /^xiaozhi_ota_proxy_voice_sessions_total 7$/m,
      'a total stays what the source says, scrape after scrape',
    );
  });
});
