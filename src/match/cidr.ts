/**
 * IP addresses and address blocks for `trusted_proxies` and `when.source`, parsed and matched by
 * ipaddr.js. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) counts as the IPv4 address (docs/configuration.md "Conditions").
 */
import ipaddr from 'ipaddr.js';
import type { Cidr } from './types.js';
import { keepLast } from './keep-last.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Four decimal parts without leading zeros; ipaddr.js checks each is at most 255. */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;

/**
 * The address `text` names, IPv4-mapped IPv6 unmapped; `null` when it is not one. Stricter than
 * ipaddr.js alone: IPv4 (also as an IPv6 tail) only as a dotted quad (`010` and `0x10` are ambiguous),
 * and zone ids refused (`fe80::1%eth0` names an interface). ipaddr.js reads the deprecated
 * IPv4-compatible `::1.2.3.4` as mapped, so it unmaps too. Parsed once: this runs on every request.
 */
// A check asks about its device's address once per trusted-proxy test and `when.source` (ipaddr.js's
// addresses are not changed by matching).
const parseAddress = keepLast(readAddress);

function readAddress(text: string): Address | null {
  try {
    if (!text.includes(':')) return DOTTED_QUAD.test(text) ? ipaddr.IPv4.parse(text) : null;
    if (text.includes('%')) return null;
    const tail = text.slice(text.lastIndexOf(':') + 1);
    if (tail.includes('.') && !DOTTED_QUAD.test(tail)) return null;
    const address = ipaddr.IPv6.parse(text);
    return address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
  } catch {
    // ipaddr.js throws on anything that is not an address.
    return null;
  }
}

/** The network address of each parsed block, for ipaddr.js's matching; built once, at config load. */
const networks = new WeakMap<Cidr, Address>();

/**
 * Parses an IPv4 or IPv6 address to its bytes: 4 for IPv4 and for IPv4-mapped IPv6 (unmapped),
 * 16 otherwise. Brackets and zone ids are refused; `null` when it is not an address.
 */
export function parseIp(text: string): Uint8Array | null {
  const address = parseAddress(text);
  return address === null ? null : Uint8Array.from(address.toByteArray());
}

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else is returned unchanged. Node reports IPv4 peers this way on a dual-stack socket. */
export function unmapAddress(addr: string): string {
  if (!addr.includes(':')) return addr;
  const address = parseAddress(addr);
  return address?.kind() === 'ipv4' ? address.toString() : addr;
}

/** Parses `10.0.0.0/8`, `fd00::/8`, or a bare address (= /32 or /128); `null` when invalid. Host bits are masked off. */
export function parseCidr(text: string): Cidr | null {
  const [addressText = '', prefixText, extra] = text.split('/');
  if (extra !== undefined) return null;
  const address = parseAddress(addressText);
  if (address === null) return null;
  const bits = address.kind() === 'ipv4' ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return null;
    prefix = Number(prefixText);
    // An IPv4-mapped block is written with an IPv6 prefix (`::ffff:10.0.0.0/104`) but stored as IPv4.
    if (addressText.includes(':') && address.kind() === 'ipv4') {
      if (prefix < 96 || prefix > 128) return null;
      prefix -= 96;
    } else if (prefix > bits) {
      return null;
    }
  }
  const mask = (address.kind() === 'ipv4' ? ipaddr.IPv4 : ipaddr.IPv6).subnetMaskFromPrefixLength(prefix);
  const maskBytes = mask.toByteArray();
  const bytes = Uint8Array.from(address.toByteArray(), (b, i) => b & (maskBytes[i] ?? 0));
  const cidr: Cidr = { text, bytes, prefix };
  networks.set(cidr, ipaddr.fromByteArray(Array.from(bytes)));
  return cidr;
}

/** Whether the address lies in the block; IPv4 and IPv6 never match each other. */
function cidrContains(cidr: Cidr, address: Address): boolean {
  let network = networks.get(cidr);
  if (network === undefined) {
    // A block built by hand (a test's literal) rather than by parseCidr.
    network = ipaddr.fromByteArray(Array.from(cidr.bytes));
    networks.set(cidr, network);
  }
  if (network.kind() !== address.kind()) return false;
  return address.match(network, cidr.prefix);
}

/** Whether `addr` (IPv4, IPv6, IPv4-mapped, optionally in brackets) lies in any block of `list`; `false` when it is not an address. */
export function inCidrs(list: readonly Cidr[], addr: string): boolean {
  const bare = addr.startsWith('[') && addr.endsWith(']') ? addr.slice(1, -1) : addr;
  const address = parseAddress(bare);
  if (address === null) return false;
  return list.some((cidr) => cidrContains(cidr, address));
}
