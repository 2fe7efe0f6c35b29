/**
 * Phase 4 — boot storm: after a power cut, 10,000 distinct devices check within ~10 s, against an
 * upstream that serves at most 200 requests at once (each taking `serviceMs`; the rest queue). A fresh
 * proxy takes them. Every reply is checked against the device contract, every firmware offer against
 * the catalog's rollout rule, and the rollout share is counted.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLLOUT } from './catalog-plan.js';
import type { BenchContext } from './context.js';
import { proxyConfigYaml } from './fixtures.js';
import type { RateResult } from './load-rate.js';
import { freePort, runLoad, startBuiltProxy, startUpstream, upstreamStats } from './processes.js';
import { cpuSeconds, memory, sampleRss } from './proc-stats.js';
import type { BootStorm } from './results.js';
import { PROXY_EXPECTATIONS } from './sanity.js';

export interface BootStormOptions {
  readonly devices: number;
  readonly rate: number;
  readonly maxConcurrent: number;
  readonly serviceMs: number;
}

/** Runs the storm against its own gated upstream and fresh proxy, both stopped afterwards. */
export async function measureBootStorm(
  ctx: BenchContext,
  { devices, rate, maxConcurrent, serviceMs }: BootStormOptions,
): Promise<BootStorm> {
  ctx.progress(
    `4. boot storm: starting a gated upstream (${maxConcurrent} at once, ${serviceMs} ms each) and a fresh proxy`,
  );
  const upstream = await startUpstream(ctx.root, ctx.work, 'upstream-gated', { maxConcurrent, serviceMs });
  const port = await freePort();
  const configPath = join(ctx.work, 'proxy-storm.yaml');
  writeFileSync(
    configPath,
    proxyConfigYaml({ port, upstreamPort: upstream.port, firmwareDir: ctx.firmwareDir }),
  );
  const proxy = await startBuiltProxy(ctx.root, ctx.work, 'proxy-storm', {
    cli: ctx.build.cli,
    configPath,
    port,
  });
  try {
    const pid = proxy.child.pid;
    const idle = memory(pid).rssMiB;
    const cpuBefore = cpuSeconds(pid);
    const sampler = sampleRss(pid);
    ctx.progress(`4. boot storm: ${devices} devices at ${rate}/s`);
    const result = await runLoad<RateResult>(
      ctx.load,
      {
        kind: 'rate',
        port,
        rate,
        count: devices,
        firstIndex: ctx.nextDevices(),
        timeoutMs: 30_000,
        expectations: PROXY_EXPECTATIONS,
        verifyOffers: true,
      },
      (devices / rate) * 1000 + 90_000,
    );
    const cpu = cpuSeconds(pid) - cpuBefore;
    const peak = sampler.stop().maxSampledMiB;
    const stats = await upstreamStats(upstream);
    const offered = result.offers[ROLLOUT.version] ?? 0;
    return {
      devices,
      rate,
      upstream: {
        maxConcurrent,
        serviceMs,
        maxActive: stats.maxActive,
        maxQueued: stats.maxQueued,
        served: stats.served,
      },
      ok: result.ok,
      failures: result.failures,
      nonContractReplies: result.nonContractReplies,
      violations: result.violations,
      latencyMs: result.latencyMs,
      durationMs: result.durationMs,
      maxInFlight: result.maxInFlight,
      offers: result.offers,
      rolloutVersion: ROLLOUT.version,
      rolloutPercent: ROLLOUT.percent,
      rolloutShareObserved: result.ok > 0 ? (offered / result.ok) * 100 : null,
      offerMismatches: result.offerMismatches,
      proxyCpuSecondsPer10k: result.ok > 0 ? (cpu / result.ok) * 10_000 : null,
      proxyRssMiB: { idle, peak, after: memory(pid).rssMiB },
    };
  } finally {
    await proxy.child.stop();
    await upstream.child.stop();
  }
}
