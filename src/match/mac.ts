/** MAC addresses for `when.devices` and the catalog's `devices`/`exclude` (docs/device-contract.md §1: `Device-Id` is the MAC). */

const SEPARATED = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i;
const BARE = /^[0-9a-f]{12}$/i;

/** Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF` or `aabbccddeeff` (one separator throughout); returns the lowercase colon form. */
export function normalizeMac(text: string): string | null {
  let hex: string;
  if (SEPARATED.test(text)) hex = text.replace(/[:-]/g, '');
  else if (BARE.test(text)) hex = text;
  else return null;
  return (hex.toLowerCase().match(/../g) ?? []).join(':');
}
