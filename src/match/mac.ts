/** MAC addresses for `when.devices` and the catalog's `devices`/`exclude` (docs/device-contract.md §1: `Device-Id` is the MAC). */

import { keepLast } from './keep-last.js';

const SEPARATED = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i;
const BARE = /^[0-9a-f]{12}$/i;

/** Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF` or `aabbccddeeff` (one separator throughout); returns the lowercase colon form. */
export const normalizeMac: (text: string) => string | null = keepLast(readMac);

function readMac(text: string): string | null {
  // Built in one step: the usual `aa:bb:cc:dd:ee:ff` comes back as it is.
  if (SEPARATED.test(text)) {
    const lower = text.toLowerCase();
    return text.charCodeAt(2) === 0x2d ? lower.replaceAll('-', ':') : lower;
  }
  if (!BARE.test(text)) return null;
  const hex = text.toLowerCase();
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}
