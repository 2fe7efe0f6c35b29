/**
 * Staged rollouts: a device's stable bucket for one catalog entry (docs/configuration.md "Catalog", rollout bucket).
 */
import { hash } from 'node:crypto';
import { keepLast } from '../match/keep-last.js';

/** Number of buckets: one per 0.01 % of the fleet. */
export const ROLLOUT_BUCKETS = 10_000;

/**
 * The device's bucket (0–9999) for an entry: the first 8 hex digits of
 * `sha256("<device id>|<entry board as written>|<entry version>")`, mod 10000 — read here as the digest's
 * first four bytes, big-endian, which is the same number. The one-shot `crypto.hash` costs less than half
 * of a `createHash` object per check, and its hex output half of its Buffer output (Node 20 takes a slow
 * path to check the encoding `'buffer'`): 0.56 against 1.2 µs, and a check asks once per entry it weighs.
 */
export function rolloutBucket(deviceId: string, board: string, version: string): number {
  return bucketOf(`${deviceId}|${board}|${version}`);
}

/** A check that misses a rollout asks again for its detail text. */
const bucketOf = keepLast(
  (key: string) => parseInt(hash('sha256', key, 'hex').slice(0, 8), 16) % ROLLOUT_BUCKETS,
);

/**
 * Whether a bucket is inside a rollout of `percent` (0–100, two decimals). The percentage is not part of
 * the hash, so raising it keeps every device that was already in.
 */
export function inRollout(bucket: number, percent: number): boolean {
  // Rounded: 0.29 × 100 is 28.999…; the catalog allows two decimals, so this is exact.
  return bucket < Math.round(percent * 100);
}
