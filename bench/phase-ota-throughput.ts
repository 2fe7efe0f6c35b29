/**
 * Phase 1 — OTA check overhead: the most each target answers with 50 keep-alive connections of
 * distinct devices, (a) the upstream directly, (b) the proxy with the full rule set, (c) nginx with
 * proxy_pass + sub_filter. Runs are interleaved round by round (the order rotates), and each round's
 * ratio is taken between runs made seconds apart, so that a noisy neighbour shifts both sides.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild } from './child-processes.js';
import type { BenchContext } from './context.js';
import { deviceRequestTemplate } from './device-request.js';
import type { ClosedResult } from './load-closed.js';
import { runLoad } from './processes.js';
import { cpuSeconds } from './proc-stats.js';
import type { ClosedRun, OtaTarget, OtaThroughput } from './results.js';
import { median, ratio } from './stats.js';
import { WRK_RESULT_MARK, wrkScript } from './wrk-script.js';

export interface OtaThroughputOptions {
  readonly rounds: number;
  readonly warmupSec: number;
  readonly seconds: number;
  readonly connections: number;
}

type Measured = Omit<ClosedRun, 'round'>;

/** Rounds of closed-loop runs against every target, the order rotating; medians and per-round ratios. */
export async function measureOtaThroughput(
  ctx: BenchContext,
  { rounds, warmupSec, seconds, connections }: OtaThroughputOptions,
  nginxFraming: OtaThroughput['nginxFraming'],
): Promise<OtaThroughput> {
  const targets: OtaTarget[] = ctx.nginx
    ? ['upstream', 'proxy', 'nginx', 'bare']
    : ['upstream', 'proxy', 'bare'];
  const portOf = (t: OtaTarget): number => {
    switch (t) {
      case 'upstream':
        return ctx.upstream.port;
      case 'proxy':
        return ctx.proxy.port;
      case 'nginx':
        return ctx.nginx?.port ?? 0;
      case 'bare':
        return ctx.bareRelay.port;
      default: {
        const never: never = t;
        throw new Error(`unknown target ${String(never)}`);
      }
    }
  };
  const runs: Record<OtaTarget, ClosedRun[]> = { upstream: [], proxy: [], nginx: [], bare: [] };
  let proxyCpu = 0;
  let proxyChecks = 0;

  for (let round = 1; round <= rounds; round++) {
    // Rotate the order so that no target always runs first (or right after the same neighbour).
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length] as OtaTarget);
    for (const target of order) {
      ctx.progress(`1. OTA check throughput — round ${round}/${rounds}: ${target}`);
      if (warmupSec > 0) await closedRun(ctx, portOf(target), warmupSec, connections);
      const before = target === 'proxy' ? cpuSeconds(ctx.proxy.child.pid) : 0;
      const measured = await closedRun(ctx, portOf(target), seconds, connections);
      if (target === 'proxy') {
        proxyCpu += cpuSeconds(ctx.proxy.child.pid) - before;
        proxyChecks += measured.ok;
      }
      runs[target].push({ round, ...measured });
    }
  }

  const med = (t: OtaTarget): OtaThroughput['median'][OtaTarget] => ({
    requestsPerSecond: median(runs[t].map((r) => r.requestsPerSecond)),
    p50Ms: median(runs[t].map((r) => r.p50Ms)),
    p99Ms: median(runs[t].map((r) => r.p99Ms)),
  });
  const perRound = (a: OtaTarget, b: OtaTarget): number | null =>
    median(
      runs[a].map((run) =>
        ratio(run.requestsPerSecond, runs[b].find((r) => r.round === run.round)?.requestsPerSecond ?? null),
      ),
    );
  return {
    connections,
    rounds,
    secondsPerRun: seconds,
    runs,
    median: { upstream: med('upstream'), proxy: med('proxy'), nginx: med('nginx'), bare: med('bare') },
    proxyToUpstream: perRound('proxy', 'upstream'),
    nginxToUpstream: ctx.nginx ? perRound('nginx', 'upstream') : null,
    proxyToNginx: ctx.nginx ? perRound('proxy', 'nginx') : null,
    bareToUpstream: perRound('bare', 'upstream'),
    nginxFraming,
    proxyCpuSecondsPer10k: proxyChecks > 0 ? (proxyCpu / proxyChecks) * 10_000 : null,
  };
}

/** One closed-loop run with wrk when installed, else autocannon (both in their own process). */
async function closedRun(
  ctx: BenchContext,
  port: number,
  seconds: number,
  connections: number,
): Promise<Measured> {
  const firstIndex = ctx.nextDevices();
  if (ctx.wrk === null) {
    const result = await runLoad<ClosedResult>(
      ctx.load,
      { kind: 'closed', port, connections, durationSec: seconds, firstIndex },
      (seconds + 30) * 1000,
    );
    return {
      requestsPerSecond: result.requestsPerSecond,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      ok: result.ok,
      errors: result.errors + result.timeouts + result.non2xx,
    };
  }
  const script = join(ctx.work, `wrk-${firstIndex}.lua`);
  writeFileSync(
    script,
    wrkScript(deviceRequestTemplate({ host: `127.0.0.1:${port}`, keepAlive: true }), firstIndex),
  );
  const found: { line: string | null } = { line: null };
  // One wrk thread: on two shared cores a second one only takes CPU from what is measured.
  const child = startChild({
    name: 'wrk',
    command: ctx.wrk,
    args: [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      `http://127.0.0.1:${port}/xiaozhi/ota/`,
    ],
    cwd: ctx.work,
    logFile: join(ctx.work, 'wrk.log'),
    onLine: (l) => {
      if (l.startsWith(WRK_RESULT_MARK)) found.line = l.slice(WRK_RESULT_MARK.length);
    },
  });
  const code = await child.exited;
  await child.stop();
  if (found.line === null) throw new Error(`wrk ended (${code}) without a result:\n${child.tail()}`);
  const r = JSON.parse(found.line) as {
    requests: number;
    duration_us: number;
    connect_errors: number;
    read_errors: number;
    write_errors: number;
    status_errors: number;
    timeouts: number;
    p50_us: number;
    p99_us: number;
  };
  const ok = r.requests - r.status_errors;
  return {
    requestsPerSecond: ok / (r.duration_us / 1e6),
    p50Ms: r.p50_us / 1000,
    p99Ms: r.p99_us / 1000,
    ok,
    errors: r.connect_errors + r.read_errors + r.write_errors + r.status_errors + r.timeouts,
  };
}
