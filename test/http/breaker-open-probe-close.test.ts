/**
 * The passive breaker (docs/configuration.md "Which reply a device gets"): `breaker.failures` consecutive failures open
 * it; while open, OTA checks and GETs are answered from the fallback at once without asking the upstream;
 * after `cooldown_ms` exactly one check goes upstream as a probe while the rest keep getting the fallback,
 * and the probe's success closes it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { contractViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck, eventually } from '../helpers/device-requests.js';
import type { Reply } from '../helpers/fake-upstream.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

describe('the breaker opens, answers at once, probes and closes', () => {
  let h: Harness;
  let clock = 1795300269823;
  let mode: 'fail' | 'hang' | 'slow-ok' = 'fail';
  before(async () => {
    h = await startHarness({
      now: () => clock,
      responder: async (): Promise<Reply> => {
        if (mode === 'fail') return { kind: 'text', status: 500, body: 'down' };
        if (mode === 'hang') return { kind: 'hang' };
        await sleep(200);
        return { kind: 'capture', name: 'python-default-post' };
      },
      fullYaml: [
        'listen: 127.0.0.1:0',
        'upstream:',
        '  url: {{upstream}}',
        '  timeout_ms: 4000',
        'websocket:',
        '  url: ws://{host}:8000/xiaozhi/v1/',
        'breaker:',
        '  failures: 3',
        '  cooldown_ms: 10000',
        '',
      ].join('\n'),
    });
  });
  after(() => h.close());

  const postsUpstream = (): number => h.upstream.received.filter((r) => r.method === 'POST').length;

  test('three consecutive failures open it', async () => {
    mode = 'fail';
    for (let i = 0; i < 3; i++) {
      const res = await rawRequest(h.port, deviceCheck());
      assert.deepEqual(contractViolations(res, CAPTURED_DEVICE, { fallback: true }), []);
    }
    assert.equal(postsUpstream(), 3);
    assert.equal(h.proxy.app.runtime.breaker.state, 'open');
  });

  test('while open, checks get the fallback at once and the upstream is not asked', async () => {
    // A hanging upstream would make any check that went upstream take the whole 4 s timeout.
    mode = 'hang';
    const before = h.exchanges().length;
    const started = performance.now();
    const replies = await Promise.all(Array.from({ length: 20 }, () => rawRequest(h.port, deviceCheck())));
    assert.ok(
      performance.now() - started < 2500,
      `answered in ${Math.round(performance.now() - started)} ms`,
    );
    for (const res of replies)
      assert.deepEqual(contractViolations(res, CAPTURED_DEVICE, { fallback: true }), []);
    assert.equal(postsUpstream(), 3);
    const lines = await eventually(
      () => (h.exchanges().length - before >= 20 ? h.exchanges().slice(before) : null),
      { what: '20 log lines' },
    );
    for (const line of lines) {
      assert.equal(line.outcome, 'fallback');
      assert.deepEqual(line.notes, ['upstream breaker-open']);
    }
  });

  test('while open, a GET on the OTA path answers at once with a sentence holding "OTA"', async () => {
    const gets = h.upstream.received.filter((r) => r.method === 'GET').length;
    const res = await rawRequest(
      h.port,
      'GET /xiaozhi/ota/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    );
    assert.equal(res.status, 200);
    assert.equal(
      res.body.toString('utf8'),
      'OTA proxy is running; the upstream OTA server is not answering (the circuit breaker is open).',
    );
    assert.equal(h.upstream.received.filter((r) => r.method === 'GET').length, gets);
  });

  test('after the cool-down exactly one check probes; its success closes the breaker', async () => {
    clock += 10_000;
    mode = 'slow-ok';
    const before = h.exchanges().length;
    const replies = await Promise.all(Array.from({ length: 6 }, () => rawRequest(h.port, deviceCheck())));
    for (const res of replies) assert.deepEqual(contractViolations(res, CAPTURED_DEVICE), []);
    assert.equal(postsUpstream(), 4, 'one probe');
    const outcomes = (
      await eventually(() => (h.exchanges().length - before >= 6 ? h.exchanges().slice(before) : null))
    )
      .map((l) => l.outcome)
      .sort();
    assert.deepEqual(outcomes, ['fallback', 'fallback', 'fallback', 'fallback', 'fallback', 'rewritten']);
    assert.equal(h.proxy.app.runtime.breaker.state, 'closed');

    const res = await rawRequest(h.port, deviceCheck());
    assert.deepEqual(contractViolations(res, CAPTURED_DEVICE), []);
    assert.equal(postsUpstream(), 5, 'closed: checks go upstream again');
    assert.equal(h.exchanges().at(-1)?.outcome, 'rewritten');
  });
});
