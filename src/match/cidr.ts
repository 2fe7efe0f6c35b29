/**
 * IP addresses and address blocks for `trusted_proxies` and `when.source`, compared byte by byte.
 * IPv4-mapped IPv6 (`::ffff:10.0.0.1`) counts as the IPv4 address (CONFIG.md "Conditions").
 */
import type { Cidr } from './types.js';

/** Parses a dotted-quad IPv4 address strictly: four decimal parts 0–255, no leading zeros (`010` is ambiguous). */
function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

/** Parses hex groups (`1:2:ab`) into 16-bit words; `null` when a group is not 1–4 hex digits. */
function parseGroups(text: string): number[] | null {
  if (text === '') return [];
  const words: number[] = [];
  for (const group of text.split(':')) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    words.push(Number.parseInt(group, 16));
  }
  return words;
}

/** Parses an IPv6 address (`::` compression and an IPv4 tail allowed; zone ids refused) into 16 bytes. */
function parseIpv6(text: string): Uint8Array | null {
  // A zone id (`fe80::1%eth0`) names an interface, not an address block: refused.
  if (text.includes('%')) return null;
  let head = text;
  let tail: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.slice(lastColon + 1).includes('.')) {
    tail = parseIpv4(text.slice(lastColon + 1));
    if (tail === null) return null;
    // Keep the colon so `::1.2.3.4` still reads as `::` followed by the tail.
    head = text.slice(0, lastColon + 1);
    head = head.endsWith('::') ? head : head.slice(0, -1);
  }
  const wordsWanted = tail === null ? 8 : 6;
  const halves = head.split('::');
  if (halves.length > 2) return null;
  let words: number[];
  if (halves.length === 2) {
    const left = parseGroups(halves[0] ?? '');
    const right = parseGroups(halves[1] ?? '');
    if (left === null || right === null) return null;
    const missing = wordsWanted - left.length - right.length;
    // `::` stands for at least one zero group (RFC 4291 §2.2).
    if (missing < 1) return null;
    words = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    const all = parseGroups(head);
    if (all === null || all.length !== wordsWanted) return null;
    words = all;
  }
  const bytes = new Uint8Array(16);
  for (const [i, word] of words.entries()) {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  }
  if (tail !== null) bytes.set(tail, 12);
  return bytes;
}

/** Whether 16 bytes are an IPv4-mapped IPv6 address (`::ffff:0:0/96`, RFC 4291 §2.5.5.2). */
function isMapped(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses an IPv4 or IPv6 address to its bytes: 4 for IPv4 and for IPv4-mapped IPv6 (unmapped),
 * 16 otherwise. Brackets and zone ids are refused; `null` when it is not an address.
 */
export function parseIp(text: string): Uint8Array | null {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    if (bytes === null) return null;
    return isMapped(bytes) ? bytes.slice(12) : bytes;
  }
  return parseIpv4(text);
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else is returned unchanged. Node reports IPv4 peers this way on a dual-stack socket. */
export function unmapAddress(addr: string): string {
  if (!addr.includes(':')) return addr;
  const bytes = parseIpv6(addr);
  if (bytes === null || !isMapped(bytes)) return addr;
  return Array.from(bytes.slice(12)).join('.');
}

/** Parses `10.0.0.0/8`, `fd00::/8`, or a bare address (= /32 or /128); `null` when invalid. Host bits are masked off. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? null : text.slice(slash + 1);
  const mappedSyntax = addressText.includes(':');
  const bytes = parseIp(addressText);
  if (bytes === null) return null;
  const bits = bytes.length * 8;
  let prefix = bits;
  if (prefixText !== null) {
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return null;
    prefix = Number(prefixText);
    // An IPv4-mapped block is written with an IPv6 prefix (`::ffff:10.0.0.0/104`) but stored as IPv4.
    if (mappedSyntax && bytes.length === 4) {
      if (prefix < 96 || prefix > 128) return null;
      prefix -= 96;
    } else if (prefix > bits) {
      return null;
    }
  }
  return { text, bytes: maskBytes(bytes, prefix), prefix };
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    out[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** Whether the address bytes lie in the block; IPv4 and IPv6 never match each other. */
export function cidrContains(cidr: Cidr, bytes: Uint8Array): boolean {
  if (bytes.length !== cidr.bytes.length) return false;
  const masked = maskBytes(bytes, cidr.prefix);
  return masked.every((b, i) => b === cidr.bytes[i]);
}

/** Whether `addr` (IPv4, IPv6, IPv4-mapped, optionally in brackets) lies in any block of `list`; `false` when it is not an address. */
export function inCidrs(list: readonly Cidr[], addr: string): boolean {
  const bare = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  const bytes = parseIp(bare);
  if (bytes === null) return false;
  return list.some((cidr) => cidrContains(cidr, bytes));
}
