/**
 * The reply's bytes (docs/configuration.md "The device guard", size): guard, compact JSON, then the size rule. v1.9/v2.x
 * clients deadlock once 8 KiB of body is buffered, so the body must stay under 4 KiB (docs/device-contract.md §2).
 * When it does not, top-level keys the device does not read are dropped; if it still does not fit, the
 * reply counts as an upstream failure (fallback, else 502) — nothing is ever truncated, a token least of all.
 */
import type { DeviceFacts } from '../device/types.js';
import { DEVICE_KEYS, ownMember, setMember } from './folded-json.js';
import { guardReply } from './guard.js';
import type { JsonObject } from './types.js';

/** Exclusive upper bound for a reply body, in UTF-8 bytes. */
export const MAX_REPLY_BYTES = 4096;

/** A reply that fits (its compact JSON and byte count) or one that does not; `repairs` name what the guard and size rule did. */
export type FinishedReply =
  | {
      readonly kind: 'ok';
      readonly json: string;
      readonly bytes: number;
      readonly repairs: string[];
      readonly body: JsonObject;
    }
  | { readonly kind: 'too-large'; readonly bytes: number; readonly repairs: string[] };

/** Guard, serialise and size-check a reply with sections (rewritten, or synthesised by the fallback). */
export function finishReply(body: JsonObject, device: DeviceFacts): FinishedReply {
  const guarded = guardReply(body, device);
  return sized(guarded.body, JSON.stringify(guarded.body), guarded.repairs);
}

/**
 * The size rule alone, for an upstream object without sections (its error shapes): the original text as
 * sent when it fits, else the folded body without the keys the device does not read.
 */
export function sizeRuleOnly(body: JsonObject, original: string): FinishedReply {
  return sized(body, original, []);
}

function sized(body: JsonObject, json: string, repairs: string[]): FinishedReply {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes < MAX_REPLY_BYTES) return { kind: 'ok', json, bytes, repairs, body };
  const read = onlyDeviceKeys(body);
  const trimmedRepairs = read.dropped > 0 ? [...repairs, 'size:unread-keys-dropped'] : repairs;
  const trimmed = JSON.stringify(read.body);
  const trimmedBytes = Buffer.byteLength(trimmed, 'utf8');
  if (trimmedBytes < MAX_REPLY_BYTES)
    return { kind: 'ok', json: trimmed, bytes: trimmedBytes, repairs: trimmedRepairs, body: read.body };
  return { kind: 'too-large', bytes: trimmedBytes, repairs: trimmedRepairs };
}

/** The top-level keys the device reads (docs/device-contract.md §3), in their original order. */
function onlyDeviceKeys(body: JsonObject): { body: JsonObject; dropped: number } {
  const out: JsonObject = {};
  let dropped = 0;
  for (const key of Object.keys(body)) {
    const value = ownMember(body, key);
    if ((DEVICE_KEYS as readonly string[]).includes(key) && value !== undefined) setMember(out, key, value);
    else dropped++;
  }
  return { body: out, dropped };
}
