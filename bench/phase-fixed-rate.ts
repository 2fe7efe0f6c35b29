/**
 * Phase 2 — latency at a fixed rate: 1,000 device checks per second, open loop, each on its own
 * connection with `Connection: close` as devices do, directly against the upstream and through the
 * proxy, interleaved. The proxy's cost is the difference of the two at the same percentile.
 */
import type { BenchContext } from './context.js';
import type { RateResult } from './load-rate.js';
import { runLoad } from './processes.js';
import { cpuSeconds, sampleRss } from './proc-stats.js';
import type { FixedRate, RateRun } from './results.js';
import { PROXY_EXPECTATIONS } from './sanity.js';
import { difference, median } from './stats.js';

export interface FixedRateOptions {
  readonly rate: number;
  readonly seconds: number;
  readonly warmupSec: number;
  readonly rounds: number;
}

/** Interleaved fixed-rate rounds, directly and through the proxy; the proxy's CPU and RSS are measured. */
export async function measureFixedRate(
  ctx: BenchContext,
  { rate, seconds, warmupSec, rounds }: FixedRateOptions,
): Promise<FixedRate> {
  const runs: { upstream: RateRun[]; proxy: RateRun[] } = { upstream: [], proxy: [] };
  let proxyCpu = 0;
  let proxyChecks = 0;
  let peakRss: number | null = null;

  for (let round = 1; round <= rounds; round++) {
    const order: ('upstream' | 'proxy')[] = round % 2 === 1 ? ['upstream', 'proxy'] : ['proxy', 'upstream'];
    for (const target of order) {
      ctx.progress(`2. fixed rate ${rate}/s — round ${round}/${rounds}: ${target}`);
      const port = target === 'proxy' ? ctx.proxy.port : ctx.upstream.port;
      const job = (count: number): Promise<RateResult> =>
        runLoad<RateResult>(
          ctx.load,
          {
            kind: 'rate',
            port,
            rate,
            count,
            firstIndex: ctx.nextDevices(),
            timeoutMs: 30_000,
            expectations: target === 'proxy' ? PROXY_EXPECTATIONS : null,
            verifyOffers: target === 'proxy',
          },
          (count / rate) * 1000 + 60_000,
        );
      if (warmupSec > 0) await job(Math.round(rate * warmupSec));
      const pid = ctx.proxy.child.pid;
      const cpuBefore = target === 'proxy' ? cpuSeconds(pid) : 0;
      const sampler = target === 'proxy' ? sampleRss(pid) : null;
      const result = await job(Math.round(rate * seconds));
      if (target === 'proxy') {
        proxyCpu += cpuSeconds(pid) - cpuBefore;
        proxyChecks += result.ok;
        const rss = sampler?.stop().maxSampledMiB ?? null;
        if (rss !== null) peakRss = Math.max(peakRss ?? 0, rss);
      }
      runs[target].push({
        round,
        latencyMs: result.latencyMs,
        serviceMs: result.serviceMs,
        achievedRate: result.achievedRate,
        ok: result.ok,
        failures: result.failures,
        nonContractReplies: result.nonContractReplies + result.offerMismatches,
        maxSendLagMs: result.sendLagMs.max,
      });
    }
  }

  const added = (pick: 'p50' | 'p99'): number | null =>
    median(
      runs.proxy.map((p) =>
        difference(
          p.latencyMs[pick],
          runs.upstream.find((u) => u.round === p.round)?.latencyMs[pick] ?? null,
        ),
      ),
    );
  return {
    rate,
    seconds,
    rounds,
    runs,
    median: {
      upstream: {
        p50: median(runs.upstream.map((r) => r.latencyMs.p50)),
        p99: median(runs.upstream.map((r) => r.latencyMs.p99)),
      },
      proxy: {
        p50: median(runs.proxy.map((r) => r.latencyMs.p50)),
        p99: median(runs.proxy.map((r) => r.latencyMs.p99)),
      },
    },
    addedP50Ms: added('p50'),
    addedP99Ms: added('p99'),
    proxyCpuSecondsPer10k: proxyChecks > 0 ? (proxyCpu / proxyChecks) * 10_000 : null,
    proxyPeakRssMiB: peakRss,
  };
}
