/** Device ids: the `Device-Id` MAC (docs/fleet.md "What the proxy observes"; docs/device-contract.md §1). */
import { normalizeMac } from '../match/mac.js';

/** `aa:bb:cc:dd:ee:ff` from any accepted spelling (12 hex digits, `:`/`-` or none), else `null` (anonymous). */
export function deviceIdOf(text: string | null | undefined): string | null {
  if (text == null) return null;
  return normalizeMac(text.trim());
}

/** The 12 lower-case hex digits of a normalised id (`aabbccddeeff`), as download tokens write it. */
export function macHex(deviceId: string): string {
  return deviceId.replace(/:/g, '');
}

/** `aabbccddeeff` back to `aa:bb:cc:dd:ee:ff`; `null` unless 12 lower-case hex digits. */
export function deviceIdFromHex(hex: string): string | null {
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  return (hex.match(/../g) ?? []).join(':');
}
