/**
 * Download tokens (docs/fleet.md "Download tokens"): `<mac hex>.<first 12 bytes of HMAC-SHA256(secret,
 * "<mac hex>|<file>") in base64url>`, 29 characters. A token names its device, so any replica holding the
 * secret verifies it at once, without a lookup.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deviceIdFromHex, macHex } from './device-id.js';

export const TOKEN_LENGTH = 29;
const MAC_BYTES = 12;
const TAG_BYTES = 12;

function tag(secret: string, hex: string, file: string): Buffer {
  return createHmac('sha256', secret).update(`${hex}|${file}`, 'utf8').digest().subarray(0, TAG_BYTES);
}

/** The token that lets `deviceId` (normalised) download `file`. */
export function mintToken(secret: string, deviceId: string, file: string): string {
  const hex = macHex(deviceId);
  return `${hex}.${tag(secret, hex, file).toString('base64url')}`;
}

/** The device a token was minted for when it is valid for `file`, else `null` (compared in constant time). */
export function verifyToken(secret: string, token: string, file: string): string | null {
  if (token.length !== TOKEN_LENGTH || token[MAC_BYTES] !== '.') return null;
  const hex = token.slice(0, MAC_BYTES);
  const device = deviceIdFromHex(hex);
  if (device === null) return null;
  const given = Buffer.from(token.slice(MAC_BYTES + 1), 'base64url');
  // base64url decoding is lenient: a re-encoding that differs means characters outside the alphabet.
  if (given.length !== TAG_BYTES || given.toString('base64url') !== token.slice(MAC_BYTES + 1)) return null;
  return timingSafeEqual(given, tag(secret, hex, file)) ? device : null;
}

/** A token as shown wherever exchanges are displayed: the device part and the tag's first 4 characters. */
export function shortenToken(token: string): string {
  return token.length <= MAC_BYTES + 5 ? token : `${token.slice(0, MAC_BYTES + 5)}…`;
}
