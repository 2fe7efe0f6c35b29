/**
 * Staged rollouts: a device's stable bucket for one catalog entry (docs/configuration.md "Catalog", rollout bucket).
 */
import { createHash } from 'node:crypto';

/** Number of buckets: one per 0.01 % of the fleet. */
export const ROLLOUT_BUCKETS = 10_000;

/**
 * The device's bucket (0–9999) for an entry: the first 8 hex digits of
 * `sha256("<device id>|<entry board as written>|<entry version>")`, mod 10000.
 */
export function rolloutBucket(deviceId: string, board: string, version: string): number {
  const digest = createHash('sha256').update(`${deviceId}|${board}|${version}`, 'utf8').digest('hex');
  return Number.parseInt(digest.slice(0, 8), 16) % ROLLOUT_BUCKETS;
}

/**
 * Whether a bucket is inside a rollout of `percent` (0–100, two decimals). The percentage is not part of
 * the hash, so raising it keeps every device that was already in.
 */
export function inRollout(bucket: number, percent: number): boolean {
  // Rounded: 0.29 × 100 is 28.999…; the catalog allows two decimals, so this is exact.
  return bucket < Math.round(percent * 100);
}
