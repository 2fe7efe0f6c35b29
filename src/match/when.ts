/**
 * `when:` conditions (docs/configuration.md "Conditions"): keys ANDed, list members ORed, a key whose input is
 * unknown does not match, the first matching item wins.
 */
import { inCidrs } from './cidr.js';
import { matchesGlob } from './glob.js';
import { normalizeMac } from './mac.js';
import type { Condition, MatchInput } from './types.js';
import { parseVersionNumbers, satisfiesRange } from './version.js';

/** Whether every key of `cond` matches `input` (an empty condition matches everything). */
export function matchesCondition(cond: Condition, input: MatchInput): boolean {
  if (cond.source !== undefined) {
    const { address } = input;
    if (address === null || !inCidrs(cond.source, address)) return false;
  }
  if (cond.host !== undefined) {
    const { host } = input;
    if (host === null || !cond.host.some((g) => matchesGlob(g, host))) return false;
  }
  if (cond.board !== undefined) {
    // A board glob names a build (`bread-compact-wifi-128x64`) or the board type several builds share.
    const names = [input.build, input.boardType].filter((n): n is string => n !== null);
    if (!cond.board.some((g) => names.some((name) => matchesGlob(g, name)))) return false;
  }
  if (cond.devices !== undefined) {
    if (input.deviceId === null) return false;
    const id = normalizeMac(input.deviceId) ?? input.deviceId.toLowerCase();
    if (!cond.devices.includes(id)) return false;
  }
  if (cond.version !== undefined) {
    // A version the device itself could not parse is unknown (docs/device-contract.md §6).
    const running = input.version === null ? null : parseVersionNumbers(input.version);
    if (running === null || !cond.version.some((range) => satisfiesRange(running, range))) return false;
  }
  return true;
}

/** The first item whose `when` matches, or `null` (then that part of the reply stays as the upstream sent it). */
export function firstMatching<T extends { readonly when: Condition }>(
  items: readonly T[],
  input: MatchInput,
): T | null {
  return items.find((item) => matchesCondition(item.when, input)) ?? null;
}
