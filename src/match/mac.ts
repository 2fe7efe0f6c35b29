/** MAC addresses for `when.devices` and the catalog's `devices`/`exclude` (docs/device-contract.md §1: `Device-Id` is the MAC). */

const SEPARATED = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$/i;
const BARE = /^[0-9a-f]{12}$/i;

/** Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF` or `aabbccddeeff` (one separator throughout); returns the lowercase colon form. */
export function normalizeMac(text: string): string | null {
  // A check asks for its device's id once per rule condition and catalog step: the last answer is kept.
  if (text === lastMac.text) return lastMac.mac;
  const mac = readMac(text);
  lastMac = { text, mac };
  return mac;
}

let lastMac: { readonly text: string | null; readonly mac: string | null } = { text: null, mac: null };

function readMac(text: string): string | null {
  let hex: string;
  if (SEPARATED.test(text)) hex = text.replace(/[:-]/g, '');
  else if (BARE.test(text)) hex = text;
  else return null;
  return (hex.toLowerCase().match(/../g) ?? []).join(':');
}
