/**
 * The orchestrator's side of bench/probe.mjs: opens and closes a measuring window inside a process started
 * with the probe (`--import bench/probe.mjs` and an IPC channel).
 */
import { request, type Child } from './child-processes.js';

export interface ProbeResult {
  /** Bytes allocated on the V8 heap in the window (Buffers' backing stores are off-heap, not counted). */
  readonly allocatedBytes: number;
  readonly gcCount: number;
  /** Time spent in garbage collection in the window (the collector's own accounting). */
  readonly gcMs: number;
  /** The CPU profile written for the window, when one was asked for. */
  readonly cpuProfile: string | null;
}

/** Starts a window; with `cpuProfile` / `heapProfile` the window is profiled into those files. */
export async function probeBegin(
  child: Child,
  { cpuProfile = null, heapProfile = null }: { cpuProfile?: string | null; heapProfile?: string | null } = {},
): Promise<void> {
  await request(child, { type: 'probe-begin', cpuProfile, heapProfile }, 'probe-begun', 30_000);
}

/** Ends the window and returns what it measured. */
export function probeEnd(child: Child): Promise<ProbeResult> {
  return request<ProbeResult & { type: string }>(child, { type: 'probe-end' }, 'probe-result', 60_000);
}
