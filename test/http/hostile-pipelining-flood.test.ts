/**
 * A pipelining flood (thousands of `POST /xiaozhi/ota/` written at once on keep-alive connections, by five
 * attackers that reconnect when cut off) cannot take the proxy's memory or other devices' checks with it:
 * one connection has at most one request being answered and a few queued (devices never pipeline), the
 * rest get one framed 503 with `Connection: close`. Bystander devices are answered within 100 ms, peak RSS
 * stays under baseline + 100 MB, and no queued request starts its upstream clock late (the logged upstream
 * time stays within `upstream.timeout_ms`).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PipeliningResult } from '../../bench/hostile-attack.js';
import { startAttacker } from '../helpers/attacker-process.js';
import { readCapture } from '../helpers/captures.js';
import { contractViolations, errorFramingViolations } from '../helpers/device-contract.js';
import { CAPTURED_DEVICE, deviceCheck } from '../helpers/device-requests.js';
import { startHarness } from '../helpers/proxy-harness.js';
import { takeTimingTurn } from '../helpers/timing-turn.js';
import { parseRawResponse, rawRequest, type RawResponse } from '../helpers/raw-client.js';

// The proxy runs without source maps (node dist/cli.js); tsx turns them on, and then every request Node
// aborts when a flooded connection closes costs a source-mapped stack trace — the test's cost, not the proxy's.
process.setSourceMapsEnabled(false);

const TIMEOUT_MS = 2000;
const ATTACKERS = 5;
const PIPELINED = 3000;
const FLOOD_MS = 3000;
const MB = 1024 * 1024;
/** Requests that may wait behind the one being answered on a connection (the listener's default). */
const MAX_WAITING = 8;

/** Splits a byte stream of complete responses (each with Content-Length) into responses. */
function splitResponses(raw: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = raw.subarray(at, end).toString('latin1');
    const length = Number(/\r\nContent-Length: (\d+)/i.exec(head)?.[1] ?? 0);
    const next = end + 4 + length;
    if (next > raw.length) break;
    out.push(parseRawResponse(raw.subarray(at, next)));
    at = next;
  }
  return out;
}

describe('pipelining flood', () => {
  test('five connections pipelining thousands of checks: bounded memory, bystanders within 100 ms, upstream time within the timeout', async (t) => {
    t.after(await takeTimingTurn());
    // Read once: the fake upstream's capture reply re-reads its file per request, which would be the test's cost.
    const captured = readCapture('python-default-post', 'response').raw;
    const h = await startHarness({
      responder: () => ({ kind: 'raw', bytes: captured }),
      fullYaml: `listen: 127.0.0.1:0\nupstream:\n  url: {{upstream}}\n  timeout_ms: ${TIMEOUT_MS}\nlog:\n  level: info\n`,
    });
    t.after(() => h.close());
    const attacker = await startAttacker();
    t.after(() => attacker.close());
    // Warm up (JIT, upstream keep-alive), then take the baseline.
    for (let i = 0; i < 20; i++) await rawRequest(h.port, deviceCheck());
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);

    let flooding = false;
    const attack = attacker.run<PipeliningResult>(
      {
        kind: 'pipelining',
        port: h.port,
        request: deviceCheck({ drop: ['Connection'] }).toString('base64'),
        pipelined: PIPELINED,
        connections: ATTACKERS,
        durationMs: FLOOD_MS,
        keepBytes: 64 * 1024,
      },
      () => (flooding = true),
    );
    while (!flooding) await sleep(5);

    // Bystander devices, one after another while the flood lasts.
    const latencies: number[] = [];
    const until = performance.now() + FLOOD_MS - 300;
    while (performance.now() < until) {
      const started = performance.now();
      const reply = await rawRequest(h.port, deviceCheck(), { timeoutMs: 15_000 });
      latencies.push(performance.now() - started);
      assert.deepEqual(contractViolations(reply, CAPTURED_DEVICE), []);
      await sleep(20);
    }
    const { rounds } = await attack;
    clearInterval(sampler);

    const grew = (peak - baseline) / MB;
    assert.ok(grew < 100, `peak RSS ${Math.round(grew)} MB over the baseline`);

    // Every connection the proxy closed: the checks before the limit answered in order, then one framed
    // 503 with Connection: close — never thousands of replies, never a reset without a reply.
    const closed = rounds.filter((round) => round.closedByProxy);
    assert.ok(closed.length >= ATTACKERS, `${closed.length} flooded connections closed by the proxy`);
    for (const round of closed) {
      const replies = splitResponses(Buffer.from(round.replies, 'base64'));
      const last = replies.at(-1);
      assert.ok(last !== undefined, 'a connection closed without any reply');
      assert.equal(last.status, 503);
      assert.deepEqual(errorFramingViolations(last), []);
      assert.equal(last.headers.find(([k]) => k === 'Connection')?.[1], 'close');
      assert.equal(round.bytes, last.raw.length + replies.slice(0, -1).reduce((n, r) => n + r.raw.length, 0));
      for (const reply of replies.slice(0, -1))
        assert.deepEqual(contractViolations(reply, CAPTURED_DEVICE), []);
      // One answered, MAX_WAITING waiting: no more, whatever the read sizes (the socket is not read
      // while a request is being answered). Fewer only when the first read held fewer requests.
      assert.ok(replies.length - 1 <= 1 + MAX_WAITING, `${replies.length - 1} checks answered`);
    }

    // No queued request started its upstream clock late.
    const times = h
      .exchanges()
      .map((line) => (line.upstream as { ms?: number } | null)?.ms)
      .filter((ms): ms is number => typeof ms === 'number');
    assert.ok(times.length > 0);
    assert.ok(Math.max(...times) <= TIMEOUT_MS, `slowest upstream exchange ${Math.max(...times)} ms`);

    // Last, so that every other finding is reported first.
    const slowest = Math.max(...latencies);
    const sorted = latencies.map(Math.round);
    assert.ok(slowest < 100, `bystander checks took ${sorted.join(', ')} ms`);
  });
});
