/** What every phase of the benchmark works with: the running processes, the tools, and device ids. */
import type { Child } from './child-processes.js';
import type { Running } from './processes.js';

export interface BenchContext {
  readonly root: string;
  /** The run's temporary folder (configs, logs, nginx prefix, wrk scripts). */
  readonly work: string;
  readonly build: { readonly cli: string };
  readonly firmwareDir: string;
  readonly load: Child;
  /** Absolute path of wrk, or `null` to load with autocannon. */
  readonly wrk: string | null;
  readonly upstream: Running;
  readonly proxy: Running;
  /** The same build as `proxy` in a second process: the control pair shows what noise alone does. */
  readonly control: Running;
  /** Other builds (`--baseline-cli`, in the order given), measured beside the proxy in phase 1. */
  readonly baselines: readonly Baseline[];
  readonly nginx: Running | null;
  /** The bare Node relay: what any Node proxy costs here (phase 1's reference row). */
  readonly bareRelay: Running;
  /** A fresh block of 2^24 device indices, so that no two runs share a Device-Id. */
  nextDevices(): number;
  /** A progress line on stderr (the results table goes to stdout). */
  progress(line: string): void;
}

/** Another build of the proxy, measured beside the proxy in phase 1. */
export interface Baseline {
  readonly cli: string;
  readonly running: Running;
}

/** Device indices per block (wrk threads take sub-blocks of the same size). */
export const DEVICE_BLOCK = 2 ** 24;
