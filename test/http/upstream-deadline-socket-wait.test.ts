/**
 * `upstream.timeout_ms` is one deadline from the moment the exchange starts, the wait for a pooled socket
 * included: with the pool held by slow checks, a check that waits for a socket still gets its answer (the
 * fallback) at the deadline, and the logged upstream time does not exceed it by more than scheduling noise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { deviceCheck, eventually } from '../helpers/device-requests.js';
import { startHarness, type Harness } from '../helpers/proxy-harness.js';
import { rawRequest } from '../helpers/raw-client.js';

const TIMEOUT_MS = 600;
/** How long the upstream thinks about each check: under the deadline, but two in a row are not. */
const SLOW_MS = 400;
/** Timer and event-loop lateness on a busy machine. */
const NOISE_MS = 150;

describe('the deadline and the socket pool', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      upstreamSockets: 2,
      responder: async () => {
        await sleep(SLOW_MS);
        return { kind: 'capture', name: 'python-default-post' };
      },
      fullYaml: [
        'listen: 127.0.0.1:0',
        'upstream:',
        '  url: {{upstream}}',
        `  timeout_ms: ${TIMEOUT_MS}`,
        'websocket:',
        '  url: ws://{host}:8000/xiaozhi/v1/',
        'breaker:',
        '  failures: 1000',
        '',
      ].join('\n'),
    });
  });
  after(() => h.close());

  test('a check waiting for a socket times out at its deadline, not after it', async () => {
    // Two upstream connections for OTA exchanges (upstreamSockets below): two slow checks hold both.
    const started = performance.now();
    const pending = Promise.all(
      [0, 1, 2].map(async () => {
        const res = await rawRequest(h.port, deviceCheck());
        return { status: res.status, ms: performance.now() - started };
      }),
    );
    // Both connections carry a check; the third waits for one (what the agents count as busy).
    await eventually(() => h.proxy.app.runtime.agents.busy() === 2, {
      what: 'two busy upstream connections',
    });
    const replies = await pending;
    await eventually(() => h.proxy.app.runtime.agents.busy() === 0, { what: 'no busy upstream connection' });
    assert.deepEqual(
      replies.map((r) => r.status),
      [200, 200, 200],
    );
    const lines = await eventually(() => (h.exchanges().length === 3 ? h.exchanges() : null), {
      what: 'three log lines',
    });
    const upstream = lines.map((l) => l.upstream as { ms: number; failure: string | null });
    const late = upstream.filter((u) => u.failure === 'timeout');
    assert.equal(late.length, 1, JSON.stringify(upstream));
    assert.equal(lines.filter((l) => l.outcome === 'rewritten').length, 2);
    const ms = late[0]?.ms ?? 0;
    assert.ok(ms >= TIMEOUT_MS - 1, `timed out after ${ms} ms, before the deadline`);
    assert.ok(ms <= TIMEOUT_MS + NOISE_MS, `logged ${ms} ms for a ${TIMEOUT_MS} ms deadline`);
    // The device waiting for that socket got its fallback before the time a deadline that started only with
    // the socket would have ended (the socket freed after SLOW_MS, then TIMEOUT_MS more).
    const slowest = Math.max(...replies.map((r) => r.ms));
    assert.ok(slowest < SLOW_MS + TIMEOUT_MS, `the last device reply came after ${Math.round(slowest)} ms`);
  });
});
