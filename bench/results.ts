/** The shape of bench/results.json: what each phase measured, the targets, and how the run was made. */
import type { FleetCost } from './phase-fleet.js';
import type { AreaProfile } from './profile-areas.js';
import type { LatencySummary } from './stats.js';

export interface Meta {
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly profiled: boolean;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryGiB: number;
    readonly kernel: string;
  };
  readonly node: string;
  readonly loadGenerator: string;
  readonly nginx: string | null;
  readonly missingTools: readonly { readonly name: string; readonly install: string }[];
  readonly build: { readonly ms: number; readonly diagnostics: readonly string[] };
  readonly proxy: string;
  /** The builds measured beside the proxy in phase 1 (`--baseline-cli`), in order. */
  readonly baselines: readonly string[];
}

/** One closed-loop run of one target. */
export interface ClosedRun {
  readonly round: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly ok: number;
  readonly errors: number;
  /** CPU time of the target's process(es) over the run, per check answered. */
  readonly cpuUsPerCheck: number | null;
  /** V8 heap bytes allocated per check (bench/probe.mjs; `null` for processes without the probe). */
  readonly allocKiBPerCheck: number | null;
  readonly gcUsPerCheck: number | null;
}

/** `control` is the proxy's build in a second process. */
export type OtaTarget = 'upstream' | 'proxy' | 'control' | 'nginx' | 'bare';

/** A build measured beside the proxy (`--baseline-cli`): its runs and its figures against the others. */
export interface BaselineFigures {
  readonly cli: string;
  readonly runs: readonly ClosedRun[];
  readonly median: OtaMedian;
  /** Its CPU per check over the bare relay's, per round. */
  readonly cpuToBare: RatioSpread;
  /** The proxy's CPU per check over this build's, per round (< 1: the proxy costs less). */
  readonly proxyCpuToThis: RatioSpread;
  /** This build's CPU per check over the previous baseline's (the builds in the order given), per round. */
  readonly cpuToPrevious: RatioSpread | null;
}

export interface OtaMedian {
  readonly requestsPerSecond: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly cpuUsPerCheck: number | null;
  readonly allocKiBPerCheck: number | null;
  /** The least of the rounds: the steady state, with the least of the machine's noise in it. */
  readonly allocKiBPerCheckMin: number | null;
  readonly gcUsPerCheck: number | null;
}

/** A median of per-round ratios with the smallest and largest of them. */
export interface RatioSpread {
  readonly median: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

/** One profiled run: its CPU per check (slowed by the profiler) and where it went. */
export interface ProfiledRun {
  readonly target: 'proxy' | 'bare';
  readonly file: string;
  /** The sampling heap profile of the same run (allocations by function, collected ones included). */
  readonly heapFile: string;
  readonly cpuUsPerCheck: number | null;
  readonly areas: AreaProfile;
  /** KiB allocated per check in that run, and by area (the heap profile's shares; `usPerCheck` holds KiB). */
  readonly allocKiBPerCheck: number;
  readonly allocations: AreaProfile;
}

export interface OtaThroughput {
  readonly connections: number;
  readonly rounds: number;
  readonly secondsPerRun: number;
  readonly runs: Readonly<Record<OtaTarget, readonly ClosedRun[]>>;
  /** Medians over the rounds. */
  readonly median: Readonly<Record<OtaTarget, OtaMedian>>;
  /** Median of the per-round ratios (each round's runs ran back to back). */
  readonly proxyToUpstream: number | null;
  readonly nginxToUpstream: number | null;
  readonly proxyToNginx: number | null;
  /** The control process against nginx: the same build, so the noise in `proxyToNginx`. */
  readonly controlToNginx: number | null;
  /** The bare Node relay against the upstream: the most any single Node proxy reaches here. */
  readonly bareToUpstream: number | null;
  /** CPU per check over the bare relay's (and the control pair: the proxy over its own second process). */
  readonly cpu: {
    readonly proxyToBare: RatioSpread;
    readonly controlToBare: RatioSpread;
    readonly proxyToControl: RatioSpread;
  };
  readonly baselines: readonly BaselineFigures[];
  /** Requests per second of the proxy over its control process, per round. */
  readonly throughputControl: RatioSpread;
  readonly profiles: readonly ProfiledRun[];
  /** What nginx's sub_filter reply looked like on the wire. */
  readonly nginxFraming: {
    readonly contentLength: boolean;
    readonly chunked: boolean;
    readonly violations: readonly string[];
  } | null;
  readonly proxyCpuSecondsPer10k: number | null;
}

export interface RateRun {
  readonly round: number;
  readonly latencyMs: LatencySummary;
  readonly serviceMs: LatencySummary;
  readonly achievedRate: number;
  readonly ok: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly nonContractReplies: number;
  readonly maxSendLagMs: number | null;
}

export interface FixedRate {
  readonly rate: number;
  readonly seconds: number;
  readonly rounds: number;
  readonly runs: { readonly upstream: readonly RateRun[]; readonly proxy: readonly RateRun[] };
  readonly median: {
    readonly upstream: { readonly p50: number | null; readonly p99: number | null };
    readonly proxy: { readonly p50: number | null; readonly p99: number | null };
  };
  /** Median over rounds of (proxy − upstream) for the same round. */
  readonly addedP50Ms: number | null;
  readonly addedP99Ms: number | null;
  readonly proxyCpuSecondsPer10k: number | null;
  readonly proxyPeakRssMiB: number | null;
}

export interface DownloadRun {
  readonly round: number;
  readonly mibPerSecond: number;
  readonly completed: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly downloadMs: LatencySummary;
}

export interface FirmwareServing {
  readonly imageBytes: number;
  readonly connections: number;
  readonly seconds: number;
  readonly runs: { readonly proxy: readonly DownloadRun[]; readonly nginx: readonly DownloadRun[] };
  readonly median: { readonly proxy: number | null; readonly nginx: number | null };
  readonly proxyToNginx: number | null;
  /** Peak RSS of the proxy over the download runs (VmHWM after a reset, or the highest sample). */
  readonly proxyPeakRssMiB: number | null;
  readonly peakSource: 'VmHWM' | 'sampled';
  /** The image each side served, compared with the file's sha256. */
  readonly integrity: { readonly proxy: boolean; readonly nginx: boolean | null };
}

export interface BootStorm {
  readonly devices: number;
  readonly rate: number;
  readonly upstream: {
    readonly maxConcurrent: number;
    readonly serviceMs: number;
    readonly maxActive: number;
    readonly maxQueued: number;
    readonly served: number;
  };
  readonly ok: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly nonContractReplies: number;
  readonly violations: Readonly<Record<string, number>>;
  readonly latencyMs: LatencySummary;
  readonly durationMs: number;
  readonly maxInFlight: number;
  readonly offers: Readonly<Record<string, number>>;
  readonly rolloutVersion: string;
  readonly rolloutPercent: number;
  readonly rolloutShareObserved: number | null;
  readonly offerMismatches: number;
  readonly proxyCpuSecondsPer10k: number | null;
  readonly proxyRssMiB: {
    readonly idle: number | null;
    readonly peak: number | null;
    readonly after: number | null;
  };
}

export interface CostPerCheck {
  readonly cpuSecondsPer10k: {
    readonly saturated: number | null;
    readonly fixedRate: number | null;
    readonly bootStorm: number | null;
  };
  readonly rssMiB: {
    readonly idle: number | null;
    readonly underLoad: number | null;
    readonly afterBootStorm: number | null;
  };
}

export interface Target {
  readonly name: string;
  readonly value: number | null;
  readonly limit: string;
  /** `null`: not measured (a tool was missing or the phase was skipped). */
  readonly met: boolean | null;
}

export interface ProfileLine {
  readonly selfMs: number;
  readonly share: number;
  readonly fn: string;
  readonly where: string;
}

export interface BenchResults {
  readonly meta: Meta;
  readonly otaThroughput: OtaThroughput | null;
  readonly fixedRate: FixedRate | null;
  readonly firmwareServing: FirmwareServing | null;
  readonly bootStorm: BootStorm | null;
  readonly cost: CostPerCheck;
  readonly targets: readonly Target[];
  readonly profile: readonly ProfileLine[] | null;
  /** Phase 5 (bench/phase-fleet.ts); `null` when not run. */
  readonly fleetCost?: FleetCost | null;
}
