/**
 * The store cut under a running proxy (docs/fleet.md "Write-behind"): PostgreSQL behind a TCP relay the
 * test closes and then black-holes (the shared server is never stopped). Devices keep getting their
 * replies as fast as before, `/readyz` stays 200 with `checks.store: degraded`, the observations made
 * meanwhile are written when the store returns, and a black-holed connection is found out by a timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleetProxy } from '../helpers/fleet-proxy.js';
import { waitFor } from '../helpers/fleet-service.js';
import { behindRelay, postgresForTest } from '../helpers/fleet-stores.js';
import { rawRequest } from '../helpers/raw-client.js';
import { V2Device } from '../helpers/v2-device.js';

const MAIN = { board: 'bread-compact-wifi', version: '1.7.0' };

/**
 * Replies "as fast as before" on a shared, loaded machine: the median within twice the store-up median
 * (plus 10 ms), and no check anywhere near the store's own timeouts (3 s connect, 5 s query), which is
 * what a check waiting on the store would take.
 */
function assertAsFast(label: string, ms: readonly number[], baseline: readonly number[]): void {
  const median = percentile(ms, 50);
  const base = percentile(baseline, 50);
  assert.ok(median <= 2 * base + 10, `${label}: median ${median.toFixed(1)} ms vs ${base.toFixed(1)} ms`);
  const slowest = Math.max(...ms);
  assert.ok(slowest < 1000, `${label}: a check took ${slowest.toFixed(0)} ms`);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

test('a store cut mid-run: replies as fast as before, degraded meanwhile, written when it returns', async (t) => {
  const pg = await postgresForTest(t);
  if (pg === null) return;
  const { relay, url } = await behindRelay(pg.db);
  const p = await startFleetProxy({ store: url, images: [MAIN] });
  pg.cleanups.push(
    () => relay.close(),
    async () => {
      relay.set('pass');
      await p.close();
    },
  );
  const readyz = async (): Promise<{ status: number; store: string }> => {
    const res = await rawRequest(
      p.port,
      `GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    );
    return {
      status: res.status,
      store: (JSON.parse(res.body.toString()) as { checks: { store: string } }).checks.store,
    };
  };
  let n = 0;
  /** Checks of `count` devices (new ones each time), their latencies in ms. */
  const checks = async (count: number): Promise<{ macs: string[]; ms: number[] }> => {
    const macs: string[] = [];
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      const d = new V2Device({
        mac: `02:00:00:01:${(++n >> 8).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`,
        version: '1.6.0',
        port: p.port,
      });
      const t0 = performance.now();
      const { status, reply } = await d.check();
      ms.push(performance.now() - t0);
      assert.equal(status, 200);
      assert.ok(reply?.firmware?.url, 'offered as usual: decided from memory');
      macs.push(d.mac);
    }
    return { macs, ms };
  };

  /** Waits until each of `macs` is in the store with its one check. */
  const written = (what: string, macs: readonly string[], ms: number): Promise<void> =>
    waitFor(
      `${what} to be written`,
      async () => {
        const found = await Promise.all(macs.map((m) => p.show(m)));
        return found.every((x) => x !== null && x.device.checks === 1);
      },
      ms,
    );

  await checks(20); // warm up
  const baseline = await checks(40);
  assert.deepEqual(await readyz(), { status: 200, store: 'ok' });

  // Closed: every connection dropped and new ones refused.
  relay.set('refuse');
  const closed = await checks(40);
  await waitFor('degraded', async () => (await readyz()).store === 'degraded', 5000);
  assert.equal((await readyz()).status, 200, 'still ready: devices must keep coming');
  assert.ok(p.fleet.pending().waiting > 0, 'observations wait');
  const summary = (ms: readonly number[]): string =>
    `median ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`;
  t.diagnostic(`checks with the store: ${summary(baseline.ms)}; while closed: ${summary(closed.ms)}`);
  assertAsFast('while closed', closed.ms, baseline.ms);

  relay.set('pass');
  await waitFor('ok again', async () => (await readyz()).store === 'ok', 15_000);
  await written('the checks made while closed', closed.macs, 10_000);

  // Black-holed: connections stay open and nothing comes back; a timeout finds it out, not a hang.
  relay.set('blackhole');
  const holed = performance.now();
  const during = await checks(40);
  await waitFor('degraded by a timeout', async () => (await readyz()).store === 'degraded', 15_000);
  const detected = performance.now() - holed;
  t.diagnostic(`black hole found out after ${Math.round(detected)} ms`);
  assert.ok(detected < 12_000, `found out after ${Math.round(detected)} ms`);
  t.diagnostic(`checks while black-holed: ${summary(during.ms)}`);
  assertAsFast('while black-holed', during.ms, baseline.ms);

  relay.set('pass');
  await waitFor('ok after the black hole', async () => (await readyz()).store === 'ok', 20_000);
  await written('the checks made while black-holed', during.macs, 15_000);
  const metrics = (
    await rawRequest(p.port, `GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
  ).body.toString();
  const failures = Number(/xiaozhi_ota_proxy_fleet_store_flush_failures_total (\d+)/.exec(metrics)?.[1]);
  assert.ok(failures >= 1, `flush failures counted: ${failures}`);
});

test('a store unreachable since start: devices are answered without an offer, ready and degraded, offers once it is reached', async (t) => {
  const pg = await postgresForTest(t);
  if (pg === null) return;
  const { relay, url } = await behindRelay(pg.db);
  relay.set('refuse');
  const p = await startFleetProxy({ store: url, images: [MAIN] });
  pg.cleanups.push(
    () => relay.close(),
    async () => {
      relay.set('pass');
      await p.close();
    },
  );
  const d = new V2Device({ mac: '02:00:00:02:00:01', version: '1.6.0', port: p.port });
  const before = await d.check();
  assert.equal(before.status, 200, 'answered');
  assert.equal(before.reply?.firmware?.url ?? '', '', 'no catalog offer before blocks and halts are loaded');
  assert.match(
    String((p.h.exchanges().at(-1)?.firmware as { reason: string }).reason),
    /^fleet-not-synced: /,
  );
  const ready = await rawRequest(
    p.port,
    'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
  );
  assert.equal(ready.status, 200);
  assert.equal((JSON.parse(ready.body.toString()) as { checks: { store: string } }).checks.store, 'degraded');
  relay.set('pass');
  await waitFor(
    'an offer once the store is reached',
    async () => Boolean((await d.check()).reply?.firmware?.url),
    15_000,
  );
});
