/**
 * Small, exact statistics for the benchmark: percentiles over every recorded sample (no histogram
 * buckets), medians across rounds, and ratios that stay `null` when a side was not measured.
 */

/** The p-th percentile (0–100) of `sorted` by the nearest-rank method; `null` for no samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  const index = Math.min(sorted.length - 1, Math.max(0, rank - 1));
  return sorted[index] ?? null;
}

/** A sorted copy of the samples (a typed array sorts numerically, without a comparator). */
export function sortedSamples(samples: ArrayLike<number>): Float64Array {
  const copy = Float64Array.from(samples);
  copy.sort();
  return copy;
}

/** Median of the values that were measured; `null` when none were. */
export function median(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? (known[mid] ?? null) : ((known[mid - 1] ?? 0) + (known[mid] ?? 0)) / 2;
}

/** `a / b`, or `null` when either side is missing or `b` is zero. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return a / b;
}

/** `a - b`, or `null` when either side is missing. */
export function difference(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a - b;
}

/** Rounds to `digits` decimals, keeping `null`. */
export function round(value: number | null, digits = 2): number | null {
  if (value === null) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** p50, p90, p99, max and mean of a set of latencies (ms). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

/** The summary of a set of samples (ms), exact over every sample. */
export function summarizeLatencies(samples: ArrayLike<number>): LatencySummary {
  const sorted = sortedSamples(samples);
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] ?? 0;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50), 3),
    p90: round(percentile(sorted, 90), 3),
    p99: round(percentile(sorted, 99), 3),
    max: round(sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null), 3),
    mean: round(sorted.length === 0 ? null : sum / sorted.length, 3),
  };
}
