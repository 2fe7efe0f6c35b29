/**
 * Phase 1 — OTA check overhead: the most each target answers with 50 keep-alive connections of
 * distinct devices — (a) the upstream directly, (b) the proxy with the full rule set, (b′) the same build
 * in a second process (the control pair: what the noise alone makes of one build), (c) nginx with
 * proxy_pass + sub_filter, (d) the bare Node relay, and with `--baseline-cli` other builds. Runs are
 * interleaved round by round (the order rotates), and each round's ratios are taken between runs made
 * seconds apart, so that a noisy neighbour shifts both sides.
 *
 * Every run also measures the cost per check from each process: CPU time from /proc (utime + stime, every
 * thread; nginx's worker included), and — for the Node processes started with bench/probe.mjs — the bytes
 * allocated on the V8 heap and the time in garbage collection. After the rounds, one profiled run each of
 * the proxy and the bare relay charges their CPU to areas (bench/profile-areas.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild } from './child-processes.js';
import type { BenchContext } from './context.js';
import { deviceRequestTemplate } from './device-request.js';
import type { ClosedResult } from './load-closed.js';
import { heapByArea, profileByArea } from './profile-areas.js';
import { probeBegin, probeEnd } from './probe-client.js';
import { runLoad, type Running } from './processes.js';
import { treeCpuSeconds } from './proc-stats.js';
import type { ClosedRun, OtaMedian, OtaThroughput, ProfiledRun, RatioSpread } from './results.js';
import { median, ratio } from './stats.js';
import { WRK_RESULT_MARK, wrkScript } from './wrk-script.js';

export interface OtaThroughputOptions {
  readonly rounds: number;
  readonly warmupSec: number;
  readonly seconds: number;
  readonly connections: number;
}

type Measured = Omit<ClosedRun, 'round' | 'cpuUsPerCheck' | 'allocKiBPerCheck' | 'gcUsPerCheck'>;

/** The smallest value measured, `null` when none was. */
function least(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length > 0 ? Math.min(...known) : null;
}

/** One process measured in phase 1: a fixed target, or a baseline build (`--baseline-cli`). */
interface Measurable {
  readonly key: string;
  readonly running: Running;
  /** Started with bench/probe.mjs: its allocation and GC are measured. */
  readonly probed: boolean;
}

/** The targets present in this run, in their base order, the baseline builds last. */
function measurables(ctx: BenchContext): Measurable[] {
  const list: Measurable[] = [
    { key: 'upstream', running: ctx.upstream, probed: false },
    { key: 'proxy', running: ctx.proxy, probed: true },
    { key: 'control', running: ctx.control, probed: true },
  ];
  if (ctx.nginx) list.push({ key: 'nginx', running: ctx.nginx, probed: false });
  list.push({ key: 'bare', running: ctx.bareRelay, probed: true });
  ctx.baselines.forEach((b, i) => list.push({ key: baselineKey(i), running: b.running, probed: true }));
  return list;
}

const baselineKey = (i: number): string => `baseline-${i + 1}`;

/** Rounds of closed-loop runs against every target, the order rotating; medians and per-round ratios. */
export async function measureOtaThroughput(
  ctx: BenchContext,
  { rounds, warmupSec, seconds, connections }: OtaThroughputOptions,
  nginxFraming: OtaThroughput['nginxFraming'],
): Promise<OtaThroughput> {
  const targets = measurables(ctx);
  const runs = new Map<string, ClosedRun[]>(targets.map((t) => [t.key, []]));
  const runsOf = (key: string): ClosedRun[] => runs.get(key) ?? [];

  // Every process is warmed up once before the rounds (the JIT, the upstream pools, the heap's size): the
  // first round would otherwise measure compilation, and allocate for it.
  for (const { key, running } of targets) {
    ctx.progress(`1. OTA check throughput — warming up: ${key}`);
    await closedRun(ctx, running.port, Math.max(3, seconds), connections);
  }
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order so that no target always runs first (or right after the same neighbour).
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length] as Measurable);
    for (const { key, running, probed } of order) {
      ctx.progress(`1. OTA check throughput — round ${round}/${rounds}: ${key}`);
      if (warmupSec > 0) await closedRun(ctx, running.port, warmupSec, connections);
      if (probed) await probeBegin(running.child);
      const cpuBefore = treeCpuSeconds(running.child.pid);
      const measured = await closedRun(ctx, running.port, seconds, connections);
      const cpu = treeCpuSeconds(running.child.pid) - cpuBefore;
      const probe = probed ? await probeEnd(running.child) : null;
      const per = (value: number): number | null => (measured.ok > 0 ? value / measured.ok : null);
      runsOf(key).push({
        round,
        ...measured,
        cpuUsPerCheck: per(cpu * 1e6),
        allocKiBPerCheck: probe === null ? null : per(probe.allocatedBytes / 1024),
        gcUsPerCheck: probe === null ? null : per(probe.gcMs * 1000),
      });
    }
  }

  const profiles: ProfiledRun[] = [];
  for (const target of ['proxy', 'bare'] as const) {
    ctx.progress(`1. OTA check throughput — profiled run: ${target}`);
    const running = target === 'proxy' ? ctx.proxy : ctx.bareRelay;
    const file = join(ctx.work, `profile-${target}.cpuprofile`);
    const heapFile = join(ctx.work, `profile-${target}.heapprofile`);
    await probeBegin(running.child, { cpuProfile: file, heapProfile: heapFile });
    const cpuBefore = treeCpuSeconds(running.child.pid);
    const measured = await closedRun(ctx, running.port, seconds, connections);
    const cpu = treeCpuSeconds(running.child.pid) - cpuBefore;
    const probe = await probeEnd(running.child);
    const kibPerCheck = measured.ok > 0 ? probe.allocatedBytes / 1024 / measured.ok : 0;
    const cpuUsPerCheck = measured.ok > 0 ? (cpu * 1e6) / measured.ok : null;
    profiles.push({
      target,
      file,
      heapFile,
      cpuUsPerCheck,
      areas: profileByArea(file, cpuUsPerCheck ?? 0),
      allocKiBPerCheck: kibPerCheck,
      allocations: heapByArea(heapFile, kibPerCheck),
    });
  }

  const pick = (key: string, f: (r: ClosedRun) => number | null): number | null => median(runsOf(key).map(f));
  const med = (key: string): OtaMedian => ({
    requestsPerSecond: pick(key, (r) => r.requestsPerSecond),
    p50Ms: pick(key, (r) => r.p50Ms),
    p99Ms: pick(key, (r) => r.p99Ms),
    cpuUsPerCheck: pick(key, (r) => r.cpuUsPerCheck),
    allocKiBPerCheck: pick(key, (r) => r.allocKiBPerCheck),
    allocKiBPerCheckMin: least(runsOf(key).map((r) => r.allocKiBPerCheck)),
    gcUsPerCheck: pick(key, (r) => r.gcUsPerCheck),
  });
  /** Per round, `a`'s figure over `b`'s from the same round. */
  const perRound = (a: string, b: string, f: (r: ClosedRun) => number | null): (number | null)[] =>
    runsOf(a).map((run) => {
      const other = runsOf(b).find((r) => r.round === run.round);
      return ratio(f(run), other === undefined ? null : f(other));
    });
  const spread = (values: (number | null)[]): RatioSpread => {
    const known = values.filter((v): v is number => v !== null);
    return {
      median: median(known),
      min: known.length > 0 ? Math.min(...known) : null,
      max: known.length > 0 ? Math.max(...known) : null,
    };
  };
  const rps = (r: ClosedRun): number => r.requestsPerSecond;
  const cpu = (r: ClosedRun): number | null => r.cpuUsPerCheck;
  const has = (key: string): boolean => runsOf(key).length > 0;
  const proxyCpu = pick('proxy', cpu);
  return {
    connections,
    rounds,
    secondsPerRun: seconds,
    runs: {
      upstream: runsOf('upstream'),
      proxy: runsOf('proxy'),
      control: runsOf('control'),
      nginx: runsOf('nginx'),
      bare: runsOf('bare'),
    },
    median: {
      upstream: med('upstream'),
      proxy: med('proxy'),
      control: med('control'),
      nginx: med('nginx'),
      bare: med('bare'),
    },
    proxyToUpstream: median(perRound('proxy', 'upstream', rps)),
    nginxToUpstream: has('nginx') ? median(perRound('nginx', 'upstream', rps)) : null,
    proxyToNginx: has('nginx') ? median(perRound('proxy', 'nginx', rps)) : null,
    controlToNginx: has('nginx') ? median(perRound('control', 'nginx', rps)) : null,
    bareToUpstream: median(perRound('bare', 'upstream', rps)),
    cpu: {
      proxyToBare: spread(perRound('proxy', 'bare', cpu)),
      controlToBare: spread(perRound('control', 'bare', cpu)),
      proxyToControl: spread(perRound('proxy', 'control', cpu)),
    },
    baselines: ctx.baselines.map((b, i) => ({
      cli: b.cli,
      runs: runsOf(baselineKey(i)),
      median: med(baselineKey(i)),
      cpuToBare: spread(perRound(baselineKey(i), 'bare', cpu)),
      proxyCpuToThis: spread(perRound('proxy', baselineKey(i), cpu)),
      cpuToPrevious: i === 0 ? null : spread(perRound(baselineKey(i), baselineKey(i - 1), cpu)),
    })),
    throughputControl: spread(perRound('proxy', 'control', rps)),
    profiles,
    nginxFraming,
    proxyCpuSecondsPer10k: proxyCpu === null ? null : proxyCpu / 100,
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
